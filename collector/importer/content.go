package importer

import (
	"strings"

	"github.com/tidewatch/tidewatch/links"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/privacy"
)

// Content is what a post says, as the links package reads it.
type Content struct {
	// Text is the post's text.
	Text string
	// Entities mark spans of Text (UTF-16 offsets, as Telegram counts them).
	Entities []links.Entity
	// URLs are links the export gives beside the text (a "Link" column, a tweet's expanded
	// URLs). They are classified like the links in the text.
	URLs []string
	// Hashtags and Mentions the export lists beside the text; the text's own are added.
	Hashtags []string
	Mentions []string
	// Structured says the export lists every link, mention and hashtag in URLs, Mentions and
	// Hashtags (X/Twitter's entities): the text is not scanned, so t.co links written in it
	// are not counted beside their expanded forms.
	Structured bool
	// MentionsArePersons hashes mentions of accounts not under study (X/Twitter handles are
	// persons' names; Telegram @names in channel posts name public channels and bots and are
	// kept, as the collector keeps them).
	MentionsArePersons bool
}

// Extract fills the post's text columns, hashtags, mentions and link count from c, and appends
// its post_links rows: every URL normalized and classified by links, exactly as the
// collector does for Telegram posts, t.me links with their channel and post.
func (e *Env) Extract(p *schema.Post, c Content, rows *Rows) {
	p.TextLength = uint32(links.UTF16Len(c.Text))
	p.TextHash = privacy.TextHash(c.Text)
	if e.StoreText {
		p.Text = c.Text
	}
	if e.validating {
		return
	}
	var ex links.Extracted
	if !c.Structured {
		ex = links.ExtractAll(c.Text, c.Entities)
	}

	seen := map[string]bool{}
	var tags []string
	addTag := func(t string) {
		t = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(t), "#"))
		if t != "" && !seen["#"+t] {
			seen["#"+t] = true
			tags = append(tags, t)
		}
	}
	for _, t := range c.Hashtags {
		addTag(t)
	}
	for _, h := range ex.Hashtags {
		addTag(h.Normalized)
	}
	var mentions []string
	addMention := func(m string) {
		m = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(m), "@"))
		if m == "" || seen["@"+m] {
			return
		}
		seen["@"+m] = true
		if c.MentionsArePersons {
			m = e.MentionName(p.Platform, m)
		}
		mentions = append(mentions, m)
	}
	for _, m := range c.Mentions {
		addMention(m)
	}
	for _, m := range ex.Mentions {
		if m.Instance == "" {
			addMention(m.Username)
		}
	}
	p.Hashtags, p.Mentions = tags, mentions

	all := ex.Links
	for _, raw := range c.URLs {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		u, err := links.Normalize(raw)
		if err != nil {
			continue
		}
		all = append(all, links.Link{URL: u, Platform: links.Classify(u), Raw: raw, Source: links.SourceEntity})
	}
	urls := map[string]bool{}
	var n uint16
	for _, l := range all {
		s := l.URL.String()
		if s == "" || urls[s] {
			continue
		}
		urls[s] = true
		row := schema.PostLink{
			Platform:         p.Platform,
			ChannelID:        p.ChannelID,
			PostID:           p.PostID,
			PostedAt:         p.PostedAt,
			URL:              s,
			LinkKind:         "url",
			SourceKind:       string(l.Source),
			Domain:           l.URL.Host,
			RegisteredDomain: l.URL.Domain,
			DestPlatform:     string(l.Platform),
			RunID:            e.RunID,
		}
		if l.URL.IsShortener {
			row.Shortener = 1
		}
		if l.Platform == links.PlatformTelegram {
			if tl, err := links.ParseTelegram(l.URL); err == nil {
				row.TargetUsername = tl.Username
				if tl.ChannelID > 0 {
					row.TargetChannelID = uint64(tl.ChannelID)
				}
				if tl.PostID > 0 {
					row.TargetPostID = uint64(tl.PostID)
				}
				if tl.IsInvite {
					row.LinkKind = "invite"
					// An invite grants access to a possibly private chat: keep only its hash.
					row.URL = e.Hasher.Invite(tl.InviteHash)
				}
			}
		}
		rows.PostLinks = append(rows.PostLinks, row)
		if n < 65535 {
			n++
		}
	}
	p.LinkCount = n

	// Telegram @mentions are links between channels (the mention layer of the forward
	// network), stored as the collector stores them.
	if p.Platform == schema.PlatformTelegram && !c.MentionsArePersons {
		for _, m := range ex.Mentions {
			if m.Instance != "" {
				continue
			}
			u := "https://t.me/" + m.Username
			if urls[u] {
				continue
			}
			urls[u] = true
			rows.PostLinks = append(rows.PostLinks, schema.PostLink{
				Platform:         p.Platform,
				ChannelID:        p.ChannelID,
				PostID:           p.PostID,
				PostedAt:         p.PostedAt,
				URL:              u,
				LinkKind:         "mention",
				SourceKind:       string(m.Source),
				Domain:           "t.me",
				RegisteredDomain: "t.me",
				DestPlatform:     string(links.PlatformTelegram),
				TargetUsername:   m.Username,
				RunID:            e.RunID,
			})
		}
	}
}
