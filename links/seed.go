package links

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Seed is a public channel to start collecting from.
type Seed struct {
	// Username is the channel's username, lowercase.
	Username string
	// PostID is the post of a post link given as a seed (t.me/name/123), 0
	// otherwise; the whole channel is collected either way.
	PostID int64
	// Input is the seed as written, trimmed.
	Input string
}

// Errors of ParseSeed, besides ErrInvalidUsername and ErrNotTelegram.
var (
	ErrEmptySeed      = errors.New("empty seed")
	ErrInviteSeed     = errors.New("invite links lead to chats that may be private and cannot be seeds")
	ErrSeedNotChannel = errors.New("not a link to a public channel")
)

// ParseSeed reads one seed: "@name", "name", "t.me/name", "https://t.me/s/name"
// or a post link "https://t.me/name/123" (telegram.me, telegram.dog and
// tg://resolve links too). The error names the input and says what is wrong
// with it.
func ParseSeed(s string) (Seed, error) {
	in := strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))
	if in == "" {
		return Seed{}, ErrEmptySeed
	}
	fail := func(err error) (Seed, error) { return Seed{}, fmt.Errorf("seed %q: %w", in, err) }
	if name, ok := strings.CutPrefix(in, "@"); ok {
		u, err := NormalizeUsername(name)
		if err != nil {
			return fail(err)
		}
		return Seed{Username: u, Input: in}, nil
	}
	if !strings.ContainsAny(in, "/.:") {
		u, err := NormalizeUsername(in)
		if err != nil {
			return fail(err)
		}
		return Seed{Username: u, Input: in}, nil
	}
	nu, err := Normalize(in)
	if err != nil {
		return fail(err)
	}
	l, err := ParseTelegram(nu)
	if err != nil {
		return fail(err)
	}
	switch l.Kind {
	case TelegramChannel, TelegramPreview, TelegramPost:
		return Seed{Username: l.Username, PostID: l.PostID, Input: in}, nil
	case TelegramInvite, TelegramFolder:
		return fail(ErrInviteSeed)
	case TelegramPrivatePost:
		return fail(fmt.Errorf("%w: t.me/c/ links address a channel by id; give its username", ErrSeedNotChannel))
	default:
		return fail(fmt.Errorf("%w: a Telegram %s link", ErrSeedNotChannel, l.Kind))
	}
}

// LineError is a bad line of a seed file.
type LineError struct {
	// Line is the 1-based line number.
	Line int
	// Text is the line, trimmed.
	Text string
	// Err says what is wrong.
	Err error
}

// Error returns "line N: reason".
func (e LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns the reason, for errors.Is.
func (e LineError) Unwrap() error { return e.Err }

// maxSeedLine bounds a line of a seed file; a longer one is not a seed.
const maxSeedLine = 64 << 10

// ParseSeedFile reads seeds one a line. Blank lines and comments (from "#"
// at the start of a line or after white space) are ignored; a seed given
// twice is kept once. Every bad line is returned with its number, so a caller
// can reject the file whole and list them all. A read error ends the file
// and is returned as a LineError on the line where it happened.
func ParseSeedFile(r io.Reader) ([]Seed, []LineError) {
	var (
		seeds []Seed
		bad   []LineError
		seen  = map[string]bool{}
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxSeedLine)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		line = stripComment(line)
		if line == "" {
			continue
		}
		s, err := ParseSeed(line)
		if err != nil {
			bad = append(bad, LineError{Line: n, Text: line, Err: err})
			continue
		}
		if !seen[s.Username] {
			seen[s.Username] = true
			seeds = append(seeds, s)
		}
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		bad = append(bad, LineError{Line: n + 1, Err: fmt.Errorf("read: expected a line of at most %d KiB, got a longer one", maxSeedLine>>10)})
	} else if err != nil {
		bad = append(bad, LineError{Line: n + 1, Err: fmt.Errorf("read: %w", err)})
	}
	return seeds, bad
}

// stripComment removes a "#" comment and surrounding white space.
func stripComment(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			line = line[:i]
			break
		}
	}
	return strings.TrimSpace(line)
}
