package accountlink

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tidewatch/tidewatch/links"
)

// AccountRef names an account on the command line: "platform:handle" ("telegram:@rybar",
// "twitter:rybar_force") or "platform:id:NUMBER" ("telegram:id:1326223284").
type AccountRef struct {
	Platform  string
	Handle    string
	ChannelID uint64
}

func (r AccountRef) String() string {
	if r.Handle != "" {
		return r.Platform + ":" + r.Handle
	}
	return r.Platform + ":id:" + strconv.FormatUint(r.ChannelID, 10)
}

// ParseAccountRef reads "platform:handle" or "platform:id:NUMBER". Handles are normalized by
// the platform's rules (package links), so "@Rybar" and "rybar" are one account.
func ParseAccountRef(s string) (AccountRef, error) {
	platform, rest, ok := strings.Cut(strings.TrimSpace(s), ":")
	platform = strings.ToLower(platform)
	if !ok || platform == "" || rest == "" {
		return AccountRef{}, fmt.Errorf("account %q: expected platform:handle or platform:id:NUMBER", s)
	}
	if idText, isID := strings.CutPrefix(rest, "id:"); isID {
		id, err := strconv.ParseUint(idText, 10, 64)
		if err != nil || id == 0 {
			return AccountRef{}, fmt.Errorf("account %q: expected a numeric id after id:", s)
		}
		return AccountRef{Platform: platform, ChannelID: id}, nil
	}
	h, _, err := links.NormalizeHandle(links.Platform(platform), rest)
	if err != nil {
		// Platforms package links has no rules for keep the handle lowercased.
		h = strings.ToLower(strings.TrimLeft(rest, "@"))
		if h == "" || strings.ContainsAny(h, " /:") {
			return AccountRef{}, fmt.Errorf("account %q: %w", s, err)
		}
	}
	return AccountRef{Platform: platform, Handle: h}, nil
}
