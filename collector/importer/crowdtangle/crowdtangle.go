// Package crowdtangle reads CrowdTangle's historical CSV exports of Facebook pages and groups
// and of Instagram accounts. Columns are found by name, so every header variant reads the same
// (2020 exports with one "Created" column, 2021 exports with 39 or 41 columns, Instagram
// exports); numbers may carry either locale's thousands separators, times end in a zone
// abbreviation ("2021-07-05 18:02:45 BRT"), and quoted fields may span lines.
//
// Each row becomes a post (post id from the post's URL), a snapshot of the account's followers
// at the time of the post, and an observation of the account's identity.
package crowdtangle

import (
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/collector/importer"
	"github.com/tidewatch/tidewatch/links"
	"github.com/tidewatch/tidewatch/schema"
)

// Format is the crowdtangle import format.
var Format = importer.Format{
	Name:    "crowdtangle",
	Summary: "CrowdTangle historical CSV exports (Facebook pages and groups, Instagram accounts)",
	Open:    Open,
}

// columns are the positions of the columns used; -1 when absent.
type columns struct {
	pageName, userName, facebookID, pageDescription, pageCreated int
	likesAtPosting, followersAtPosting                           int
	created, postType, url                                       int
	likes, comments, shares, views                               int
	reactions                                                    []int // Love, Wow, ... (Likes apart)
	message, description, link, finalLink                        int
}

type parser struct {
	env      *importer.Env
	r        *importer.CSVFile
	header   *importer.Header
	platform string
	c        columns
}

// Open reads the header and returns the parser of the rows.
func Open(r io.Reader, env *importer.Env) (importer.Parser, error) {
	cf, err := importer.OpenCSV(r, env, "a CrowdTangle header (Page Name,User Name,Facebook Id,...)")
	if err != nil {
		return nil, err
	}
	h := importer.NewHeader(cf.Header())
	p := &parser{env: env, r: cf, header: h}
	c := &p.c
	c.pageName = h.First("Page Name", "Group Name", "Account")
	c.userName = h.Index("User Name")
	c.facebookID = h.First("Facebook Id", "Facebook ID")
	c.pageDescription = h.First("Page Description", "Group Description")
	c.pageCreated = h.First("Page Created", "Group Created")
	c.likesAtPosting = h.Index("Likes at Posting")
	c.followersAtPosting = h.First("Followers at Posting", "Members at Posting")
	c.created = h.First("Post Created", "Created")
	c.postType = h.Index("Type")
	c.url = h.Index("URL")
	c.likes = h.Index("Likes")
	c.comments = h.Index("Comments")
	c.shares = h.Index("Shares")
	c.views = h.First("Post Views", "Views")
	for _, n := range []string{"Love", "Wow", "Haha", "Sad", "Angry", "Care", "Thankful"} {
		if i := h.Index(n); i >= 0 {
			c.reactions = append(c.reactions, i)
		}
	}
	c.message = h.Index("Message")
	c.description = h.Index("Description")
	c.link = h.Index("Link")
	c.finalLink = h.Index("Final Link")

	switch {
	case c.facebookID >= 0:
		p.platform = schema.PlatformFacebook
	case c.userName >= 0 && (h.Has("Photo") || h.Has("Views") || h.Has("Followers at Posting")):
		p.platform = schema.PlatformInstagram
	default:
		return nil, importer.Fatal(env.File, 1, "header", `a CrowdTangle header with a "Facebook Id" column (Facebook) or "User Name" and "Followers at Posting" (Instagram)`, p.r.RawHeader())
	}
	var missing []string
	if c.created < 0 {
		missing = append(missing, `"Post Created" (or "Created")`)
	}
	if c.url < 0 {
		missing = append(missing, `"URL"`)
	}
	if len(missing) > 0 {
		return nil, importer.Fatal(env.File, 1, "header", "the columns "+strings.Join(missing, " and "), p.r.RawHeader())
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

func (p *parser) row(f []string, rec *importer.Record) {
	env, c := p.env, &p.c
	get := func(i int) string { return strings.TrimSpace(importer.Field(f, i)) }
	count := func(i int) uint64 {
		s := get(i)
		n, ok := importer.ParseCount(s)
		if !ok {
			rec.Fail(env, p.header.Names()[i], "a whole number like 1234, 1,234 or 1.234", s)
		}
		return n
	}

	// The account.
	var channelID uint64
	var externalID string
	username := get(c.userName)
	if p.platform == schema.PlatformFacebook {
		externalID = get(c.facebookID)
		id, err := strconv.ParseUint(externalID, 10, 64)
		if err != nil || id == 0 {
			rec.Fail(env, p.header.Names()[c.facebookID], "a numeric Facebook id", externalID)
		}
		channelID = id
	} else {
		if username == "" {
			rec.Fail(env, "User Name", "the account's user name", username)
		}
		externalID = strings.ToLower(username)
		channelID = schema.AccountID(externalID)
	}

	// The post.
	createdName := p.header.Names()[c.created]
	postedAt, ok := importer.ParseTime(get(c.created), env.Loc())
	if !ok {
		rec.Fail(env, createdName, "a time like 2021-07-05 18:02:45 BRT", get(c.created))
	}
	postURL := get(c.url)
	if postURL == "" {
		rec.Fail(env, "URL", "the post's URL", postURL)
	}
	followersCol := c.followersAtPosting
	followers := uint64(0)
	haveFollowers := false
	if followersCol >= 0 && get(followersCol) != "" {
		followers, haveFollowers = count(followersCol), true
	} else if c.likesAtPosting >= 0 && get(c.likesAtPosting) != "" {
		followers, haveFollowers = count(c.likesAtPosting), true
	}
	var createdAt time.Time
	if c.pageCreated >= 0 && get(c.pageCreated) != "" {
		t, ok := importer.ParseTime(get(c.pageCreated), env.Loc())
		if !ok {
			rec.Fail(env, p.header.Names()[c.pageCreated], "a time like 2012-03-15 19:04:38", get(c.pageCreated))
		}
		createdAt = t
	}
	var reactions uint64
	if c.likes >= 0 {
		reactions += count(c.likes)
	}
	for _, i := range c.reactions {
		reactions += count(i)
	}
	var replies, forwards, views uint64
	if c.comments >= 0 {
		replies = count(c.comments)
	}
	if c.shares >= 0 {
		forwards = count(c.shares)
	}
	if c.views >= 0 {
		views = count(c.views)
	}
	if len(rec.Errors) > 0 {
		return
	}

	postType := importer.Token(get(c.postType))
	kind := "page"
	if p.platform == schema.PlatformInstagram {
		kind = "account"
	} else if strings.Contains(postURL, "/groups/") {
		kind = "group"
	}
	version := schema.Version(postedAt)
	if !env.ObservedAt.IsZero() {
		version = schema.Version(env.ObservedAt)
	}
	post := schema.Post{
		Platform:   p.platform,
		ChannelID:  channelID,
		PostID:     PostID(p.platform, postURL),
		PostedAt:   postedAt,
		Kind:       schema.KindPost,
		PostType:   postType,
		MediaType:  mediaType(postType),
		Views:      views,
		Forwards:   forwards,
		Replies:    replies,
		Reactions:  reactions,
		CountersAt: env.ObservedAt,
		Source:     env.Source,
		RunID:      env.RunID,
		Version:    version,
	}
	text := get(c.message)
	if p.platform == schema.PlatformInstagram {
		text = get(c.description) // an Instagram post's caption
	}
	content := importer.Content{Text: text, MentionsArePersons: true}
	for _, i := range []int{c.link, c.finalLink} {
		if u := get(i); u != "" && !importer.Absent(u) && !ownMedia(p.platform, postType, u) {
			content.URLs = append(content.URLs, u)
		}
	}
	env.Extract(&post, content, &rec.Rows)
	rec.Rows.Posts = append(rec.Rows.Posts, post)

	title := get(c.pageName)
	about := get(c.pageDescription)
	if haveFollowers {
		rec.Rows.Snapshots = append(rec.Rows.Snapshots, schema.ChannelSnapshot{
			Platform:    p.platform,
			ChannelID:   channelID,
			SnapshotAt:  postedAt,
			Username:    username,
			Title:       title,
			About:       about,
			Subscribers: followers,
			Status:      schema.StatusActive,
			Source:      env.Source,
			RunID:       env.RunID,
		})
	}
	rec.Rows.Channels = append(rec.Rows.Channels, schema.Channel{
		Platform:    p.platform,
		ChannelID:   channelID,
		ExternalID:  externalID,
		Username:    username,
		Title:       title,
		About:       about,
		Kind:        kind,
		Status:      schema.StatusActive,
		Subscribers: followers,
		CreatedAt:   createdAt,
		FirstSeenAt: postedAt,
		LastSeenAt:  postedAt,
		Source:      env.Source,
		Version:     schema.Version(postedAt),
	})
	rec.Authors = append(rec.Authors, importer.AccountRef{Platform: p.platform, ID: externalID, Handle: username})
}

// ownMedia tells whether the Link column of a photo or video post points at the post's own
// media on the same platform (CrowdTangle fills Link with the photo page or, on Instagram,
// the post itself): that is not an outbound link.
func ownMedia(platform, postType, raw string) bool {
	if postType == "link" {
		return false
	}
	u, err := links.Normalize(raw)
	return err == nil && string(links.Classify(u)) == platform
}

// mediaType maps a CrowdTangle post type to the media column.
func mediaType(postType string) string {
	switch {
	case postType == "photo" || postType == "album":
		return "photo"
	case strings.Contains(postType, "video") || postType == "igtv" || postType == "reel":
		return "video"
	}
	return ""
}

// PostID finds a post's id in its URL: the numeric id of a Facebook post, video or photo
// (/123/posts/456, /videos/456, /photos/a.1/456, permalink.php?story_fbid=456, /groups/1/permalink/456),
// or the media id of an Instagram shortcode (/p/CODE/, /reel/CODE/, /tv/CODE/), which is the
// id written in base64. Any other URL gets a stable 64-bit hash with the top bit set, so
// re-importing gives the same id.
func PostID(platform, raw string) uint64 {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err == nil {
		if platform == schema.PlatformInstagram {
			segs := strings.Split(strings.Trim(u.Path, "/"), "/")
			for i := 0; i+1 < len(segs); i++ {
				if segs[i] == "p" || segs[i] == "reel" || segs[i] == "tv" {
					if id, ok := shortcodeID(segs[i+1]); ok {
						return id
					}
				}
			}
		} else {
			q := u.Query()
			for _, k := range []string{"story_fbid", "fbid", "v"} {
				if id, err := strconv.ParseUint(q.Get(k), 10, 64); err == nil && id > 0 && id < 1<<63 {
					return id
				}
			}
			segs := strings.Split(strings.Trim(u.Path, "/"), "/")
			for i := len(segs) - 1; i >= 1; i-- {
				if id, err := strconv.ParseUint(segs[i], 10, 64); err == nil && id > 0 && id < 1<<63 {
					return id
				}
			}
		}
	}
	return schema.AccountID("url:" + strings.TrimSpace(raw))
}

// shortcodeID decodes an Instagram shortcode (base64url of the media id, at most 11 digits).
func shortcodeID(code string) (uint64, bool) {
	if code == "" || len(code) > 11 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(code); i++ {
		v := strings.IndexByte(b64, code[i])
		if v < 0 {
			return 0, false
		}
		if n > (1<<63-1-uint64(v))/64 {
			return 0, false
		}
		n = n*64 + uint64(v)
	}
	return n, n > 0
}

const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
