package collect

import (
	"strconv"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/collector/collect/state"
	"github.com/tidewatch/tidewatch/collector/telegram"
	"github.com/tidewatch/tidewatch/links"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/privacy"
)

const sourceCollector = "collector"

// noStrings is the shared empty list of rows without hashtags or mentions (never appended
// to in place: append on a zero-capacity slice copies).
var noStrings = make([]string, 0)

// ref is a reference from a post or a channel to another channel, for discovery.
type ref struct {
	id       int64 // 0 when only the username is known
	username string
	info     *telegram.ChannelInfo // the account's view of the target, when the answer had it
	rule     string
}

// rowMaker renders answers as rows. Workers use it concurrently: its only mutable part,
// the username index, locks.
type rowMaker struct {
	runID     string
	storeText bool
	// hasher replaces persons and invite secrets by keyed hashes.
	hasher *privacy.Hasher
	names  *nameIndex
}

// postRows is what one message gives.
type postRows struct {
	post  schema.Post
	links []schema.PostLink
	refs  []ref
}

func fromEntities(es []telegram.Entity) []links.Entity {
	out := make([]links.Entity, len(es))
	for i, e := range es {
		out[i] = links.Entity{Type: e.Type, Offset: e.Offset, Length: e.Length, URL: e.URL}
	}
	return out
}

// messageRows turns a message of channel self into its posts row, its links and the
// references it makes. chats are the channels the answer described, for forward sources.
func (rm *rowMaker) messageRows(self int64, selfName string, m *telegram.Message, chats map[int64]*telegram.ChannelInfo, now time.Time) postRows {
	p := schema.Post{
		Platform:      schema.PlatformTelegram,
		ChannelID:     uint64(self),
		PostID:        uint64(m.ID),
		PostedAt:      m.Date,
		EditedAt:      m.EditDate,
		Kind:          schema.KindPost,
		PostType:      "text",
		ServiceAction: m.Action,
		AlbumID:       uint64(m.GroupedID),
		FwdChannelID:  uint64(max(m.FwdChannelID, 0)),
		FwdPostID:     uint64(max(m.FwdPostID, 0)),
		FwdAt:         m.FwdDate,
		ReplyToPostID: uint64(max(m.ReplyTo, 0)),
		TextLength:    uint32(links.UTF16Len(m.Text)),
		TextHash:      privacy.TextHash(m.Text),
		MediaType:     m.Media,
		Views:         uint64(max(m.Views, 0)),
		Forwards:      uint64(max(m.Forwards, 0)),
		Replies:       uint64(max(m.Replies, 0)),
		Reactions:     uint64(max(m.ReactionsTotal(), 0)),
		CountersAt:    now,
		Source:        sourceCollector,
		RunID:         rm.runID,
		Version:       schema.Version(now),
		Hashtags:      noStrings,
		Mentions:      noStrings,
	}
	if m.Service {
		p.Kind, p.PostType = schema.KindService, "service"
	} else if m.Media != "" {
		p.PostType = m.Media
	}
	switch {
	case m.FwdFromName != "":
		p.FwdPersonHash = rm.hasher.Name(schema.PlatformTelegram, m.FwdFromName)
	case m.FwdUserID != 0:
		p.FwdPersonHash = rm.hasher.Person(schema.PlatformTelegram, strconv.FormatInt(m.FwdUserID, 10))
	}
	if rm.storeText {
		p.Text = m.Text
	}
	out := postRows{}
	if m.FwdChannelID != 0 && m.FwdChannelID != self {
		r := ref{id: m.FwdChannelID, rule: "forward", info: chats[m.FwdChannelID]}
		for i := range m.Mentioned {
			if m.Mentioned[i].ChannelID == m.FwdChannelID {
				r.info = &m.Mentioned[i]
			}
		}
		out.refs = append(out.refs, r)
	}
	if m.Text != "" && !m.Service {
		ex := links.ExtractAll(m.Text, fromEntities(m.Entities))
		for _, h := range ex.Hashtags {
			p.Hashtags = append(p.Hashtags, h.Normalized)
		}
		base := schema.PostLink{Platform: schema.PlatformTelegram, ChannelID: uint64(self), PostID: uint64(m.ID), PostedAt: m.Date, RunID: rm.runID}
		for _, l := range ex.Links {
			row, r := rm.linkRow(base, l.URL, string(l.Platform), string(l.Source), self, selfName)
			out.links = append(out.links, row)
			p.LinkCount++
			if r != nil {
				out.refs = append(out.refs, *r)
			}
		}
		for _, mn := range ex.Mentions {
			row, r := rm.mentionRow(base, mn, self, selfName)
			out.links = append(out.links, row)
			if mn.Instance == "" {
				p.Mentions = append(p.Mentions, mn.Username)
			}
			if r != nil {
				out.refs = append(out.refs, *r)
			}
		}
	}
	out.post = p
	return out
}

// linkRow classifies one URL. Telegram links are resolved to channels where the username is
// known; invite links keep only a keyed hash of their secret.
func (rm *rowMaker) linkRow(base schema.PostLink, u links.URL, platform, source string, self int64, selfName string) (schema.PostLink, *ref) {
	row := base
	row.URL = u.String()
	row.LinkKind = "url"
	row.SourceKind = source
	row.Domain = u.Host
	row.RegisteredDomain = u.Domain
	row.DestPlatform = platform
	if u.IsShortener {
		row.Shortener = 1
	}
	tl, err := links.ParseTelegram(u)
	if err != nil {
		return row, nil
	}
	switch {
	case tl.IsInvite:
		row.LinkKind = "invite"
		row.URL = rm.hasher.Invite(tl.InviteHash)
		return row, nil
	case tl.Kind == links.TelegramPrivatePost:
		row.TargetChannelID = uint64(max(tl.ChannelID, 0))
		row.TargetPostID = uint64(max(tl.PostID, 0))
		return row, nil
	case tl.Username == "":
		return row, nil
	}
	row.TargetUsername = tl.Username
	row.TargetPostID = uint64(max(tl.PostID, 0))
	id, known := rm.names.get(tl.Username)
	if known {
		row.TargetChannelID = uint64(id)
	}
	switch tl.Kind {
	case links.TelegramChannel, links.TelegramPreview, links.TelegramPost:
		if (known && id == self) || strings.EqualFold(tl.Username, selfName) {
			return row, nil
		}
		return row, &ref{id: id, username: tl.Username, rule: "tme_link"}
	}
	return row, nil
}

// mentionRow records an @mention: a Telegram username, or a fediverse address. Its url is
// the mention as written ("@name", "@user@instance"), not a link: a post that both links
// t.me/name and mentions @name keeps two rows, since url is part of the table's key.
func (rm *rowMaker) mentionRow(base schema.PostLink, mn links.Mention, self int64, selfName string) (schema.PostLink, *ref) {
	row := base
	row.LinkKind = "mention"
	row.SourceKind = string(mn.Source)
	if mn.Instance != "" {
		u := links.URL{Scheme: "https", Host: mn.Instance, Path: "/@" + mn.Name, Domain: mn.Instance}
		if nu, err := links.Normalize(u.String()); err == nil {
			u = nu
		}
		row.URL = "@" + mn.Name + "@" + mn.Instance
		row.Domain = u.Host
		row.RegisteredDomain = u.Domain
		row.DestPlatform = string(links.PlatformMastodon)
		if p := links.Classify(u); p != links.PlatformWeb {
			row.DestPlatform = string(p)
		}
		row.TargetUsername = strings.ToLower(mn.Name) + "@" + mn.Instance
		return row, nil
	}
	row.URL = "@" + mn.Username
	row.Domain, row.RegisteredDomain = "t.me", "t.me"
	row.DestPlatform = string(links.PlatformTelegram)
	row.TargetUsername = mn.Username
	id, known := rm.names.get(mn.Username)
	if known {
		row.TargetChannelID = uint64(id)
	}
	if (known && id == self) || strings.EqualFold(mn.Username, selfName) {
		return row, nil
	}
	return row, &ref{id: id, username: mn.Username, rule: "mention"}
}

// aboutLinks are the rows of the links in channel id's about text, dated by when the text
// was first seen.
func (rm *rowMaker) aboutLinks(id int64, username, about string, since time.Time) []schema.PostLink {
	base := schema.PostLink{Platform: schema.PlatformTelegram, ChannelID: uint64(id), PostedAt: since, RunID: rm.runID}
	var rows []schema.PostLink
	for _, l := range links.Extract(about, nil) {
		row, _ := rm.linkRow(base, l.URL, string(l.Platform), "about", id, username)
		rows = append(rows, row)
	}
	return rows
}

// accountLinks renders proposed account links of a channel.
func (rm *rowMaker) accountLinks(channel int64, evidence string, hs []state.Handle, firstSeen, verified time.Time) []schema.AccountLink {
	out := make([]schema.AccountLink, 0, len(hs))
	for _, h := range hs {
		out = append(out, schema.AccountLink{
			FromPlatform: schema.PlatformTelegram, FromChannelID: uint64(channel),
			ToPlatform: h.Platform, ToHandle: h.Handle, ToURL: h.URL,
			Evidence: evidence, EvidenceText: h.Evidence, Confidence: h.Confidence,
			Status: "proposed", FirstSeenAt: firstSeen, LastVerifiedAt: verified,
			Version: schema.Version(verified),
		})
	}
	return out
}

// counterRow is one read of a post's counters.
func (rm *rowMaker) counterRow(channel int64, id int, posted, read time.Time, target time.Duration, views, forwards, replies int, reactions []telegram.Reaction) schema.PostCounters {
	r := schema.PostCounters{
		Platform:      schema.PlatformTelegram,
		ChannelID:     uint64(channel),
		PostID:        uint64(id),
		ReadAt:        read,
		PostedAt:      posted,
		AgeS:          uint32(max(read.Sub(posted), 0) / time.Second),
		TargetAgeS:    uint32(target / time.Second),
		Views:         uint64(max(views, 0)),
		Forwards:      uint64(max(forwards, 0)),
		Replies:       uint64(max(replies, 0)),
		ReactionEmoji: []string{},
		ReactionCount: []uint64{},
		RunID:         rm.runID,
	}
	for _, x := range reactions {
		r.ReactionEmoji = append(r.ReactionEmoji, x.Emoji)
		r.ReactionCount = append(r.ReactionCount, uint64(max(x.Count, 0)))
		r.Reactions += uint64(max(x.Count, 0))
	}
	return r
}
