// Package tgexport reads a channel exported by hand with Telegram Desktop (result.json), in
// the old layout (2020-21: no date_unixtime or text_entities, text a string or an array of
// strings and entity objects) and the current one (date_unixtime, text_entities, reactions,
// forwarded_from_id). The file is read with a streaming JSON decoder, one message at a time,
// so an export of any size takes constant memory.
//
// Messages become posts of the exported channel (service messages with kind service); a
// forward from a channel points at it, a forward from a user (or a hidden name) becomes a
// keyed hash, as the collector stores them. Links and mentions are extracted from the text
// and its entities by links, exactly as for collected posts.
package tgexport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/tidewatch/tidewatch/collector/importer"
	"github.com/tidewatch/tidewatch/links"
	"github.com/tidewatch/tidewatch/schema"
)

// Format is the telegram-desktop import format.
var Format = importer.Format{
	Name:    "telegram-desktop",
	Summary: "a channel exported with Telegram Desktop (result.json, old and current layouts)",
	Open:    Open,
}

// chatKinds maps the export's chat types to channel kinds. Chats with persons (personal,
// bot, private groups, saved messages) are refused: tidewatch reads public communication only.
var chatKinds = map[string]string{
	"public_channel":     "channel",
	"private_channel":    "channel",
	"public_supergroup":  "supergroup",
	"private_supergroup": "",
	"private_group":      "",
	"personal_chat":      "",
	"bot_chat":           "",
	"saved_messages":     "",
}

type parser struct {
	env     *importer.Env
	lc      *importer.LineCounter
	dec     *json.Decoder
	name    string
	kind    string
	id      uint64
	done    bool
	channel schema.Channel
	first   time.Time
	last    time.Time
}

// Open reads the export's header (name, type, id) up to the start of the messages.
func Open(r io.Reader, env *importer.Env) (importer.Parser, error) {
	lc := importer.NewLineCounter(r)
	p := &parser{env: env, lc: lc, dec: json.NewDecoder(lc)}
	p.dec.UseNumber()
	fatal := func(field, expected, got string) error {
		return importer.Fatal(env.File, lc.LineAt(p.dec.InputOffset()), field, expected, got)
	}
	tok, err := p.dec.Token()
	if err == io.EOF {
		return nil, importer.Fatal(env.File, 1, "export", "a Telegram Desktop export (result.json)", "an empty file")
	}
	if err != nil || tok != json.Delim('{') {
		return nil, fatal("export", "a JSON object (result.json of a Telegram Desktop export)", tokenText(tok, err))
	}
	var chatType string
	haveID := false
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return nil, fatal("export", "a JSON object", tokenText(tok, err))
		}
		key, _ := tok.(string)
		if !importer.IsText(key) {
			return nil, fatal(importer.JSONKey(key), importer.TextExpected, key)
		}
		switch key {
		case "name":
			var s *string
			if err := p.dec.Decode(&s); err != nil {
				return nil, fatal("name", "the chat's name", err.Error())
			}
			if s != nil {
				if !importer.IsText(*s) {
					return nil, fatal("name", importer.TextExpected, *s)
				}
				p.name = *s
			}
		case "type":
			if err := p.dec.Decode(&chatType); err != nil {
				return nil, fatal("type", "the chat's type", err.Error())
			}
			kind, known := chatKinds[chatType]
			if !known || kind == "" {
				return nil, fatal("type", "a channel or public supergroup export (public_channel, private_channel, public_supergroup)", chatType)
			}
			p.kind = kind
		case "id":
			var n json.Number
			if err := p.dec.Decode(&n); err != nil {
				return nil, fatal("id", "the chat's numeric id", err.Error())
			}
			id, err := strconv.ParseInt(n.String(), 10, 64)
			if err != nil || id == 0 {
				return nil, fatal("id", "the chat's numeric id", n.String())
			}
			// Bot API style ids (-100...) also appear in some tools' copies of exports.
			if id < 0 {
				id = -id
				if id > 1000000000000 {
					id -= 1000000000000
				}
			}
			p.id, haveID = uint64(id), true
		case "chats", "personal_information", "contacts":
			return nil, fatal(key, "the export of one channel (result.json with name, type, id and messages)", "an export of a whole account")
		case "messages":
			if !haveID || p.kind == "" {
				return nil, fatal("messages", "the chat's type and id before its messages", "messages first")
			}
			tok, err := p.dec.Token()
			if err != nil || tok != json.Delim('[') {
				return nil, fatal("messages", "a list of messages", tokenText(tok, err))
			}
			p.channel = schema.Channel{
				Platform:   schema.PlatformTelegram,
				ChannelID:  p.id,
				ExternalID: strconv.FormatUint(p.id, 10),
				Title:      p.name,
				Kind:       p.kind,
				Source:     env.Source,
			}
			return p, nil
		default:
			var skip json.RawMessage
			if err := p.dec.Decode(&skip); err != nil {
				return nil, fatal(key, "a JSON value", err.Error())
			}
			var bad error
			importer.EachBadJSONString(skip, importer.JSONKey(key), func(field, s string) {
				if bad == nil {
					bad = fatal(field, importer.TextExpected, s)
				}
			})
			if bad != nil {
				return nil, bad
			}
		}
	}
	return nil, fatal("messages", "a messages list", "none")
}

func tokenText(tok json.Token, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprint(tok)
}

// message is one element of messages in either layout.
type message struct {
	ID               json.RawMessage `json:"id"`
	Type             string          `json:"type"`
	Date             string          `json:"date"`
	DateUnix         json.RawMessage `json:"date_unixtime"`
	Edited           string          `json:"edited"`
	EditedUnix       json.RawMessage `json:"edited_unixtime"`
	From             *string         `json:"from"`
	FromID           string          `json:"from_id"`
	Action           string          `json:"action"`
	ForwardedFrom    *string         `json:"forwarded_from"`
	ForwardedFromID  string          `json:"forwarded_from_id"`
	ReplyToMessageID json.RawMessage `json:"reply_to_message_id"`
	ReplyToPeerID    string          `json:"reply_to_peer_id"`
	Text             json.RawMessage `json:"text"`
	TextEntities     []textPart      `json:"text_entities"`
	Reactions        []struct {
		Count uint64 `json:"count"`
	} `json:"reactions"`
	Photo     string          `json:"photo"`
	File      string          `json:"file"`
	MediaType string          `json:"media_type"`
	Poll      json.RawMessage `json:"poll"`
	Location  json.RawMessage `json:"location_information"`
	Contact   json.RawMessage `json:"contact_information"`
	Game      string          `json:"game_title"`
	Invoice   json.RawMessage `json:"invoice_information"`
}

// textPart is an element of a text array or of text_entities.
type textPart struct {
	Type   string          `json:"type"`
	Text   string          `json:"text"`
	Href   string          `json:"href"`
	UserID json.RawMessage `json:"user_id"`
}

// Next decodes one message.
func (p *parser) Next(rec *importer.Record) error {
	if p.done || !p.dec.More() {
		p.done = true
		return io.EOF
	}
	var raw json.RawMessage
	if err := p.dec.Decode(&raw); err != nil {
		return importer.Fatal(p.env.File, p.lc.LineAt(p.dec.InputOffset()), "messages", "a list of message objects", err.Error())
	}
	// The decoder is past the message: its first line is the line of its end minus the line
	// breaks inside it.
	end := p.lc.LineAt(p.dec.InputOffset())
	rec.Line = end - bytes.Count(raw, []byte{'\n'})
	rec.Raw = append(rec.Raw, raw...)
	var m message
	if err := json.Unmarshal(raw, &m); err != nil {
		rec.Fail(p.env, "message", "a message object ("+unmarshalProblem(err)+")", importer.Shorten(string(raw), 200))
		return nil
	}
	// A \u0000 or an escape sequence in any string is damage, never a message's text.
	if !importer.CheckJSONText(p.env, rec, "", raw) {
		return nil
	}
	p.message(&m, rec)
	return nil
}

func unmarshalProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s should be %s, not %s", te.Field, te.Type, te.Value)
	}
	return err.Error()
}

// peerID splits "channel123" / "user123" / "chat123" into kind and id.
func peerID(s string) (kind string, id uint64, ok bool) {
	for _, k := range []string{"channel", "user", "chat", "group"} {
		if rest, found := strings.CutPrefix(s, k); found {
			n, err := strconv.ParseUint(rest, 10, 64)
			return k, n, err == nil && n > 0
		}
	}
	return "", 0, false
}

// timeOf reads a message time: date_unixtime (current layout, a string of seconds) or the
// local date of the machine that exported (old layout), read in env's location.
func (p *parser) timeOf(rec *importer.Record, field string, unix json.RawMessage, local string, required bool) time.Time {
	if s := strings.Trim(string(unix), `"`); s != "" && s != "null" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			rec.Fail(p.env, field+"_unixtime", "seconds since 1970", s)
			return time.Time{}
		}
		return time.Unix(n, 0).UTC()
	}
	if local == "" {
		if required {
			rec.Fail(p.env, field, "a time like 2020-11-12T12:53:52", local)
		}
		return time.Time{}
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05", local, p.env.Loc())
	if err != nil {
		rec.Fail(p.env, field, "a time like 2020-11-12T12:53:52", local)
		return time.Time{}
	}
	return t.UTC()
}

func (p *parser) message(m *message, rec *importer.Record) {
	env := p.env
	id, err := strconv.ParseUint(strings.Trim(string(m.ID), `"`), 10, 64)
	if err != nil || id == 0 {
		rec.Fail(env, "id", "a positive message id", string(m.ID))
	}
	if m.Type != "message" && m.Type != "service" {
		rec.Fail(env, "type", "message or service", m.Type)
	}
	posted := p.timeOf(rec, "date", m.DateUnix, m.Date, true)
	edited := p.timeOf(rec, "edited", m.EditedUnix, m.Edited, false)
	text, ents, ok := p.text(m, rec)
	var replyTo uint64
	if s := strings.Trim(string(m.ReplyToMessageID), `"`); s != "" && s != "null" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			rec.Fail(env, "reply_to_message_id", "a message id", s)
		}
		replyTo = n
	}
	if len(rec.Errors) > 0 || !ok {
		return
	}

	version := schema.Version(posted)
	if !edited.IsZero() {
		version = schema.Version(edited)
	}
	if !env.ObservedAt.IsZero() {
		version = schema.Version(env.ObservedAt)
	}
	post := schema.Post{
		Platform:      schema.PlatformTelegram,
		ChannelID:     p.id,
		PostID:        id,
		PostedAt:      posted,
		EditedAt:      edited,
		Kind:          schema.KindPost,
		PostType:      "text",
		ReplyToPostID: replyTo,
		CountersAt:    env.ObservedAt,
		Source:        env.Source,
		RunID:         env.RunID,
		Version:       version,
		Hashtags:      []string{},
		Mentions:      []string{},
	}
	if m.ReplyToPeerID != "" {
		// A reply to a message of another chat: its id means nothing in this channel.
		post.ReplyToPostID = 0
	}
	if m.Type == "service" {
		post.Kind, post.PostType, post.ServiceAction = schema.KindService, "service", m.Action
	}
	if media := mediaType(m); media != "" && m.Type == "message" {
		post.MediaType, post.PostType = media, media
	}
	for _, r := range m.Reactions {
		post.Reactions += r.Count
	}

	// Author: channel posts are signed by the channel; in a supergroup, members are persons.
	if kind, fid, ok := peerID(m.FromID); ok && kind == "user" {
		post.AuthorHash = env.Hasher.Person(schema.PlatformTelegram, strconv.FormatUint(fid, 10))
	}
	// Forwards: from a channel, its id; from a user or a hidden name, a keyed hash.
	if m.ForwardedFrom != nil || m.ForwardedFromID != "" {
		kind, fid, ok := peerID(m.ForwardedFromID)
		switch {
		case ok && (kind == "channel" || kind == "chat" || kind == "group"):
			post.FwdChannelID = fid
		case ok && kind == "user":
			post.FwdPersonHash = env.Hasher.Person(schema.PlatformTelegram, strconv.FormatUint(fid, 10))
		case m.ForwardedFrom != nil && *m.ForwardedFrom != "":
			post.FwdPersonHash = env.Hasher.Name(schema.PlatformTelegram, *m.ForwardedFrom)
		default:
			post.FwdPersonHash = env.Hasher.Name(schema.PlatformTelegram, "(hidden)")
		}
	}
	if m.Type == "message" {
		env.Extract(&post, importer.Content{Text: text, Entities: ents}, &rec.Rows)
	} else {
		post.TextLength, post.TextHash = 0, 0
	}
	if post.Hashtags == nil {
		post.Hashtags = []string{}
	}
	if post.Mentions == nil {
		post.Mentions = []string{}
	}
	rec.Rows.Posts = append(rec.Rows.Posts, post)

	if p.first.IsZero() || posted.Before(p.first) {
		p.first = posted
	}
	if posted.After(p.last) {
		p.last = posted
	}
	ch := p.channel
	ch.FirstSeenAt, ch.LastSeenAt = p.first, p.last
	// An export names the channel but has no username, about text or subscribers: its row
	// must not replace a fuller one the collector wrote.
	ch.Version = importer.PartialIdentityVersion
	rec.Rows.Channels = append(rec.Rows.Channels, ch)
	rec.Authors = append(rec.Authors, importer.AccountRef{Platform: schema.PlatformTelegram, ID: ch.ExternalID})
}

// mediaType names a message's media as the collector does (photo, video, round_video, voice,
// audio, sticker, animation, document, poll, geo, ...).
func mediaType(m *message) string {
	switch {
	case m.Photo != "":
		return "photo"
	case m.MediaType != "":
		switch m.MediaType {
		case "video_file":
			return "video"
		case "video_message":
			return "round_video"
		case "voice_message":
			return "voice"
		case "audio_file":
			return "audio"
		}
		return m.MediaType // sticker, animation
	case m.File != "":
		return "document"
	case len(m.Poll) > 0 && string(m.Poll) != "null":
		return "poll"
	case len(m.Location) > 0:
		return "geo"
	case len(m.Contact) > 0:
		return "contact"
	case m.Game != "":
		return "game"
	case len(m.Invoice) > 0:
		return "invoice"
	}
	return ""
}

// text assembles the message's plain text and its entities (UTF-16 offsets) from
// text_entities (current layout) or the text array (old layout).
func (p *parser) text(m *message, rec *importer.Record) (string, []links.Entity, bool) {
	parts := m.TextEntities
	if parts == nil {
		t := bytes.TrimSpace(m.Text)
		switch {
		case len(t) == 0 || string(t) == "null":
		case t[0] == '"':
			var s string
			if err := json.Unmarshal(t, &s); err != nil {
				rec.Fail(p.env, "text", "a string or a list of text parts", string(t))
				return "", nil, false
			}
			return s, nil, true
		case t[0] == '[':
			var items []json.RawMessage
			if err := json.Unmarshal(t, &items); err != nil {
				rec.Fail(p.env, "text", "a string or a list of text parts", string(t))
				return "", nil, false
			}
			for i, it := range items {
				it = bytes.TrimSpace(it)
				if len(it) > 0 && it[0] == '"' {
					var s string
					_ = json.Unmarshal(it, &s)
					parts = append(parts, textPart{Type: "plain", Text: s})
					continue
				}
				var tp textPart
				if err := json.Unmarshal(it, &tp); err != nil {
					rec.Fail(p.env, fmt.Sprintf("text[%d]", i), "a string or a {type, text} object", string(it))
					return "", nil, false
				}
				parts = append(parts, tp)
			}
		default:
			rec.Fail(p.env, "text", "a string or a list of text parts", string(t))
			return "", nil, false
		}
	}
	var b strings.Builder
	var ents []links.Entity
	off := 0
	for _, tp := range parts {
		n := len(utf16.Encode([]rune(tp.Text)))
		if tp.Type != "" && tp.Type != "plain" {
			ents = append(ents, links.Entity{Type: tp.Type, Offset: off, Length: n, URL: tp.Href})
		}
		b.WriteString(tp.Text)
		off += n
	}
	return b.String(), ents, true
}
