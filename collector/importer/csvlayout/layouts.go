package csvlayout

import (
	"strconv"
	"strings"

	"github.com/tidewatch/tidewatch/collector/importer"
	"github.com/tidewatch/tidewatch/collector/registry"
	"github.com/tidewatch/tidewatch/links/accountlink"
	"github.com/tidewatch/tidewatch/schema"
)

const platformExpected = "a lowercase platform name like telegram, twitter, facebook"

var accountsLayout = &layout{
	name: "accounts",
	columns: []column{
		{"platform", true}, {"account_id", true}, {"observed_at", true},
		{"handle", false}, {"name", false}, {"about", false}, {"kind", false}, {"status", false},
		{"followers", false}, {"created_at", false}, {"verified", false},
	},
	row: accountRow,
}

var postsLayout = &layout{
	name: "posts",
	columns: []column{
		{"platform", true}, {"account_id", true}, {"post_id", true}, {"posted_at", true},
		{"handle", false}, {"edited_at", false}, {"post_type", false}, {"media_type", false},
		{"text", false}, {"links", false}, {"hashtags", false}, {"mentions", false},
		{"views", false}, {"forwards", false}, {"replies", false}, {"reactions", false},
		{"observed_at", false}, {"fwd_account_id", false}, {"fwd_post_id", false},
		{"fwd_person", false}, {"reply_to_post_id", false}, {"album_id", false}, {"deleted", false},
	},
	row: postRow,
}

var eventsLayout = &layout{
	name: "events",
	columns: []column{
		{"event_at", true}, {"kind", true}, {"source", true},
		{"end_at", false}, {"platform", false}, {"target_kind", false}, {"targets", false},
		{"target_channel_ids", false}, {"title", false}, {"note", false},
	},
	row: eventRow,
}

var linksLayout = &layout{
	name: "links",
	columns: []column{
		{"from_platform", true}, {"from_account_id", true}, {"to_platform", true}, {"to_handle", true},
		{"to_account_id", false}, {"to_url", false}, {"evidence", false}, {"evidence_text", false},
		{"confidence", false}, {"status", false}, {"decided_by", false}, {"observed_at", false},
	},
	row: linkRow,
}

var communitiesLayout = &layout{
	name: "communities",
	columns: []column{
		{"community", true}, {"platform", true}, {"account_id", true},
		{"handle", false}, {"source", false}, {"added_at", false}, {"removed", false},
	},
	row: communityRow,
}

// The formats, as `tidewatch import` names them.
var (
	Accounts = accountsLayout.format("accounts CSV: account observations (identity, followers at a time)")
	Posts    = postsLayout.format("posts CSV: posts with counters, links, forwards and replies")
	Events   = eventsLayout.format("events CSV: entries of the events registry")
	Links    = linksLayout.format("links CSV: curated cross-platform account links")
	// Communities are researchers' labels: which community each account belongs to.
	Communities = communitiesLayout.format("communities CSV: which community each account belongs to")
)

// CommunitySource is the source of community memberships a file does not attribute.
const CommunitySource = "import"

// communityRow reads one membership. The version is the row's own time (added_at, else
// --observed-at), so importing a file again rewrites the same rows; a removal outranks a
// membership of the same time by one.
func communityRow(r *row) {
	env := r.env()
	community := r.need("community", "the community's name")
	platform := r.token("platform", platformExpected, true)
	external := r.need("account_id", "the account's id on its platform (for Telegram the numeric channel id)")
	added := r.time("added_at", false)
	removed := r.bool("removed")
	source := r.str("source")
	if source == "" {
		source = CommunitySource
	}
	if !r.ok() {
		return
	}
	if added.IsZero() {
		added = env.ObservedAt
	}
	version := schema.Version(added) + uint64(removed)
	r.rec.Rows.Communities = append(r.rec.Rows.Communities, schema.Community{
		Community: community, Platform: platform, ChannelID: schema.AccountID(external), Source: source,
		AddedAt: added, Removed: removed, Version: version,
	})
	handle := r.handle("handle")
	r.rec.Authors = append(r.rec.Authors, importer.AccountRef{Platform: platform, ID: external, Handle: handle})
}

var statuses = map[string]bool{
	schema.StatusActive: true, schema.StatusPrivate: true, schema.StatusBanned: true,
	schema.StatusDeleted: true, schema.StatusNotFound: true,
}

func accountRow(r *row) {
	env := r.env()
	platform := r.token("platform", platformExpected, true)
	external := r.need("account_id", "the account's id on its platform")
	observed := r.time("observed_at", true)
	created := r.time("created_at", false)
	status := strings.ToLower(r.str("status"))
	if status != "" && !statuses[status] {
		r.fail("status", "one of active, private, banned, deleted, not_found", r.str("status"))
	}
	kind := r.token("kind", "a lowercase kind like channel, page, group, account", false)
	followers := r.count("followers")
	verified := r.bool("verified")
	if !r.ok() {
		return
	}
	id := schema.AccountID(external)
	handle := r.handle("handle")
	ch := schema.Channel{
		Platform: platform, ChannelID: id, ExternalID: external, Username: handle, Title: r.str("name"),
		About: r.str("about"), Kind: kind, Status: status, Subscribers: followers, CreatedAt: created,
		FirstSeenAt: observed, LastSeenAt: observed, Verified: verified, Source: env.Source,
		Version: schema.Version(observed),
	}
	r.rec.Rows.Channels = append(r.rec.Rows.Channels, ch)
	if r.str("followers") != "" {
		r.rec.Rows.Snapshots = append(r.rec.Rows.Snapshots, schema.ChannelSnapshot{
			Platform: platform, ChannelID: id, SnapshotAt: observed, Username: handle, Title: ch.Title,
			About: ch.About, Subscribers: followers, Status: status, Verified: verified,
			Source: env.Source, RunID: env.RunID,
		})
	}
	r.rec.Authors = append(r.rec.Authors, importer.AccountRef{Platform: platform, ID: external, Handle: handle})
}

func postRow(r *row) {
	env := r.env()
	platform := r.token("platform", platformExpected, true)
	external := r.need("account_id", "the account's id on its platform")
	postText := r.need("post_id", "the post's id")
	posted := r.time("posted_at", true)
	edited := r.time("edited_at", false)
	observed := r.time("observed_at", false)
	views, forwards, replies, reactions := r.count("views"), r.count("forwards"), r.count("replies"), r.count("reactions")
	fwdPost, replyTo, album := r.id("fwd_post_id"), r.id("reply_to_post_id"), r.id("album_id")
	deleted := r.bool("deleted")
	postType := r.token("post_type", "a lowercase type like text, photo, video, link, retweet", false)
	mediaType := r.token("media_type", "a lowercase media type like photo or video", false)
	if _, err := strconv.ParseUint(postText, 10, 63); err != nil && platform == schema.PlatformTelegram {
		r.fail("post_id", "a numeric message id for telegram", postText)
	}
	if r.str("fwd_account_id") != "" && r.str("fwd_person") != "" {
		r.fail("fwd_person", "either fwd_account_id (an account) or fwd_person (a person), not both", r.str("fwd_person"))
	}
	if !r.ok() {
		return
	}
	postID, err := strconv.ParseUint(postText, 10, 64)
	if err != nil || postID >= 1<<63 {
		postID = schema.AccountID("post:" + postText) // ids that are not numbers (video ids) get a stable hash
	}
	version := schema.Version(posted)
	if !observed.IsZero() {
		version = schema.Version(observed)
	} else if !env.ObservedAt.IsZero() {
		observed, version = env.ObservedAt, schema.Version(env.ObservedAt)
	}
	p := schema.Post{
		Platform: platform, ChannelID: schema.AccountID(external), PostID: postID, PostedAt: posted,
		EditedAt: edited, Kind: schema.KindPost, PostType: postType, MediaType: mediaType,
		AlbumID: album, ReplyToPostID: replyTo, Views: views, Forwards: forwards, Replies: replies,
		Reactions: reactions, CountersAt: observed, Deleted: deleted, Source: env.Source,
		RunID: env.RunID, Version: version,
	}
	if deleted == 1 {
		p.DeletedAt = observed
	}
	if fa := r.str("fwd_account_id"); fa != "" {
		p.FwdChannelID, p.FwdPostID = schema.AccountID(fa), fwdPost
		if t, ok := importer.SnowflakeTime(fwdPost); ok && platform == schema.PlatformTwitter {
			p.FwdAt = t
		}
	}
	if fp := r.str("fwd_person"); fp != "" {
		p.FwdPersonHash = env.Hasher.Person(platform, fp) // a person's id never reaches the tables
	}
	content := importer.Content{
		Text:               r.str("text"),
		URLs:               r.list("links"),
		Hashtags:           r.list("hashtags"),
		Mentions:           r.list("mentions"),
		MentionsArePersons: platform != schema.PlatformTelegram,
	}
	env.Extract(&p, content, &r.rec.Rows)
	if p.PostType == "" {
		switch {
		case mediaType != "":
			p.PostType = mediaType
		case p.LinkCount > 0:
			p.PostType = "link"
		default:
			p.PostType = "text"
		}
	}
	r.rec.Rows.Posts = append(r.rec.Rows.Posts, p)
	handle := r.handle("handle")
	r.rec.Rows.Channels = append(r.rec.Rows.Channels, schema.Channel{
		Platform: platform, ChannelID: p.ChannelID, ExternalID: external, Username: handle,
		FirstSeenAt: posted, LastSeenAt: posted, Source: env.Source,
		// A posts file says little about the account: its row must not replace a fuller one.
		Version: importer.PartialIdentityVersion,
	})
	r.rec.Authors = append(r.rec.Authors, importer.AccountRef{Platform: platform, ID: external, Handle: handle})
}

func eventRow(r *row) {
	e := registry.Event{
		At:         r.time("event_at", true),
		End:        r.time("end_at", false),
		Platform:   r.str("platform"),
		Kind:       r.str("kind"),
		TargetKind: r.str("target_kind"),
		Targets:    r.list("targets"),
		Title:      r.str("title"),
		Source:     r.str("source"),
		Note:       r.str("note"),
	}
	for _, s := range r.list("target_channel_ids") {
		id, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			r.fail("target_channel_ids", "numeric channel ids separated by |", s)
			continue
		}
		e.TargetChannelIDs = append(e.TargetChannelIDs, id)
	}
	if !r.ok() {
		return
	}
	// The version is the event's own time, so importing the file again rewrites the same rows.
	row, err := registry.Row(e, registry.OriginImport, e.At)
	if err != nil {
		for _, fe := range unwrapAll(err) {
			col := fe.Field
			if col == "at" {
				col = "event_at"
			} else if col == "end" {
				col = "end_at"
			}
			r.fail(col, fe.Expected, fe.Got)
		}
		return
	}
	r.rec.Rows.Events = append(r.rec.Rows.Events, row)
}

func unwrapAll(err error) []*registry.FieldError {
	var out []*registry.FieldError
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, unwrapAll(e)...)
		}
		return out
	}
	if fe, ok := err.(*registry.FieldError); ok {
		return []*registry.FieldError{fe}
	}
	return []*registry.FieldError{{Field: "record", Expected: "a valid event", Got: err.Error()}}
}

var evidenceKinds = map[string]bool{
	accountlink.HandleInAbout: true, accountlink.LinkInPinned: true, accountlink.LinkInPosts: true,
	accountlink.SameHandle: true, accountlink.Manual: true,
}

func linkRow(r *row) {
	from := r.token("from_platform", platformExpected, true)
	fromID := r.need("from_account_id", "the account's id on its platform")
	to := r.token("to_platform", platformExpected, true)
	handle := strings.TrimPrefix(r.need("to_handle", "the other account's handle"), "@")
	evidence := strings.ToLower(r.str("evidence"))
	if evidence == "" {
		evidence = accountlink.Manual
	} else if !evidenceKinds[evidence] {
		r.fail("evidence", "one of manual, handle_in_about, link_in_pinned, link_in_posts, same_handle", r.str("evidence"))
	}
	status := strings.ToLower(r.str("status"))
	switch status {
	case "":
		status = accountlink.Accepted
	case accountlink.Accepted, accountlink.Rejected, accountlink.Proposed:
	default:
		r.fail("status", "accepted, rejected or proposed", r.str("status"))
	}
	conf := 1.0
	if s := r.str("confidence"); s != "" {
		f, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
		if err != nil || f < 0 || f > 1 {
			r.fail("confidence", "a number from 0 to 1", s)
		}
		conf = f
	}
	observed := r.time("observed_at", false)
	if !r.ok() {
		return
	}
	ref, err := accountlink.ParseAccountRef(to + ":" + handle)
	if err != nil || ref.Handle == "" {
		r.fail("to_handle", "a valid "+to+" handle", handle)
		return
	}
	handle = ref.Handle
	version := schema.Version(observed)
	if status != accountlink.Proposed {
		// A decision outranks proposals; the file's own time keeps a re-import identical.
		version = accountlink.DecisionVersion(observed)
	}
	var toID uint64
	if s := r.str("to_account_id"); s != "" {
		toID = schema.AccountID(s)
	}
	toURL := r.str("to_url")
	if toURL == "" {
		toURL = accountlink.ProfileURL(to, handle)
	}
	decidedBy := r.str("decided_by")
	if decidedBy == "" && status != accountlink.Proposed {
		decidedBy = "import"
	}
	r.rec.Rows.AccountLinks = append(r.rec.Rows.AccountLinks, schema.AccountLink{
		FromPlatform: from, FromChannelID: schema.AccountID(fromID), ToPlatform: to, ToHandle: handle,
		ToChannelID: toID, ToURL: toURL, Evidence: evidence, EvidenceText: r.str("evidence_text"),
		Confidence: float32(conf), Status: status, FirstSeenAt: observed, LastVerifiedAt: observed,
		DecidedBy: decidedBy, Version: version,
	})
}
