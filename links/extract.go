package links

import (
	"math"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// EntityType is the kind of a message entity. Only the kinds that carry links,
// mentions or hashtags matter here; the rest (bold, code, ...) are ignored.
type EntityType string

// Entity kinds, named as in the Telegram Bot API and MTProto. EntityTypeOf
// maps the other spellings (Telegram Desktop exports, TL names) onto these.
const (
	EntityURL      EntityType = "url"      // a URL written in the text
	EntityTextURL  EntityType = "text_url" // text linked to a hidden URL
	EntityMention  EntityType = "mention"  // @username written in the text
	EntityHashtag  EntityType = "hashtag"
	EntityEmail    EntityType = "email"
	EntityCashtag  EntityType = "cashtag"
	EntityBotCmd   EntityType = "bot_command"
	EntityPhone    EntityType = "phone_number"
	EntityUserLink EntityType = "mention_name" // a person without username: ignored, persons are not extracted
	EntityOther    EntityType = ""             // formatting and anything unknown
)

// EntityTypeOf maps an entity kind as spelled by Telegram's APIs and exports
// ("url", "link", "messageEntityUrl", "text_link", "textUrl", ...) to an
// EntityType; unknown kinds give EntityOther.
func EntityTypeOf(name string) EntityType {
	n := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(name, "messageEntity"), "textEntityType"))
	n = strings.ReplaceAll(n, "_", "")
	switch n {
	case "url", "link":
		return EntityURL
	case "texturl", "textlink":
		return EntityTextURL
	case "mention":
		return EntityMention
	case "hashtag":
		return EntityHashtag
	case "email", "emailaddress":
		return EntityEmail
	case "cashtag":
		return EntityCashtag
	case "botcommand":
		return EntityBotCmd
	case "phone", "phonenumber":
		return EntityPhone
	case "mentionname", "textmention", "inputmessageentitymentionname":
		return EntityUserLink
	}
	return EntityOther
}

// Entity is a span of a message's text as Telegram describes it: Offset and
// Length count UTF-16 code units, as in MTProto and the Bot API. Importers of
// formats that count code points convert with CodePointsToUTF16.
type Entity struct {
	// Type is the entity kind in any spelling EntityTypeOf knows.
	Type string
	// Offset is the start of the span in UTF-16 code units.
	Offset int
	// Length is the span's length in UTF-16 code units.
	Length int
	// URL is the hidden target of a text_url entity.
	URL string
}

// Source says where in a post a link, mention or hashtag was found.
type Source string

// Sources of extracted items.
const (
	SourceEntity  Source = "entity"   // a url, mention or hashtag entity span
	SourceTextURL Source = "text_url" // the hidden URL of a text_url entity
	SourceText    Source = "text"     // found in plain text by this package
)

// Link is one URL of a post.
type Link struct {
	// URL is the normalized link.
	URL URL
	// Platform is Classify(URL), stored with the link.
	Platform Platform
	// Raw is the link as written (the span's text, or a text_url's target).
	Raw string
	// Source tells whether an entity or the plain-text scan found it.
	Source Source
	// Start and End are byte offsets into the text: the URL's span, or the
	// linked words of a text_url. Start <= End <= len(text).
	Start, End int
}

// Mention is an @name in a post.
type Mention struct {
	// Name is the name as written, without "@".
	Name string
	// Username is Name lowercased: Telegram and most platforms compare
	// usernames case-insensitively.
	Username string
	// Instance is the normalized host of a fediverse address
	// (@user@mastodon.social), or "".
	Instance string
	// Source is SourceEntity or SourceText.
	Source Source
	// Start and End are byte offsets of the span including "@".
	Start, End int
}

// Hashtag is a #tag in a post.
type Hashtag struct {
	// Tag is the tag as written, without "#".
	Tag string
	// Normalized is Tag lowercased, for counting.
	Normalized string
	// Source is SourceEntity or SourceText.
	Source Source
	// Start and End are byte offsets of the span including "#".
	Start, End int
}

// Extracted holds everything ExtractAll finds in a post, each list in text
// order and deduplicated.
type Extracted struct {
	// Links are the post's URLs, as Extract returns them.
	Links []Link
	// Mentions are the post's @names, as ExtractMentions returns them.
	Mentions []Mention
	// Hashtags are the post's #tags, as ExtractHashtags returns them.
	Hashtags []Hashtag
}

// Extract returns the links of a post: those its entities mark and those
// written in plain text that no entity covers, normalized, classified and
// deduplicated by normalized URL (the first occurrence is kept). URLs that
// do not normalize (mailto:, localhost, broken hosts) are left out.
func Extract(text string, entities []Entity) []Link {
	return ExtractAll(text, entities).Links
}

// ExtractMentions returns the @mentions of a post, deduplicated by
// username and instance. Mentions inside links and e-mail addresses are not
// mentions.
func ExtractMentions(text string, entities []Entity) []Mention {
	return ExtractAll(text, entities).Mentions
}

// ExtractHashtags returns the hashtags of a post, deduplicated by their
// lowercase form. A # inside a link is not a hashtag.
func ExtractHashtags(text string, entities []Entity) []Hashtag {
	return ExtractAll(text, entities).Hashtags
}

// span is a half-open byte range of the text.
type span struct{ start, end int }

func overlaps(spans []span, s, e int) bool {
	for _, x := range spans {
		if s < x.end && x.start < e {
			return true
		}
	}
	return false
}

// ExtractAll returns the links, mentions and hashtags of a post in one pass.
// Entities that do not fit the text (out of range, or splitting a surrogate
// pair) are ignored: they can only come from a corrupt source.
func ExtractAll(text string, entities []Entity) Extracted {
	var (
		out     Extracted
		covered []span // text already accounted for by entities
		cands   []Link
	)
	if len(entities) > 0 {
		idx := newUTF16Index(text, entities)
		for _, e := range entities {
			typ := EntityTypeOf(e.Type)
			if typ == EntityOther || typ == EntityUserLink {
				continue
			}
			s, end, ok := idx.span(e.Offset, e.Length)
			if !ok {
				continue
			}
			switch typ {
			case EntityURL:
				cands = append(cands, Link{Raw: text[s:end], Source: SourceEntity, Start: s, End: end})
			case EntityTextURL:
				cands = append(cands, Link{Raw: e.URL, Source: SourceTextURL, Start: s, End: end})
			case EntityMention:
				if m, ok := mentionFromSpan(text, s, end); ok {
					out.Mentions = append(out.Mentions, m)
				}
			case EntityHashtag:
				if h, ok := hashtagFromSpan(text, s, end); ok {
					out.Hashtags = append(out.Hashtags, h)
				}
			}
			covered = append(covered, span{s, end})
		}
	}
	for _, sp := range scanURLs(text, covered) {
		cands = append(cands, Link{Raw: text[sp.start:sp.end], Source: SourceText, Start: sp.start, End: sp.end})
	}
	slices.SortStableFunc(cands, func(a, b Link) int { return a.Start - b.Start })

	seen := map[string]bool{}
	for _, c := range cands {
		covered = append(covered, span{c.Start, c.End})
		u, err := Normalize(c.Raw)
		if err != nil {
			continue
		}
		key := u.String()
		if seen[key] {
			continue
		}
		seen[key] = true
		c.URL, c.Platform = u, Classify(u)
		out.Links = append(out.Links, c)
	}
	// E-mail addresses found in plain text are neither links nor mentions.
	covered = append(covered, scanEmails(text, covered)...)

	out.Mentions = append(out.Mentions, scanMentions(text, covered)...)
	out.Hashtags = append(out.Hashtags, scanHashtags(text, covered)...)
	slices.SortStableFunc(out.Mentions, func(a, b Mention) int { return a.Start - b.Start })
	slices.SortStableFunc(out.Hashtags, func(a, b Hashtag) int { return a.Start - b.Start })
	out.Mentions = dedupe(out.Mentions, func(m Mention) string { return m.Username + "@" + m.Instance })
	out.Hashtags = dedupe(out.Hashtags, func(h Hashtag) string { return h.Normalized })
	return out
}

func dedupe[T any](xs []T, key func(T) string) []T {
	if len(xs) < 2 {
		return xs
	}
	seen := make(map[string]bool, len(xs))
	out := xs[:0]
	for _, x := range xs {
		k := key(x)
		if !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	return out
}

// mentionFromSpan reads a mention entity's span ("@name").
func mentionFromSpan(text string, s, e int) (Mention, bool) {
	t := text[s:e]
	name, ok := strings.CutPrefix(t, "@")
	if !ok || name == "" || !isMentionName(name) {
		return Mention{}, false
	}
	return Mention{Name: name, Username: strings.ToLower(name), Source: SourceEntity, Start: s, End: e}, true
}

func isMentionName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

func isNameByte(c byte) bool {
	return isASCIILetter(c) || isASCIIDigit(c) || c == '_'
}

// hashtagFromSpan reads a hashtag entity's span ("#tag").
func hashtagFromSpan(text string, s, e int) (Hashtag, bool) {
	t := text[s:e]
	tag, ok := strings.CutPrefix(t, "#")
	if !ok {
		tag, ok = strings.CutPrefix(t, "＃")
	}
	if !ok || tag == "" {
		return Hashtag{}, false
	}
	return Hashtag{Tag: tag, Normalized: strings.ToLower(tag), Source: SourceEntity, Start: s, End: e}, true
}

// utf16Index maps the UTF-16 offsets that entities use, as Telegram counts
// them, to byte offsets. Only the offsets the entities need are mapped, in
// one pass over the text, so long posts cost no per-character table.
type utf16Index struct {
	units []int // sorted distinct UTF-16 offsets
	bytes []int // byte offset of each, or -1 when it is not a character boundary
}

func newUTF16Index(text string, entities []Entity) utf16Index {
	need := make([]int, 0, 2*len(entities))
	for _, e := range entities {
		if e.Offset >= 0 && e.Length >= 0 && e.Length <= math.MaxInt32 && e.Offset <= math.MaxInt32 {
			need = append(need, e.Offset, e.Offset+e.Length)
		}
	}
	slices.Sort(need)
	need = slices.Compact(need)
	idx := utf16Index{units: need, bytes: make([]int, len(need))}
	for i := range idx.bytes {
		idx.bytes[i] = -1
	}
	k, units := 0, 0
	for i, r := range text {
		if k == len(need) {
			break
		}
		for k < len(need) && need[k] < units {
			k++ // inside a surrogate pair: stays -1
		}
		if k < len(need) && need[k] == units {
			idx.bytes[k] = i
			k++
		}
		units++
		if r >= 0x10000 {
			units++
		}
	}
	for k < len(need) && need[k] < units {
		k++
	}
	if k < len(need) && need[k] == units {
		idx.bytes[k] = len(text)
	}
	return idx
}

// byteOffset returns the byte offset of a UTF-16 offset, or -1.
func (x utf16Index) byteOffset(u int) int {
	i, ok := slices.BinarySearch(x.units, u)
	if !ok {
		return -1
	}
	return x.bytes[i]
}

// span converts a UTF-16 offset and length to byte offsets.
func (x utf16Index) span(off, length int) (int, int, bool) {
	if off < 0 || length < 0 || length > math.MaxInt32 || off > math.MaxInt32 {
		return 0, 0, false
	}
	s, e := x.byteOffset(off), x.byteOffset(off+length)
	if s < 0 || e < 0 {
		return 0, 0, false
	}
	return s, e, true
}

// UTF16Len is the length of text in UTF-16 code units, the unit Telegram counts text
// lengths and entity offsets in (an emoji outside the BMP is two). Invalid UTF-8 bytes
// count as U+FFFD, one unit each.
func UTF16Len(text string) int {
	n := 0
	for _, r := range text {
		n += utf16.RuneLen(r)
	}
	return n
}

// CodePointsToUTF16 converts a span given in Unicode code points (as X/Twitter
// API v2 entities give it: start inclusive, end exclusive) to the UTF-16
// offset and length an Entity wants. ok is false when the span does not fit
// the text.
func CodePointsToUTF16(text string, start, end int) (offset, length int, ok bool) {
	if start < 0 || end < start {
		return 0, 0, false
	}
	cp, units := 0, 0
	offset = -1
	for _, r := range text {
		if cp == start {
			offset = units
		}
		if cp == end {
			return offset, units - offset, true
		}
		cp++
		units++
		if r >= 0x10000 {
			units++
		}
	}
	if cp == start {
		offset = units
	}
	if cp == end && offset >= 0 {
		return offset, units - offset, true
	}
	return 0, 0, false
}

// runeBefore returns the rune that ends just before byte i, or -1 at the start.
func runeBefore(text string, i int) rune {
	if i <= 0 {
		return -1
	}
	r, _ := utf8.DecodeLastRuneInString(text[:i])
	return r
}
