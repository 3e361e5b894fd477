// Package twitterv2 reads X/Twitter API v2 tweets as twarc2 writes them, one JSON object a
// line: search and timeline pages (a "data" list with "includes" of users, tweets and media),
// streaming lines (one tweet as a "data" object, with "matching_rules"), and twarc's
// flattened tweets (one tweet a line, its author and referenced tweets inline).
//
// Each tweet becomes a post of its author; authors are the accounts under study. Retweets are
// posts of type retweet whose fwd_* columns point at the original tweet and its author (a
// keyed hash when the author is not under study); quotes and replies are typed as such; edits
// update the post of the tweet they edit. Followers counts become snapshots at the time twarc
// retrieved them (__twarc.retrieved_at).
package twitterv2

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/collector/importer"
	"github.com/tidewatch/tidewatch/schema"
)

// Format is the twitter-v2 import format.
var Format = importer.Format{
	Name:    "twitter-v2",
	Summary: "X/Twitter API v2 JSONL as twarc2 writes it (pages, streaming lines, flattened tweets)",
	Open:    Open,
}

// MaxLine bounds a line: a page of 500 tweets with their includes is a few megabytes.
const MaxLine = 64 << 20

type parser struct {
	env  *importer.Env
	br   *bufio.Reader
	line int
	buf  []byte
}

// Open starts reading JSON lines.
func Open(r io.Reader, env *importer.Env) (importer.Parser, error) {
	return &parser{env: env, br: bufio.NewReaderSize(r, 1<<20)}, nil
}

// line is one JSON line in any of the three shapes.
type line struct {
	Data     json.RawMessage `json:"data"`
	Includes includes        `json:"includes"`
	Twarc    *twarcMeta      `json:"__twarc"`
	ID       json.RawMessage `json:"id"`
	Errors   json.RawMessage `json:"errors"`
	Meta     json.RawMessage `json:"meta"`
}

type twarcMeta struct {
	RetrievedAt string `json:"retrieved_at"`
}

type includes struct {
	Users  []user  `json:"users"`
	Tweets []tweet `json:"tweets"`
	Media  []media `json:"media"`
}

type media struct {
	Key  string `json:"media_key"`
	Type string `json:"type"`
}

type tweet struct {
	ID               string       `json:"id"`
	Text             string       `json:"text"`
	AuthorID         string       `json:"author_id"`
	CreatedAt        string       `json:"created_at"`
	InReplyToUserID  string       `json:"in_reply_to_user_id"`
	ReferencedTweets []refTweet   `json:"referenced_tweets"`
	Attachments      *attachments `json:"attachments"`
	Entities         *entities    `json:"entities"`
	PublicMetrics    *metrics     `json:"public_metrics"`
	EditHistory      []string     `json:"edit_history_tweet_ids"`
	Author           *user        `json:"author"` // flattened
	Twarc            *twarcMeta   `json:"__twarc"`
}

// refTweet is a referenced tweet: its type and id, and in flattened lines the whole tweet.
type refTweet struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	AuthorID  string `json:"author_id"`
	CreatedAt string `json:"created_at"`
	Author    *user  `json:"author"`
}

type attachments struct {
	MediaKeys []string `json:"media_keys"`
	Media     []media  `json:"media"` // flattened
}

type entities struct {
	URLs     []urlEntity `json:"urls"`
	Hashtags []struct {
		Tag string `json:"tag"`
	} `json:"hashtags"`
	Mentions []struct {
		Username string `json:"username"`
	} `json:"mentions"`
}

type urlEntity struct {
	URL         string `json:"url"`
	ExpandedURL string `json:"expanded_url"`
	UnwoundURL  string `json:"unwound_url"`
	MediaKey    string `json:"media_key"`
}

type metrics struct {
	RetweetCount    uint64 `json:"retweet_count"`
	ReplyCount      uint64 `json:"reply_count"`
	LikeCount       uint64 `json:"like_count"`
	QuoteCount      uint64 `json:"quote_count"`
	ImpressionCount uint64 `json:"impression_count"`
}

type user struct {
	ID            string `json:"id"`
	Username      string `json:"username"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	URL           string `json:"url"`
	CreatedAt     string `json:"created_at"`
	Verified      bool   `json:"verified"`
	VerifiedType  string `json:"verified_type"`
	PinnedTweetID string `json:"pinned_tweet_id"`
	PublicMetrics *struct {
		FollowersCount uint64 `json:"followers_count"`
	} `json:"public_metrics"`
	Entities struct {
		URL struct {
			URLs []urlEntity `json:"urls"`
		} `json:"url"`
		Description struct {
			URLs []urlEntity `json:"urls"`
		} `json:"description"`
	} `json:"entities"`
}

// Next parses one line.
func (p *parser) Next(rec *importer.Record) error {
	for {
		data, err := p.readLine()
		if err != nil {
			return err
		}
		rec.Line = p.line
		if len(bytes.TrimSpace(data)) == 0 {
			continue
		}
		rec.Raw = append(rec.Raw, data...)
		p.parse(data, rec)
		return nil
	}
}

func (p *parser) readLine() ([]byte, error) {
	p.buf = p.buf[:0]
	for {
		chunk, err := p.br.ReadSlice('\n')
		p.buf = append(p.buf, chunk...)
		if len(p.buf) > MaxLine {
			return nil, importer.Fatal(p.env.File, p.line+1, "line", fmt.Sprintf("a line under %d MiB", MaxLine>>20), importer.Shorten(string(p.buf[:200]), 80))
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(p.buf) > 0 {
			break
		}
		if err != nil {
			return nil, err
		}
		break
	}
	p.line++
	return bytes.TrimRight(p.buf, "\r\n"), nil
}

func (p *parser) parse(data []byte, rec *importer.Record) {
	env := p.env
	var l line
	if err := json.Unmarshal(data, &l); err != nil {
		rec.Fail(env, "line", "a JSON object ("+jsonProblem(err)+")", string(data))
		return
	}
	// A \u0000 or an escape sequence in any string is damage, never a tweet's text.
	if !importer.CheckJSONText(env, rec, "", data) {
		return
	}
	observed := env.ObservedAt
	if l.Twarc != nil && l.Twarc.RetrievedAt != "" {
		if t, ok := importer.ParseTime(l.Twarc.RetrievedAt, nil); ok {
			observed = t
		}
	}
	c := &lineCtx{p: p, rec: rec, observed: observed, users: map[string]*user{}, tweets: map[string]*tweet{}, media: map[string]string{}}
	for i := range l.Includes.Users {
		c.users[l.Includes.Users[i].ID] = &l.Includes.Users[i]
	}
	for i := range l.Includes.Tweets {
		c.tweets[l.Includes.Tweets[i].ID] = &l.Includes.Tweets[i]
	}
	for _, m := range l.Includes.Media {
		c.media[m.Key] = m.Type
	}
	d := bytes.TrimSpace(l.Data)
	switch {
	case len(d) > 0 && d[0] == '[':
		var ts []tweet
		if err := json.Unmarshal(d, &ts); err != nil {
			rec.Fail(env, "data", "a list of tweets ("+jsonProblem(err)+")", string(d))
			return
		}
		for i := range ts {
			if _, ok := c.tweets[ts[i].ID]; !ok {
				c.tweets[ts[i].ID] = &ts[i] // a retweet may refer to another tweet of the page
			}
		}
		for i := range ts {
			c.tweet(&ts[i], fmt.Sprintf("data[%d].", i))
		}
	case len(d) > 0 && d[0] == '{':
		var t tweet
		if err := json.Unmarshal(d, &t); err != nil {
			rec.Fail(env, "data", "a tweet ("+jsonProblem(err)+")", string(d))
			return
		}
		c.tweet(&t, "data.")
	case len(d) > 0 && string(d) != "null":
		rec.Fail(env, "data", "a tweet or a list of tweets", string(d))
	case len(l.ID) > 0:
		var t tweet
		if err := json.Unmarshal(data, &t); err != nil {
			rec.Fail(env, "line", "a flattened tweet ("+jsonProblem(err)+")", string(data))
			return
		}
		if t.Twarc != nil && t.Twarc.RetrievedAt != "" {
			if ts, ok := importer.ParseTime(t.Twarc.RetrievedAt, nil); ok {
				c.observed = ts
			}
		}
		c.tweet(&t, "")
	case len(l.Errors) > 0 || len(l.Meta) > 0:
		rec.Skip = true // a page without tweets: only errors or metadata
	default:
		rec.Fail(env, "line", `a twarc2 page ("data": [...]), a streaming line ("data": {...}) or a flattened tweet ("id": ...)`, string(data))
	}
}

// lineCtx is what the tweets of one line share.
type lineCtx struct {
	p        *parser
	rec      *importer.Record
	observed time.Time
	users    map[string]*user
	tweets   map[string]*tweet
	media    map[string]string
	snapped  map[string]bool
}

var ownMediaRE = regexp.MustCompile(`^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(?:[^/]+|i/web)/status/(\d+)(?:/(?:photo|video)/\d+)?/?$`)

func (c *lineCtx) tweet(t *tweet, at string) {
	env, rec := c.p.env, c.rec
	nErr := len(rec.Errors)
	id, err := strconv.ParseUint(t.ID, 10, 64)
	if err != nil || id == 0 {
		rec.Fail(env, at+"id", "a numeric tweet id", t.ID)
	}
	authorID, err := strconv.ParseUint(t.AuthorID, 10, 64)
	if err != nil || authorID == 0 {
		rec.Fail(env, at+"author_id", "a numeric user id", t.AuthorID)
	}
	created, ok := importer.ParseTime(t.CreatedAt, nil)
	if !ok {
		rec.Fail(env, at+"created_at", "a time like 2022-08-13T20:36:51.000Z", t.CreatedAt)
	}
	for i, h := range t.EditHistory {
		if _, err := strconv.ParseUint(h, 10, 64); err != nil {
			rec.Fail(env, fmt.Sprintf("%sedit_history_tweet_ids[%d]", at, i), "a numeric tweet id", h)
		}
	}
	for i, r := range t.ReferencedTweets {
		if _, err := strconv.ParseUint(r.ID, 10, 64); err != nil {
			rec.Fail(env, fmt.Sprintf("%sreferenced_tweets[%d].id", at, i), "a numeric tweet id", r.ID)
		}
	}
	if len(rec.Errors) > nErr {
		return
	}

	author := t.Author
	if author == nil {
		author = c.users[t.AuthorID]
	}
	handle := ""
	if author != nil {
		handle = author.Username
	}
	rec.Authors = append(rec.Authors, importer.AccountRef{Platform: schema.PlatformTwitter, ID: t.AuthorID, Handle: handle})

	// An edit updates the post of the tweet it edits: the first id of the edit history. The
	// original's time is in its id (a snowflake), so every version lands on the same key.
	postID, postedAt := id, created
	var editedAt time.Time
	editIndex := 0
	if len(t.EditHistory) > 1 && t.EditHistory[0] != t.ID {
		first, _ := strconv.ParseUint(t.EditHistory[0], 10, 64)
		if ts, ok := importer.SnowflakeTime(first); ok {
			postID, postedAt, editedAt = first, ts, created
			for i, h := range t.EditHistory {
				if h == t.ID {
					editIndex = i
				}
			}
		}
	}
	version := schema.Version(c.observed)
	if c.observed.IsZero() {
		version = schema.Version(created)
	}
	post := schema.Post{
		Platform:   schema.PlatformTwitter,
		ChannelID:  authorID,
		PostID:     postID,
		PostedAt:   postedAt,
		EditedAt:   editedAt,
		Kind:       schema.KindPost,
		CountersAt: c.observed,
		Source:     env.Source,
		RunID:      env.RunID,
		// Later observations win; among versions seen at once, the later edit.
		Version: version + uint64(editIndex),
	}
	if m := t.PublicMetrics; m != nil {
		post.Views = m.ImpressionCount
		post.Forwards = m.RetweetCount + m.QuoteCount
		post.Replies = m.ReplyCount
		post.Reactions = m.LikeCount
	}

	// What the tweet refers to: a retweet wins over a quote, a quote over a reply.
	var retweeted, quoted, replied *refTweet
	for i := range t.ReferencedTweets {
		r := &t.ReferencedTweets[i]
		switch r.Type {
		case "retweeted":
			retweeted = r
		case "quoted":
			quoted = r
		case "replied_to":
			replied = r
		}
	}
	switch {
	case retweeted != nil:
		post.PostType = "retweet"
		// A retweet's metrics are the original's (retweet_count) or zero: not the retweet's own.
		post.Views, post.Forwards, post.Replies, post.Reactions = 0, 0, 0, 0
		c.forward(&post, retweeted, t.Text)
	case quoted != nil:
		post.PostType = "quote"
	case replied != nil:
		post.PostType = "reply"
		replyAuthor := t.InReplyToUserID
		if replyAuthor == "" {
			replyAuthor = c.refAuthor(replied)
		}
		// The replied tweet is kept only when it is the author's own (a thread) or an account
		// under study's: another person's tweet id would name that person.
		if replyAuthor == t.AuthorID || env.Study.HasID(schema.PlatformTwitter, replyAuthor) {
			post.ReplyToPostID, _ = strconv.ParseUint(replied.ID, 10, 64)
		}
	}

	// Media, links, mentions, hashtags.
	mediaType := ""
	if t.Attachments != nil {
		for _, m := range t.Attachments.Media {
			mediaType = firstNonEmpty(mediaType, m.Type)
		}
		for _, k := range t.Attachments.MediaKeys {
			mediaType = firstNonEmpty(mediaType, c.media[k])
		}
		if mediaType == "" && len(t.Attachments.MediaKeys) > 0 {
			mediaType = "media"
		}
	}
	post.MediaType = mediaType
	content := importer.Content{Text: t.Text, Structured: true, MentionsArePersons: true}
	if e := t.Entities; e != nil {
		for _, u := range e.URLs {
			if u.MediaKey != "" {
				continue // the tweet's own photo or video
			}
			target := firstNonEmpty(u.UnwoundURL, u.ExpandedURL, u.URL)
			if m := ownMediaRE.FindStringSubmatch(target); m != nil && m[1] == t.ID {
				continue // a link to the tweet itself (media, or "show more" of a long tweet)
			}
			content.URLs = append(content.URLs, target)
		}
		for _, h := range e.Hashtags {
			content.Hashtags = append(content.Hashtags, h.Tag)
		}
		for _, m := range e.Mentions {
			content.Mentions = append(content.Mentions, m.Username)
		}
	}
	env.Extract(&post, content, &rec.Rows)
	if post.PostType == "" {
		switch {
		case mediaType != "":
			post.PostType = mediaType
		case post.LinkCount > 0:
			post.PostType = "link"
		default:
			post.PostType = "text"
		}
	}
	rec.Rows.Posts = append(rec.Rows.Posts, post)

	if author != nil && author.ID == t.AuthorID {
		c.account(author, created)
		return
	}
	// Without the author's user object the account is known by its id alone.
	rec.Rows.Channels = append(rec.Rows.Channels, schema.Channel{
		Platform: schema.PlatformTwitter, ChannelID: authorID, ExternalID: t.AuthorID, Kind: "account",
		FirstSeenAt: created, LastSeenAt: created, Source: env.Source, Version: importer.PartialIdentityVersion,
	})
}

// forward fills the fwd_* columns of a retweet from the original tweet.
func (c *lineCtx) forward(post *schema.Post, r *refTweet, text string) {
	env := c.p.env
	origID, _ := strconv.ParseUint(r.ID, 10, 64)
	orig := c.tweets[r.ID]
	when := r.CreatedAt
	if orig != nil && when == "" {
		when = orig.CreatedAt
	}
	if ts, ok := importer.ParseTime(when, nil); ok {
		post.FwdAt = ts
	} else if ts, ok := importer.SnowflakeTime(origID); ok {
		post.FwdAt = ts
	}
	if author := c.refAuthor(r); author != "" {
		value, studied := env.Person(schema.PlatformTwitter, author)
		if studied {
			post.FwdChannelID, _ = strconv.ParseUint(author, 10, 64)
			post.FwdPostID = origID
		} else {
			post.FwdPersonHash = value
		}
		return
	}
	// Only the text tells who was retweeted: "RT @name: ...".
	if name, ok := strings.CutPrefix(text, "RT @"); ok {
		if i := strings.IndexByte(name, ':'); i > 0 {
			name = name[:i]
			for _, u := range c.users {
				if strings.EqualFold(u.Username, name) && env.Study.HasID(schema.PlatformTwitter, u.ID) {
					post.FwdChannelID, _ = strconv.ParseUint(u.ID, 10, 64)
					post.FwdPostID = origID
					return
				}
			}
			post.FwdPersonHash = env.Hasher.Handle(schema.PlatformTwitter, name)
		}
	}
}

// refAuthor finds the author id of a referenced tweet.
func (c *lineCtx) refAuthor(r *refTweet) string {
	if r.AuthorID != "" {
		return r.AuthorID
	}
	if r.Author != nil {
		return r.Author.ID
	}
	if o := c.tweets[r.ID]; o != nil {
		return o.AuthorID
	}
	return ""
}

// account records the author's identity and, when the time of the observation is known, a
// snapshot of its followers.
func (c *lineCtx) account(u *user, tweeted time.Time) {
	env, rec := c.p.env, c.rec
	id, _ := strconv.ParseUint(u.ID, 10, 64)
	about := expand(u.Description, u.Entities.Description.URLs)
	if profile := expand(u.URL, u.Entities.URL.URLs); profile != "" {
		about = strings.TrimSpace(about + "\n" + profile)
	}
	created, _ := importer.ParseTime(u.CreatedAt, nil)
	var followers uint64
	if u.PublicMetrics != nil {
		followers = u.PublicMetrics.FollowersCount
	}
	var verified uint8
	if u.Verified || (u.VerifiedType != "" && u.VerifiedType != "none") {
		verified = 1
	}
	seen := c.observed
	if seen.IsZero() {
		seen = tweeted
	}
	rec.Rows.Channels = append(rec.Rows.Channels, schema.Channel{
		Platform:    schema.PlatformTwitter,
		ChannelID:   id,
		ExternalID:  u.ID,
		Username:    u.Username,
		Title:       u.Name,
		About:       about,
		Kind:        "account",
		Status:      schema.StatusActive,
		Subscribers: followers,
		CreatedAt:   created,
		FirstSeenAt: tweeted,
		LastSeenAt:  seen,
		Verified:    verified,
		Source:      env.Source,
		Version:     schema.Version(seen),
	})
	if c.observed.IsZero() || u.PublicMetrics == nil {
		return
	}
	if c.snapped == nil {
		c.snapped = map[string]bool{}
	}
	if c.snapped[u.ID] {
		return
	}
	c.snapped[u.ID] = true
	pinned, _ := strconv.ParseUint(u.PinnedTweetID, 10, 64)
	rec.Rows.Snapshots = append(rec.Rows.Snapshots, schema.ChannelSnapshot{
		Platform:     schema.PlatformTwitter,
		ChannelID:    id,
		SnapshotAt:   c.observed,
		Username:     u.Username,
		Title:        u.Name,
		About:        about,
		Subscribers:  followers,
		Status:       schema.StatusActive,
		Verified:     verified,
		PinnedPostID: pinned,
		Source:       env.Source,
		RunID:        env.RunID,
	})
}

// expand replaces t.co links in a profile text by the links they stand for.
func expand(s string, urls []urlEntity) string {
	for _, u := range urls {
		if u.URL != "" && u.ExpandedURL != "" {
			s = strings.ReplaceAll(s, u.URL, u.ExpandedURL)
		}
	}
	return s
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// jsonProblem says briefly what is wrong with broken JSON.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d: %s", se.Offset, se.Error())
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s should be %s, not %s", te.Field, te.Type, te.Value)
	}
	return err.Error()
}
