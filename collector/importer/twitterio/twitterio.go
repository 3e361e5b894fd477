// Package twitterio reads the CSV files of Twitter's information-operations transparency
// releases (2018-2021): the users file (one row per suspended account) and the tweets file
// (one row per tweet, with the account's columns repeated). Columns are found by name, so
// releases with or without tweet_language, or with the columns in another order, read the
// same. Values come as the releases write them: counts as floats ("0.0"), "absent" for
// missing coordinates, True/False, lists in brackets ("[tag1, tag2]"), and 64-hex-digit
// hashes in place of the ids and names of small accounts.
//
// Every account of a release is under study (the releases hold the accounts Twitter removed);
// accounts they retweet, reply to or mention that are not in the release are persons and
// stored as keyed hashes.
package twitterio

import (
	"io"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/collector/importer"
	"github.com/tidewatch/tidewatch/schema"
)

// Format is the twitter-io import format.
var Format = importer.Format{
	Name:    "twitter-io",
	Summary: "Twitter information-operations releases: users and tweets CSV files",
	Open:    Open,
}

type columns struct {
	userid, displayName, screenName, location, description, profileURL int
	followers, creation                                                int
	tweetid, text, tweetTime, replyTweet, replyUser, quoted            int
	isRetweet, retweetUser, retweetTweet                               int
	quotes, replies, likes, retweets                                   int
	hashtags, urls, mentions                                           int
}

type parser struct {
	env    *importer.Env
	r      *importer.CSVFile
	h      *importer.Header
	tweets bool
	c      columns
}

// Open reads the header: a tweets file has a tweetid column, a users file only user columns.
func Open(r io.Reader, env *importer.Env) (importer.Parser, error) {
	cf, err := importer.OpenCSV(r, env, "a users or tweets header (userid,user_display_name,...)")
	if err != nil {
		return nil, err
	}
	h := importer.NewHeader(cf.Header())
	p := &parser{env: env, r: cf, h: h}
	c := &p.c
	c.userid = h.Index("userid")
	c.displayName = h.Index("user_display_name")
	c.screenName = h.Index("user_screen_name")
	c.location = h.Index("user_reported_location")
	c.description = h.Index("user_profile_description")
	c.profileURL = h.Index("user_profile_url")
	c.followers = h.Index("follower_count")
	c.creation = h.Index("account_creation_date")
	c.tweetid = h.Index("tweetid")
	c.text = h.Index("tweet_text")
	c.tweetTime = h.Index("tweet_time")
	c.replyTweet = h.Index("in_reply_to_tweetid")
	c.replyUser = h.Index("in_reply_to_userid")
	c.quoted = h.Index("quoted_tweet_tweetid")
	c.isRetweet = h.Index("is_retweet")
	c.retweetUser = h.Index("retweet_userid")
	c.retweetTweet = h.Index("retweet_tweetid")
	c.quotes = h.Index("quote_count")
	c.replies = h.Index("reply_count")
	c.likes = h.Index("like_count")
	c.retweets = h.Index("retweet_count")
	c.hashtags = h.Index("hashtags")
	c.urls = h.Index("urls")
	c.mentions = h.Index("user_mentions")
	p.tweets = c.tweetid >= 0
	switch {
	case c.userid < 0:
		return nil, importer.Fatal(env.File, 1, "header", "a users or tweets file of an information-operations release (a userid column)", p.r.RawHeader())
	case p.tweets && c.tweetTime < 0:
		return nil, importer.Fatal(env.File, 1, "header", "a tweet_time column in a tweets file", p.r.RawHeader())
	case !p.tweets && c.screenName < 0 && c.followers < 0:
		return nil, importer.Fatal(env.File, 1, "header", "a users file (userid,user_display_name,user_screen_name,...,follower_count,...) or a tweets file (tweetid,...)", p.r.RawHeader())
	}
	return p, nil
}

// Next parses one row.
func (p *parser) Next(rec *importer.Record) error {
	fields, ok, err := p.r.Next(rec)
	if !ok {
		return err
	}
	p.row(fields, rec)
	return nil
}

// value returns a column's text, "" for a missing column or an absence marker.
func value(f []string, i int) string {
	s := strings.TrimSpace(importer.Field(f, i))
	if importer.Absent(s) {
		return ""
	}
	return s
}

func (p *parser) row(f []string, rec *importer.Record) {
	env, c := p.env, &p.c
	name := func(i int) string { return p.h.Names()[i] }
	count := func(i int) uint64 {
		if i < 0 {
			return 0
		}
		s := value(f, i)
		n, ok := importer.ParseCount(s)
		if !ok {
			rec.Fail(env, name(i), "a whole number like 12 or 12.0", s)
		}
		return n
	}
	tweetID := func(i int) uint64 {
		s := value(f, i)
		if s == "" {
			return 0
		}
		n, ok := importer.ParseCount(s) // "7.09532e+17" would lose digits: ParseCount refuses it
		if !ok || (strings.ContainsAny(s, ".eE") && n > 1<<53) {
			rec.Fail(env, name(i), "a numeric tweet id", s)
			return 0
		}
		return n
	}

	userid := value(f, c.userid)
	if userid == "" {
		rec.Fail(env, "userid", "the account's id (digits or a 64-digit hash)", importer.Field(f, c.userid))
	}
	followers := count(c.followers)
	var created time.Time
	if s := value(f, c.creation); s != "" {
		t, ok := importer.ParseTime(s, nil)
		if !ok {
			rec.Fail(env, "account_creation_date", "a date like 2015-01-15", s)
		}
		created = t
	}

	var post schema.Post
	var postedAt time.Time
	if p.tweets {
		id := tweetID(c.tweetid)
		if id == 0 && len(rec.Errors) == 0 {
			rec.Fail(env, "tweetid", "a numeric tweet id", importer.Field(f, c.tweetid))
		}
		var ok bool
		postedAt, ok = importer.ParseTime(value(f, c.tweetTime), nil)
		if !ok {
			rec.Fail(env, "tweet_time", "a time like 2016-03-14 01:31", importer.Field(f, c.tweetTime))
		}
		isRetweet := false
		if c.isRetweet >= 0 {
			b, ok := importer.ParseBool(value(f, c.isRetweet))
			if !ok {
				rec.Fail(env, "is_retweet", "True or False", importer.Field(f, c.isRetweet))
			}
			isRetweet = b
		}
		retweetOf := tweetID(c.retweetTweet)
		replyTo := tweetID(c.replyTweet)
		quoted := tweetID(c.quoted)
		quotes, replies, likes, retweets := count(c.quotes), count(c.replies), count(c.likes), count(c.retweets)
		if len(rec.Errors) > 0 {
			return
		}
		post = schema.Post{
			Platform:   schema.PlatformTwitter,
			ChannelID:  schema.AccountID(userid),
			PostID:     id,
			PostedAt:   postedAt,
			Kind:       schema.KindPost,
			Forwards:   retweets + quotes,
			Replies:    replies,
			Reactions:  likes,
			CountersAt: env.ObservedAt,
			Source:     env.Source,
			RunID:      env.RunID,
			Version:    schema.Version(postedAt),
		}
		if !env.ObservedAt.IsZero() {
			post.Version = schema.Version(env.ObservedAt)
		}
		switch {
		case isRetweet:
			post.PostType = "retweet"
			post.Forwards, post.Replies, post.Reactions = 0, 0, 0
			if who := value(f, c.retweetUser); who != "" {
				v, studied := env.Person(schema.PlatformTwitter, who)
				if studied {
					post.FwdChannelID = schema.AccountID(who)
					post.FwdPostID = retweetOf
				} else {
					post.FwdPersonHash = v
				}
			}
			if t, ok := importer.SnowflakeTime(retweetOf); ok {
				post.FwdAt = t
			}
		case quoted != 0:
			post.PostType = "quote"
		case replyTo != 0:
			post.PostType = "reply"
			if who := value(f, c.replyUser); who == userid || env.Study.HasID(schema.PlatformTwitter, who) {
				post.ReplyToPostID = replyTo
			}
		}
		content := importer.Content{Text: value(f, c.text), MentionsArePersons: true}
		if c.urls >= 0 || c.hashtags >= 0 {
			// The release lists the expanded links and the tags; the text has only t.co links.
			content.Structured = true
			content.URLs = importer.ParseList(value(f, c.urls))
			content.Hashtags = importer.ParseList(value(f, c.hashtags))
		}
		env.Extract(&post, content, &rec.Rows)
		// user_mentions holds user ids, not names: stored like other persons' ids.
		var mentions []string
		for _, m := range importer.ParseList(value(f, c.mentions)) {
			v, _ := env.Person(schema.PlatformTwitter, m)
			mentions = append(mentions, v)
		}
		post.Mentions = mentions
		if post.PostType == "" {
			post.PostType = "text"
			if post.LinkCount > 0 {
				post.PostType = "link"
			}
		}
		rec.Rows.Posts = append(rec.Rows.Posts, post)
	} else if len(rec.Errors) > 0 {
		return
	}

	// The account, as the release describes it.
	about := value(f, c.description)
	if u := value(f, c.profileURL); u != "" {
		about = strings.TrimSpace(about + "\n" + u)
	}
	seen := postedAt
	version := schema.Version(postedAt)
	if !env.ObservedAt.IsZero() {
		version = schema.Version(env.ObservedAt)
	}
	if version == 0 {
		version = schema.Version(created)
	}
	ch := schema.Channel{
		Platform:    schema.PlatformTwitter,
		ChannelID:   schema.AccountID(userid),
		ExternalID:  userid,
		Username:    value(f, c.screenName),
		Title:       value(f, c.displayName),
		About:       about,
		Kind:        "account",
		Status:      schema.StatusBanned, // the releases hold the accounts Twitter suspended
		Subscribers: followers,
		CreatedAt:   created,
		FirstSeenAt: seen,
		LastSeenAt:  seen,
		Source:      env.Source,
		Version:     version,
	}
	rec.Rows.Channels = append(rec.Rows.Channels, ch)
	if !env.ObservedAt.IsZero() && c.followers >= 0 && !p.tweets {
		// The follower counts are those at the release; only a release date dates them.
		rec.Rows.Snapshots = append(rec.Rows.Snapshots, schema.ChannelSnapshot{
			Platform:    schema.PlatformTwitter,
			ChannelID:   ch.ChannelID,
			SnapshotAt:  env.ObservedAt,
			Username:    ch.Username,
			Title:       ch.Title,
			About:       ch.About,
			Subscribers: followers,
			Status:      schema.StatusBanned,
			Source:      env.Source,
			RunID:       env.RunID,
		})
	}
	rec.Authors = append(rec.Authors, importer.AccountRef{Platform: schema.PlatformTwitter, ID: userid, Handle: ch.Username})
}
