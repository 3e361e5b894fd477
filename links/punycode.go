package links

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// Punycode (RFC 3492) is implemented here rather than imported because this
// package may depend on the standard library and the public suffix list only.
// Only what host normalization needs is provided: encoding a lowercased label
// and decoding an "xn--" label to check that it is canonical.

const (
	punyBase        = 36
	punyTMin        = 1
	punyTMax        = 26
	punySkew        = 38
	punyDamp        = 700
	punyInitialBias = 72
	punyInitialN    = 128
	// punyMaxRunes bounds the work per label; a DNS label is at most 63
	// bytes once encoded, so anything longer is rejected later anyway.
	punyMaxRunes = 256
)

var errPunycode = errors.New("invalid punycode")

func punyAdapt(delta, numPoints int, first bool) int {
	if first {
		delta /= punyDamp
	} else {
		delta /= 2
	}
	delta += delta / numPoints
	k := 0
	for delta > ((punyBase-punyTMin)*punyTMax)/2 {
		delta /= punyBase - punyTMin
		k += punyBase
	}
	return k + (punyBase-punyTMin+1)*delta/(delta+punySkew)
}

func punyDigit(d int) byte {
	if d < 26 {
		return byte('a' + d)
	}
	return byte('0' + d - 26)
}

func punyThreshold(k, bias int) int {
	switch {
	case k <= bias:
		return punyTMin
	case k >= bias+punyTMax:
		return punyTMax
	default:
		return k - bias
	}
}

// punyEncode returns the Punycode form of label without the "xn--" prefix.
func punyEncode(label string) (string, error) {
	if !utf8.ValidString(label) {
		return "", errPunycode
	}
	runes := []rune(label)
	if len(runes) > punyMaxRunes {
		return "", errPunycode
	}
	var out strings.Builder
	basic := 0
	for _, r := range runes {
		if r < 0x80 {
			out.WriteByte(byte(r))
			basic++
		}
	}
	h := basic
	if basic > 0 {
		out.WriteByte('-')
	}
	n, delta, bias := punyInitialN, 0, punyInitialBias
	for h < len(runes) {
		m := int(utf8.MaxRune) + 1
		for _, r := range runes {
			if int(r) >= n && int(r) < m {
				m = int(r)
			}
		}
		delta += (m - n) * (h + 1)
		n = m
		for _, r := range runes {
			if int(r) < n {
				delta++
			}
			if int(r) != n {
				continue
			}
			q := delta
			for k := punyBase; ; k += punyBase {
				t := punyThreshold(k, bias)
				if q < t {
					break
				}
				out.WriteByte(punyDigit(t + (q-t)%(punyBase-t)))
				q = (q - t) / (punyBase - t)
			}
			out.WriteByte(punyDigit(q))
			bias = punyAdapt(delta, h+1, h == basic)
			delta = 0
			h++
		}
		delta++
		n++
	}
	return out.String(), nil
}

// punyDecode decodes a Punycode label given without its "xn--" prefix.
func punyDecode(s string) (string, error) {
	basicEnd := strings.LastIndexByte(s, '-')
	var out []rune
	if basicEnd > 0 {
		for i := 0; i < basicEnd; i++ {
			if s[i] >= 0x80 {
				return "", errPunycode
			}
			out = append(out, rune(s[i]))
		}
	}
	i, n, bias := 0, punyInitialN, punyInitialBias
	pos := 0
	if basicEnd >= 0 {
		pos = basicEnd + 1
	}
	for pos < len(s) {
		oldI, w := i, 1
		for k := punyBase; ; k += punyBase {
			if pos >= len(s) {
				return "", errPunycode
			}
			c := s[pos]
			pos++
			var digit int
			switch {
			case c >= 'a' && c <= 'z':
				digit = int(c - 'a')
			case c >= 'A' && c <= 'Z':
				digit = int(c - 'A')
			case c >= '0' && c <= '9':
				digit = int(c-'0') + 26
			default:
				return "", errPunycode
			}
			if digit > (1<<30-i)/w {
				return "", errPunycode
			}
			i += digit * w
			t := punyThreshold(k, bias)
			if digit < t {
				break
			}
			if w > (1<<30)/(punyBase-t) {
				return "", errPunycode
			}
			w *= punyBase - t
		}
		bias = punyAdapt(i-oldI, len(out)+1, oldI == 0)
		if i/(len(out)+1) > int(utf8.MaxRune)-n {
			return "", errPunycode
		}
		n += i / (len(out) + 1)
		i %= len(out) + 1
		if n > utf8.MaxRune || (n >= 0xD800 && n <= 0xDFFF) || len(out) >= punyMaxRunes {
			return "", errPunycode
		}
		out = append(out, 0)
		copy(out[i+1:], out[i:])
		out[i] = rune(n)
		i++
	}
	return string(out), nil
}
