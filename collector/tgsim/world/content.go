package world

import (
	"strconv"
	"strings"
)

// PlantedLink is a link in a post's text with the platform the world planted it for.
type PlantedLink struct {
	Channel int64  `json:"channel"`
	Post    int    `json:"post"`
	URL     string `json:"url"`
	// Platform is the planted platform token (see Platforms).
	Platform string `json:"platform"`
	// Entity is "url" (the URL is in the text) or "text_url" (hidden behind link text).
	Entity string `json:"entity"`
	// Invite marks an invite link t.me/+HASH or t.me/joinchat/HASH.
	Invite bool `json:"invite,omitempty"`
	// TargetChannel/TargetPost are set for t.me links to a world channel (or one of its posts).
	TargetChannel int64 `json:"target_channel,omitempty"`
	TargetPost    int   `json:"target_post,omitempty"`
	// Forwarded marks links inside a forwarded post's text.
	Forwarded bool `json:"forwarded,omitempty"`
}

// PlantedMention is an @mention of a world channel in a post.
type PlantedMention struct {
	Channel  int64  `json:"channel"`
	Post     int    `json:"post"`
	Username string `json:"username"`
	Target   int64  `json:"target"`
}

// textOut collects a composed text. Its buffers are reused between posts;
// text() and entities() copy out what a message keeps.
type textOut struct {
	buf      []byte
	n        int // UTF-16 length so far
	ents     []Entity
	links    []PlantedLink
	mentions []PlantedMention
	record   bool // collect links and mentions (truth export only)
}

func (o *textOut) reset(record bool) {
	o.buf = o.buf[:0]
	o.n = 0
	o.ents = o.ents[:0]
	o.links = o.links[:0]
	o.mentions = o.mentions[:0]
	o.record = record
}

func (o *textOut) text() string { return string(o.buf) }

// entities returns a copy of the entities (nil for plain text).
func (o *textOut) entities() []Entity {
	if len(o.ents) == 0 {
		return nil
	}
	return append([]Entity(nil), o.ents...)
}

func (o *textOut) write(s string) {
	o.buf = append(o.buf, s...)
	o.n += utf16Len(s)
}

// entity writes s covered by an entity.
func (o *textOut) entity(typ, s, url string) {
	l := utf16Len(s)
	o.ents = append(o.ents, Entity{Type: typ, Offset: o.n, Length: l, URL: url})
	o.buf = append(o.buf, s...)
	o.n += l
}

var boldOpeners = []string{"BREAKING:", "⚡️ Update:", "URGENT", "❗️Important", "Video:", "Exclusive:", "🚨 ALERT"}
var anchorTexts = []string{"Source", "Read more", "👉 Watch", "link", "Full video here", "archive", "Details"}

// postText composes the text of post id of channel ch posted at t: a pure
// function of (seed, channel, id, t), so a forward elsewhere can show the
// same text without building ch's history. With record set, out also
// collects the planted links and mentions.
func (w *World) postText(ch *channel, id int, t int64, out *textOut) {
	r := newRNG(key4(w.key, uint64(ch.id), uint64(id), tagContent+1))
	ls := w.spec.Links
	if r.chance(0.15) {
		out.entity("bold", boldOpeners[r.intn(len(boldOpeners))], "")
		out.write(" ")
	}
	nw := 4 + r.intn(28)
	for i := 0; i < nw; i++ {
		if i > 0 {
			if r.chance(0.08) {
				out.write(". ")
			} else {
				out.write(" ")
			}
		}
		if r.chance(0.06) {
			out.write(exoticWords[r.intn(len(exoticWords))])
		} else {
			out.write(words[r.intn(len(words))])
		}
	}
	out.write(".")
	for n := r.poisson(ls.Mentions); n > 0; n-- {
		target := w.mentionTarget(ch, t, &r)
		if target == nil {
			continue
		}
		user := target.usernames[spanAt(target.usernames, t)].value
		out.write(" ")
		out.entity("mention", "@"+user, "")
		if out.record {
			out.mentions = append(out.mentions, PlantedMention{Channel: ch.id, Post: id, Username: user, Target: target.id})
		}
	}
	var mix linkMix
	nl := r.poisson(ls.PerPost)
	if nl > 0 {
		mix = mixAt(&w.communities[ch.community].mix, ch.community, w.takedowns, t)
	}
	for ; nl > 0; nl-- {
		p := r.pick(mix[:])
		link := PlantedLink{Channel: ch.id, Post: id, Platform: platformTable[p].token, Entity: "url"}
		if p == platformTelegram {
			link.URL, link.TargetChannel, link.TargetPost, link.Invite = w.telegramLink(ch, t, &r)
		} else {
			handle := w.linkHandle(ch, p, &r)
			link.URL = urlBuilder{&r}.outlink(p, handle)
		}
		if r.chance(ls.Hidden) {
			link.Entity = "text_url"
			if !strings.Contains(link.URL, "://") {
				link.URL = "https://" + link.URL
			}
			out.write(" ")
			out.entity("text_url", anchorTexts[r.intn(len(anchorTexts))], link.URL)
		} else {
			out.write("\n")
			out.entity("url", link.URL, "")
		}
		if out.record {
			out.links = append(out.links, link)
		}
	}
	if r.chance(ls.Invites) {
		link := PlantedLink{Channel: ch.id, Post: id, Platform: "telegram", Entity: "url", Invite: true}
		link.URL = inviteLink(&r)
		out.write("\nJoin: ")
		out.entity("url", link.URL, "")
		if out.record {
			out.links = append(out.links, link)
		}
	}
	for n := r.poisson(ls.Hashtags); n > 0; n-- {
		out.write(" ")
		out.entity("hashtag", "#"+words[r.intn(len(words))], "")
	}
}

func inviteLink(r *rng) string {
	u := urlBuilder{r}
	if r.chance(0.8) {
		return "https://t.me/+" + u.token(16)
	}
	return "https://t.me/joinchat/" + u.token(22)
}

// linkHandle is the account a link to platform p names: often the
// channel's own account there, else someone else's.
func (w *World) linkHandle(ch *channel, p int, r *rng) string {
	if r.chance(0.4) {
		for i := range ch.accounts {
			if ch.accounts[i].platform == p {
				return ch.accounts[i].handle
			}
		}
	}
	return usernameCandidate(r, w.communities[r.intn(len(w.communities))].name)
}

// mentionTarget picks a world channel readable at t with a username at t,
// preferring the channel's forward sources.
func (w *World) mentionTarget(ch *channel, t int64, r *rng) *channel {
	for try := 0; try < 4; try++ {
		var c *channel
		// Mostly the channels it forwards from: a channel talks about its sources.
		if len(ch.sources) > 0 && r.chance(0.9) {
			c = w.chans[ch.sources[r.intn(len(ch.sources))]]
		} else {
			m := w.communities[ch.community].members
			c = w.chans[m[r.intn(len(m))]]
		}
		if c == ch || c.statusAt(t) != StatusActive {
			continue
		}
		if i := spanAt(c.usernames, t); i >= 0 && c.usernames[i].value != "" {
			return c
		}
	}
	return nil
}

// telegramLink builds a t.me link: to a world channel (or one of its
// posts), an invite link, or a channel outside the world.
func (w *World) telegramLink(ch *channel, t int64, r *rng) (url string, target int64, post int, invite bool) {
	scheme := urlBuilder{r}.scheme()
	dom := "t.me"
	if r.chance(0.05) {
		dom = "telegram.me"
	}
	switch x := r.float(); {
	case x < 0.65:
		if c := w.mentionTarget(ch, t, r); c != nil {
			user := c.usernames[spanAt(c.usernames, t)].value
			if r.chance(0.5) {
				if id, _, ok := w.postBefore(c, t, r); ok {
					return scheme + dom + "/" + user + "/" + strconv.Itoa(id), c.id, id, false
				}
			}
			return scheme + dom + "/" + user, c.id, 0, false
		}
	case x < 0.85:
		return inviteLink(r), 0, 0, true
	}
	// A channel outside the world; the suffix keeps it off world usernames.
	return scheme + dom + "/" + usernameCandidate(r, "ext") + "_x", 0, 0, false
}

// pinnedText is the channel's pinned post: its accounts elsewhere.
func (w *World) pinnedText(ch *channel, out *textOut, id int) {
	var named []*account
	for i := range ch.accounts {
		a := &ch.accounts[i]
		if a.inPinned && a.from <= ch.pinAt {
			named = append(named, a)
		}
	}
	if len(named) == 0 {
		out.write("📌 Welcome to " + ch.titles[spanAt(ch.titles, ch.pinAt)].value + "! Share the channel")
		if u := ch.usernames[spanAt(ch.usernames, ch.pinAt)].value; u != "" {
			out.write(": ")
			l := "https://t.me/" + u
			out.entity("url", l, "")
			if out.record {
				out.links = append(out.links, PlantedLink{Channel: ch.id, Post: id, URL: l, Platform: "telegram", Entity: "url", TargetChannel: ch.id})
			}
		}
		out.write(".")
		return
	}
	out.write("📌 Follow us on other platforms, in case we get banned here:")
	for _, a := range named {
		out.write("\n")
		text := w.accountText(ch, a)
		// Write the account line with entities where Telegram would put
		// them: URLs, and @handles (which Telegram takes for its own users).
		for i, part := range strings.Split(text, " ") {
			if i > 0 {
				out.write(" ")
			}
			switch {
			case strings.Contains(part, ".") && strings.Contains(part, "/"):
				out.entity("url", part, "")
				if out.record {
					out.links = append(out.links, PlantedLink{Channel: ch.id, Post: id, URL: part, Platform: platformTable[a.platform].token, Entity: "url"})
				}
			case strings.HasPrefix(part, "@") && validUsername(strings.SplitN(part[1:], "@", 2)[0]) && !strings.Contains(part[1:], "."):
				out.entity("mention", part, "")
			default:
				out.write(part)
			}
		}
	}
}
