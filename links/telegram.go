package links

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// TelegramKind is the shape of a Telegram link.
type TelegramKind string

// Telegram link kinds.
const (
	TelegramChannel     TelegramKind = "channel"      // t.me/name, name.t.me
	TelegramPreview     TelegramKind = "preview"      // t.me/s/name, the public web preview
	TelegramPost        TelegramKind = "post"         // t.me/name/123, t.me/s/name/123, t.me/name/7/123 (topic)
	TelegramPrivatePost TelegramKind = "private_post" // t.me/c/1234567/89: a post addressed by channel id
	TelegramInvite      TelegramKind = "invite"       // t.me/+HASH, t.me/joinchat/HASH
	TelegramFolder      TelegramKind = "folder"       // t.me/addlist/SLUG: a shared folder of chats
	TelegramStickers    TelegramKind = "stickers"     // t.me/addstickers/NAME, t.me/addemoji/NAME
	TelegramShare       TelegramKind = "share"        // t.me/share/url?url=...
	TelegramInstantView TelegramKind = "instant_view" // t.me/iv?url=...
	TelegramProxy       TelegramKind = "proxy"        // t.me/proxy?server=..., t.me/socks?...
	TelegramBoost       TelegramKind = "boost"        // t.me/boost/name
	TelegramOther       TelegramKind = "other"        // any other Telegram URL (telegram.org pages, t.me/+phone, ...)
)

// TelegramLink is what a Telegram URL points at.
type TelegramLink struct {
	// Kind is the link's shape.
	Kind TelegramKind
	// Username is the lowercase username of the channel, bot or user the
	// link names (channel, preview, post, boost, and other shapes under a
	// username such as t.me/name/app); "" otherwise.
	Username string
	// ChannelID is the channel id of a private_post link (t.me/c/ID/...),
	// without the -100 prefix of Bot API chat ids.
	ChannelID int64
	// PostID is the message id of a post or private_post link.
	PostID int64
	// ThreadID is the topic id of a forum post link (t.me/name/THREAD/POST).
	ThreadID int64
	// Preview is set for t.me/s/ links.
	Preview bool
	// IsInvite is set for invite and folder links: they lead into chats that
	// may be private.
	IsInvite bool
	// InviteHash is the invite hash or folder slug. It grants access to a
	// possibly private chat: callers store only a keyed hash of it.
	InviteHash string
	// StickerSet is the name of a sticker or emoji set.
	StickerSet string
	// TargetURL is the URL carried by share and instant_view links, as
	// written (pass it to Normalize to use it).
	TargetURL string
}

// Errors returned by ParseTelegram, ParseSeed and ValidateUsername.
var (
	ErrNotTelegram     = errors.New("not a Telegram link")
	ErrInvalidUsername = errors.New("invalid Telegram username")
)

// telegramHosts are the hosts that serve t.me links; telegram.org and
// telesco.pe are Telegram too but have their own shapes.
var telegramHosts = map[string]bool{"t.me": true, "telegram.me": true, "telegram.dog": true}

// tmeReserved are first path segments of t.me that name Telegram features,
// not usernames.
var tmeReserved = map[string]bool{
	"login": true, "setlanguage": true, "addtheme": true, "confirmphone": true,
	"contact": true, "giftcode": true, "invoice": true, "premium_offer": true,
	"premium_multigift": true, "stars_topup": true, "socks": true, "proxy": true,
	"share": true, "joinchat": true, "addstickers": true, "addemoji": true,
	"addlist": true, "boost": true, "iv": true, "m": true, "nft": true, "bg": true,
}

// ParseTelegram tells what a normalized Telegram URL points at. It fails with
// ErrNotTelegram for other hosts and with ErrInvalidUsername (wrapped, with
// the reason) when the place of a username holds something that cannot be
// one. t.me/+<digits> opens a person by phone number: it is reported as
// TelegramOther with nothing kept. tg:// links reach here as their t.me
// forms, which Normalize produces.
func ParseTelegram(u URL) (TelegramLink, error) {
	host := u.SiteHost()
	segs := pathSegments(u.Path)
	switch {
	case telegramHosts[host] || host == "telesco.pe":
	case host == "telegram.org" || strings.HasSuffix(host, ".telegram.org"):
		return TelegramLink{Kind: TelegramOther}, nil
	case strings.HasSuffix(host, ".t.me") && strings.Count(host, ".") == 2:
		// name.t.me is the same as t.me/name.
		segs = append([]string{strings.TrimSuffix(host, ".t.me")}, segs...)
	default:
		return TelegramLink{}, fmt.Errorf("%w: host %q", ErrNotTelegram, u.Host)
	}
	if len(segs) == 0 {
		return TelegramLink{Kind: TelegramOther}, nil
	}
	first := segs[0]
	arg := func(i int) string {
		if i < len(segs) {
			return segs[i]
		}
		return ""
	}
	if hash, ok := strings.CutPrefix(first, "+"); ok {
		if hash == "" || isAllDigits(hash) {
			return TelegramLink{Kind: TelegramOther}, nil
		}
		return TelegramLink{Kind: TelegramInvite, IsInvite: true, InviteHash: hash}, nil
	}
	switch strings.ToLower(first) {
	case "joinchat":
		if arg(1) == "" {
			return TelegramLink{Kind: TelegramOther}, nil
		}
		return TelegramLink{Kind: TelegramInvite, IsInvite: true, InviteHash: arg(1)}, nil
	case "addlist":
		if arg(1) == "" {
			return TelegramLink{Kind: TelegramOther}, nil
		}
		return TelegramLink{Kind: TelegramFolder, IsInvite: true, InviteHash: arg(1)}, nil
	case "s":
		l, err := usernameLink(segs[1:])
		if err != nil {
			return TelegramLink{}, err
		}
		l.Preview = true
		if l.Kind == TelegramChannel {
			l.Kind = TelegramPreview
		}
		return l, nil
	case "c":
		ch, err1 := strconv.ParseInt(arg(1), 10, 64)
		post, err2 := strconv.ParseInt(arg(len(segs)-1), 10, 64)
		if err1 != nil || err2 != nil || len(segs) < 3 || len(segs) > 4 || ch <= 0 || post <= 0 {
			return TelegramLink{Kind: TelegramOther}, nil
		}
		l := TelegramLink{Kind: TelegramPrivatePost, ChannelID: ch, PostID: post}
		if len(segs) == 4 {
			if l.ThreadID, err1 = strconv.ParseInt(segs[2], 10, 64); err1 != nil {
				return TelegramLink{Kind: TelegramOther}, nil
			}
		}
		return l, nil
	case "addstickers", "addemoji":
		if arg(1) == "" {
			return TelegramLink{Kind: TelegramOther}, nil
		}
		return TelegramLink{Kind: TelegramStickers, StickerSet: arg(1)}, nil
	case "share":
		return TelegramLink{Kind: TelegramShare, TargetURL: u.Query("url")}, nil
	case "iv":
		return TelegramLink{Kind: TelegramInstantView, TargetURL: u.Query("url")}, nil
	case "proxy", "socks":
		return TelegramLink{Kind: TelegramProxy}, nil
	case "boost":
		if arg(1) == "" {
			return TelegramLink{Kind: TelegramBoost}, nil
		}
		name, err := NormalizeUsername(arg(1))
		if err != nil {
			return TelegramLink{}, err
		}
		return TelegramLink{Kind: TelegramBoost, Username: name}, nil
	}
	if tmeReserved[strings.ToLower(first)] || strings.HasPrefix(first, "$") {
		return TelegramLink{Kind: TelegramOther}, nil
	}
	return usernameLink(segs)
}

// usernameLink parses name[/post] or name/thread/post.
func usernameLink(segs []string) (TelegramLink, error) {
	if len(segs) == 0 {
		return TelegramLink{}, fmt.Errorf("%w: missing", ErrInvalidUsername)
	}
	name, err := NormalizeUsername(segs[0])
	if err != nil {
		return TelegramLink{}, err
	}
	l := TelegramLink{Kind: TelegramChannel, Username: name}
	switch len(segs) {
	case 1:
		return l, nil
	case 2:
		if id, err := strconv.ParseInt(segs[1], 10, 64); err == nil && id > 0 {
			l.Kind, l.PostID = TelegramPost, id
			return l, nil
		}
	case 3:
		thread, err1 := strconv.ParseInt(segs[1], 10, 64)
		post, err2 := strconv.ParseInt(segs[2], 10, 64)
		if err1 == nil && err2 == nil && thread > 0 && post > 0 {
			l.Kind, l.ThreadID, l.PostID = TelegramPost, thread, post
			return l, nil
		}
	}
	l.Kind = TelegramOther
	return l, nil
}

// pathSegments splits a normalized path into decoded, non-empty segments.
func pathSegments(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	segs := strings.Split(p, "/")
	out := segs[:0]
	for _, s := range segs {
		if s == "" {
			continue
		}
		if d, err := url.PathUnescape(s); err == nil {
			s = d
		}
		out = append(out, s)
	}
	return out
}

// NormalizeUsername checks a Telegram username (without "@") and returns it
// lowercased. The rules are Telegram's: letters a-z, digits and underscores;
// first a letter; no trailing underscore and no two in a row; 5 to 32
// characters, or 4 for the collectible usernames sold on Fragment. Usernames
// are case-insensitive, so the lowercase form is the one to compare and
// store. The error wraps ErrInvalidUsername and says what is wrong.
func NormalizeUsername(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalidUsername)
	}
	for i, r := range name {
		if r >= 0x80 || !isNameByte(byte(r)) {
			return "", fmt.Errorf("%w %q: character %q at position %d (allowed: a-z, 0-9, _)", ErrInvalidUsername, name, r, i+1)
		}
	}
	switch {
	case isASCIIDigit(name[0]):
		return "", fmt.Errorf("%w %q: starts with a digit", ErrInvalidUsername, name)
	case name[0] == '_':
		return "", fmt.Errorf("%w %q: starts with an underscore", ErrInvalidUsername, name)
	case len(name) < 4:
		return "", fmt.Errorf("%w %q: too short (%d characters, at least 5, or 4 for collectible usernames)", ErrInvalidUsername, name, len(name))
	case len(name) > 32:
		return "", fmt.Errorf("%w %q: too long (%d characters, at most 32)", ErrInvalidUsername, name, len(name))
	case name[len(name)-1] == '_':
		return "", fmt.Errorf("%w %q: ends with an underscore", ErrInvalidUsername, name)
	case strings.Contains(name, "__"):
		return "", fmt.Errorf("%w %q: two underscores in a row", ErrInvalidUsername, name)
	}
	return strings.ToLower(name), nil
}
