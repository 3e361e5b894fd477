package world

import (
	"strings"
)

// accountForms are the ways a channel names an off-platform account; %s is the handle.
var accountForms = map[string][]string{
	"twitter":     {"Twitter: @%s", "https://x.com/%s", "x.com/%s", "twitter.com/%s", "🐦 @%s"},
	"facebook":    {"FB: facebook.com/%s", "Facebook: https://www.facebook.com/%s"},
	"youtube":     {"youtube.com/@%s", "YouTube: https://www.youtube.com/@%s", "YT: @%s"},
	"instagram":   {"IG: %s", "Instagram: @%s", "instagram.com/%s"},
	"tiktok":      {"TikTok: @%s", "tiktok.com/@%s"},
	"vk":          {"VK: vk.com/%s", "https://vk.com/%s"},
	"gab":         {"Gab: @%s", "gab.com/%s", "https://gab.com/%s"},
	"rumble":      {"rumble.com/c/%s", "Rumble: %s"},
	"truthsocial": {"Truth Social: @%s", "truthsocial.com/@%s"},
	"bluesky":     {"Bluesky: @%s.bsky.social", "bsky.app/profile/%s.bsky.social"},
	"mastodon":    {"Mastodon: @%s@mastodon.social", "mastodon.social/@%s"},
	"odysee":      {"odysee.com/@%s", "Odysee: @%s"},
}

// accountText is how channel ch writes account a (stable per channel and platform).
func (w *World) accountText(ch *channel, a *account) string {
	token := platformTable[a.platform].token
	forms := accountForms[token]
	h := a.handle
	if token == "bluesky" || token == "vk" {
		h = strings.ToLower(h)
	}
	r := newRNG(key4(w.key, uint64(ch.id), uint64(a.platform), tagAbout))
	return strings.Replace(forms[r.intn(len(forms))], "%s", h, 1)
}

var aboutOpeners = []string{
	"Uncensored %s news, 24/7.", "%s updates from the ground.", "The voice of the %s community.",
	"Independent %s reports. No ads.", "Breaking %s news and analysis.", "%s: what the media won't show you.",
	"Daily %s digest.", "Official channel. %s news first.",
}

var aboutClosers = []string{
	"Subscribe and share.", "Links below.", "Backup channels in the pinned post.", "Contact: bot in profile.",
	"Donations keep us alive.", "", "", "Follow us everywhere:",
}

func aboutDescription(r *rng, theme string) string {
	s := strings.Replace(aboutOpeners[r.intn(len(aboutOpeners))], "%s", theme, 1)
	if c := aboutClosers[r.intn(len(aboutClosers))]; c != "" {
		s += " " + c
	}
	return s
}

// accountShown reports whether the channel names account a in its about text at t.
func accountShown(a *account, t int64) bool {
	return a.inAbout && a.from <= t && (a.until == 0 || t < a.until)
}

// planAbouts writes each channel's about texts: a description plus the
// accounts it names, rewritten at each about change (a takedown's move to
// another platform is one).
func (w *World) planAbouts() {
	for _, ch := range w.chans {
		r := newRNG(key(w.key, uint64(ch.slot), tagAbout))
		theme := w.communities[ch.community].name
		desc := aboutDescription(&r, theme)
		if ch.pred >= 0 {
			p := w.chans[ch.pred]
			if old := p.usernames[len(p.usernames)-1].value; old != "" {
				desc = []string{"New home of @", "Backup of @", "Reserve channel of @"}[r.intn(3)] + old + ". " + desc
			}
		}
		times := append([]int64{ch.created}, ch.aboutAt...)
		ch.abouts = ch.abouts[:0]
		for i, t := range times {
			if i > 0 && r.chance(0.6) {
				desc = aboutDescription(&r, theme)
			}
			var b strings.Builder
			b.WriteString(desc)
			for ai := range ch.accounts {
				a := &ch.accounts[ai]
				if accountShown(a, t) {
					b.WriteString("\n")
					b.WriteString(w.accountText(ch, a))
				}
			}
			text := b.String()
			if len(ch.abouts) > 0 && ch.abouts[len(ch.abouts)-1].value == text {
				continue
			}
			ch.abouts = append(ch.abouts, span{t, text})
		}
	}
}
