package world

import (
	"strconv"
	"strings"
	"unicode"
)

// Vocabulary of generated names and texts. Texts mix ASCII with accented
// letters, Cyrillic and emoji so that UTF-16 entity offsets are exercised.

var words = strings.Fields(`report update breaking video watch today official statement source confirmed
claims footage border city march crowd police army front night morning attack defense
government minister election vote law court ruling leak document archive mirror backup
channel link share repost subscribe join support truth lies media censor banned removed
account platform migration network group community voice people movement rally protest
economy prices fuel bread market crypto wallet token donation fund aid relief convoy
weather storm flood fire quake rescue hospital doctors vaccine study data chart map
live stream interview speech podcast episode thread summary analysis opinion column
history memory anniversary victory loss heroes martyrs prisoners release exchange deal
ceasefire talks summit sanctions embassy visa refugees camp shelter winter summer spring
north south east west river bridge road port airport station tower square palace
photo album collection exclusive rare unseen original translated subtitles full version`)

// exoticWords are the words whose lengths differ in bytes, code points and UTF-16 code
// units: accented Latin and Cyrillic, emoji inside and outside the BMP, flags, CJK (one
// ideograph outside the BMP), and, written with escapes, combining marks, zero-width
// joiner sequences, a skin tone and a keycap.
var exoticWords = append(strings.Fields(`café déjà naïve señal über straße новости правда канал
срочно видео ʿājil akhbār 🔥 ⚡ 📢 🇺🇦 🇷🇺 ❗ 👇 ✅ 🚨 新闻 速報 ニュース 뉴스 𠮷野家`),
	"cafe\u0301",    // e + combining acute
	"n\u0303o",      // n + combining tilde
	"й\u0306\u0308", // two combining marks on a Cyrillic letter
	"\U0001F468\u200D\U0001F469\u200D\U0001F467", // family: three emoji joined by ZWJ
	"\U0001F3F3\uFE0F\u200D\U0001F308",           // rainbow flag: emoji, VS16, ZWJ, emoji
	"\U0001F469\U0001F3FD\u200D\U0001F4BB",       // woman technologist, medium skin tone
	"1\uFE0F\u20E3",                              // keycap one: digit, VS16, combining keycap
)

var adjectives = strings.Fields(`red black white free true real daily global urgent open silent iron golden
northern eastern southern western new old young brave wild lone hidden deep dark bright
swift steady loyal rising falling last first united radical patriot sovereign awake`)

var nouns = strings.Fields(`news wire front voice eagle falcon wolf lion storm signal beacon lens eye watch
report herald post times daily insider truth pulse echo record brief dispatch courier
radar compass anchor tower bridge harbor river mountain forest desert horizon dawn
network channel media press info hub zone line point base camp unit legion`)

// communityThemes name communities and colour their channels' titles.
var communityThemes = []string{
	"Frontline", "Homeland", "Crypto", "Resistance", "Awakening", "Faith", "Liberty",
	"Eastern", "Sovereign", "Truthers", "Veterans", "Diaspora", "Frontier", "Rebels",
}

var titleForms = []string{"%A %N", "%T %N", "The %A %N", "%N of %T", "%T Daily", "%A %N %E", "%T %N Official", "%N 24"}

var titleEmoji = []string{"🔥", "⚡", "📢", "🦅", "🛡", "⭐", "🌍", "🚨"}

var firstNames = strings.Fields(`Abu Omar Ahmed Yusuf Ali Maria Anna Ivan Olga John Mike Sarah Lena Karim Leila
Hassan Fatima Dmitri Sergei Elena Tom Jack Emma Noor Zaid Amir Rustam Aisha Pavel`)

var lastNames = strings.Fields(`Smith Ivanov Petrova Haddad Rahman Khan Novak Kowalski Müller Rossi Garcia
al-Amin Saleh Volkov Brennan Walsh Okafor Nasser Bakr Idris`)

// hiddenNames are the display names of persons whose forwards hide their accounts.
var hiddenNames = func() []string {
	var out []string
	for i, f := range firstNames {
		for j, l := range lastNames {
			if (i+j)%3 == 0 {
				out = append(out, f+" "+l)
			}
		}
	}
	return out
}()

var reactionEmoji = []string{"👍", "❤", "🔥", "😁", "😢", "😡", "🤔", "👎", "🙏", "👏", "🤬", "💯"}

// validUsername reports whether s has the shape Telegram accepts for a
// username: 4 to 32 characters from [A-Za-z0-9_], starting with a letter,
// not ending with an underscore.
func validUsername(s string) bool {
	if len(s) < 4 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9', c == '_':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return s[len(s)-1] != '_'
}

// usernameCandidate draws a username shape; uniqueness is the caller's job.
func usernameCandidate(r *rng, theme string) string {
	a := adjectives[r.intn(len(adjectives))]
	n := nouns[r.intn(len(nouns))]
	t := strings.ToLower(theme)
	var s string
	switch r.intn(7) {
	case 0:
		s = a + "_" + n
	case 1:
		s = a + n
	case 2:
		s = t + "_" + n
	case 3:
		s = capitalize(a) + capitalize(n)
	case 4:
		s = n + "_" + a
	case 5:
		s = t + n + strconv.Itoa(r.intn(100))
	default:
		s = a + "_" + t + "_" + n
	}
	if len(s) > 32 {
		s = s[:32]
	}
	return strings.TrimRight(s, "_")
}

// successorUsername derives a reincarnation's handle from its predecessor's.
func successorUsername(r *rng, old string, gen int) string {
	base := strings.TrimRight(old, "0123456789_")
	if len(base) < 4 {
		base = old
	}
	var s string
	switch r.intn(6) {
	case 0:
		s = base + strconv.Itoa(gen+1)
	case 1:
		s = base + "_backup"
	case 2:
		s = base + "_reserve"
	case 3:
		s = base + "_new"
	case 4:
		s = base + "backup"
	default:
		s = base + "_" + strconv.Itoa(gen+1)
	}
	if len(s) > 32 {
		s = strings.TrimRight(s[:32], "_")
	}
	return s
}

// successorTitle derives a reincarnation's title from its predecessor's.
func successorTitle(r *rng, old string, gen int) string {
	switch r.intn(5) {
	case 0:
		return old + " " + strconv.Itoa(gen+1)
	case 1:
		return old + " (backup)"
	case 2:
		return old + " — reserve"
	case 3:
		return old + " | new channel"
	default:
		return "🔄 " + old
	}
}

func makeTitle(r *rng, theme string) string {
	form := titleForms[r.intn(len(titleForms))]
	var b strings.Builder
	for i := 0; i < len(form); i++ {
		if form[i] != '%' || i+1 == len(form) {
			b.WriteByte(form[i])
			continue
		}
		i++
		switch form[i] {
		case 'A':
			b.WriteString(capitalize(adjectives[r.intn(len(adjectives))]))
		case 'N':
			b.WriteString(capitalize(nouns[r.intn(len(nouns))]))
		case 'T':
			b.WriteString(theme)
		case 'E':
			b.WriteString(titleEmoji[r.intn(len(titleEmoji))])
		}
	}
	return b.String()
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// utf16Len is the length of s in UTF-16 code units, the unit of Telegram's entity offsets.
func utf16Len(s string) int {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return len(s)
	}
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}
