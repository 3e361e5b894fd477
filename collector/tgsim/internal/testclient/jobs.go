package testclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime/pprof"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
)

// Job is what a child process does.
type Job struct {
	Config Config `json:"config"`
	// Collect: resolve these usernames and read everything about them.
	Collect []string `json:"collect,omitempty"`
	// Bench: page the histories of these channels with Workers goroutines
	// for Duration.
	Bench    []Ref         `json:"bench,omitempty"`
	Workers  int           `json:"workers,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`
}

// Ref is a channel id with its access hash.
type Ref struct {
	ID   int64 `json:"id"`
	Hash int64 `json:"hash"`
}

// Entity is a message entity read back from the wire.
type Entity struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
	URL    string `json:"url,omitempty"`
}

// Reaction is one reaction count.
type Reaction struct {
	Emoji string `json:"emoji"`
	Count int    `json:"count"`
}

// Post is a message read back from the wire.
type Post struct {
	ID         int        `json:"id"`
	Date       int64      `json:"date"`
	EditDate   int64      `json:"edit_date,omitempty"`
	Service    bool       `json:"service,omitempty"`
	Action     string     `json:"action,omitempty"`
	Text       string     `json:"text,omitempty"`
	Entities   []Entity   `json:"entities,omitempty"`
	GroupedID  int64      `json:"grouped_id,omitempty"`
	Media      string     `json:"media,omitempty"`
	FwdChannel int64      `json:"fwd_channel,omitempty"`
	FwdPost    int        `json:"fwd_post,omitempty"`
	FwdName    string     `json:"fwd_name,omitempty"`
	FwdDate    int64      `json:"fwd_date,omitempty"`
	ReplyTo    int        `json:"reply_to,omitempty"`
	Views      int        `json:"views"`
	Forwards   int        `json:"forwards"`
	Replies    int        `json:"replies"`
	Reactions  []Reaction `json:"reactions,omitempty"`
}

// Counters are a post's counters re-read with messages.getMessagesViews.
type Counters struct {
	Views    int `json:"views"`
	Forwards int `json:"forwards"`
	Replies  int `json:"replies"`
}

// Channel is everything read about one username.
type Channel struct {
	Username     string           `json:"username"`
	Error        string           `json:"error,omitempty"`
	ID           int64            `json:"id"`
	AccessHash   int64            `json:"access_hash"`
	Title        string           `json:"title"`
	About        string           `json:"about"`
	Subscribers  int              `json:"subscribers"`
	Verified     bool             `json:"verified,omitempty"`
	Scam         bool             `json:"scam,omitempty"`
	Fake         bool             `json:"fake,omitempty"`
	Restricted   bool             `json:"restricted,omitempty"`
	Restrictions []string         `json:"restrictions,omitempty"`
	LinkedChat   int64            `json:"linked_chat,omitempty"`
	Pinned       int              `json:"pinned,omitempty"`
	Count        int              `json:"count"`
	Pages        int              `json:"pages"`
	Posts        []Post           `json:"posts"`
	Counters     map[int]Counters `json:"counters"`
	// Chats are the channel ids listed next to the pages (forward sources).
	Chats []int64 `json:"chats,omitempty"`
	// Empty are ids channels.getMessages answered with messageEmpty.
	Empty []int `json:"empty,omitempty"`
}

// Result is a child's answer.
type Result struct {
	WorldDate int64     `json:"world_date"`
	Channels  []Channel `json:"channels,omitempty"`
	Pages     int64     `json:"pages,omitempty"`
	Messages  int64     `json:"messages,omitempty"`
	Seconds   float64   `json:"seconds,omitempty"`
	Errors    int64     `json:"errors,omitempty"`
	// MaxLatency is the slowest page of a bench.
	MaxLatency time.Duration `json:"max_latency,omitempty"`
	// ErrorTypes counts the errors of a bench by Telegram error type.
	ErrorTypes map[string]int64 `json:"error_types,omitempty"`
	// CPUSeconds is the client process's CPU time (user + system) during a
	// bench, login and key exchange excluded.
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
}

// Environment variables of a child process.
const (
	envJob = "TGSIM_TESTCLIENT_JOB"
	envOut = "TGSIM_TESTCLIENT_OUT"
)

// IsChild reports whether this process was started by Spawn.
func IsChild() bool { return os.Getenv(envJob) != "" }

// Main runs the job of a child process and returns its exit code.
func Main() int {
	data, err := os.ReadFile(os.Getenv(envJob))
	if err != nil {
		fmt.Fprintln(os.Stderr, "testclient:", err)
		return 2
	}
	var job Job
	if err := json.Unmarshal(data, &job); err != nil {
		fmt.Fprintln(os.Stderr, "testclient:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), Deadline())
	defer cancel()
	// TGSIM_TESTCLIENT_CPUPROFILE profiles the client side of a benchmark.
	if path := os.Getenv("TGSIM_TESTCLIENT_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testclient:", err)
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "testclient:", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	res, err := Do(ctx, job)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testclient:", err)
		return 1
	}

	out, err := json.Marshal(res)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testclient:", err)
		return 1
	}
	if err := os.WriteFile(os.Getenv(envOut), out, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "testclient:", err)
		return 1
	}
	return 0
}

// Spawn runs job in a child process: the current executable (a test binary
// whose TestMain calls Main when IsChild) with the job in its environment.
func Spawn(ctx context.Context, dir string, job Job) (*Result, error) {
	jobPath, outPath := dir+"/job.json", dir+"/result.json"
	data, err := json.Marshal(job)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(jobPath, data, 0o600); err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), envJob+"="+jobPath, envOut+"="+outPath)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("child client: %w", err)
	}
	out, err := os.ReadFile(outPath)
	if err != nil {
		return nil, err
	}
	var res Result
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Do runs a job in this process.
func Do(ctx context.Context, job Job) (*Result, error) {
	res := &Result{}
	err := Run(ctx, job.Config, func(ctx context.Context, api *tg.Client) error {
		cfg, err := api.HelpGetConfig(ctx)
		if err != nil {
			return fmt.Errorf("get config: %w", err)
		}
		res.WorldDate = int64(cfg.Date)
		for _, u := range job.Collect {
			ch, err := Collect(ctx, api, u)
			if err != nil {
				return fmt.Errorf("collect %s: %w", u, err)
			}
			res.Channels = append(res.Channels, ch)
		}
		if len(job.Bench) > 0 {
			Bench(ctx, api, job, res)
		}
		return nil
	})
	return res, err
}

// Collect resolves a username and reads the channel, its full history, the
// counters of its posts and, for a sample of ids, channels.getMessages.
// Telegram errors on resolving are reported in Channel.Error.
func Collect(ctx context.Context, api *tg.Client, username string) (Channel, error) {
	out := Channel{Username: username, Counters: map[int]Counters{}}
	peer, err := api.ContactsResolveUsername(ctx, &tg.ContactsResolveUsernameRequest{Username: username})
	if err != nil {
		if rpc, ok := tgerr.As(err); ok {
			out.Error = rpc.Type
			return out, nil
		}
		return out, err
	}
	pc, ok := peer.Peer.(*tg.PeerChannel)
	if !ok {
		return out, fmt.Errorf("resolved to %T", peer.Peer)
	}
	for _, c := range peer.Chats {
		if ch, ok := c.(*tg.Channel); ok && ch.ID == pc.ChannelID {
			out.ID, out.AccessHash, out.Title = ch.ID, ch.AccessHash, ch.Title
			out.Verified, out.Scam, out.Fake, out.Restricted = ch.Verified, ch.Scam, ch.Fake, ch.Restricted
			for _, r := range ch.RestrictionReason {
				out.Restrictions = append(out.Restrictions, r.Platform+"/"+r.Reason+"/"+r.Text)
			}
		}
	}
	if out.AccessHash == 0 {
		return out, errors.New("resolved channel missing from chats")
	}
	in := &tg.InputChannel{ChannelID: out.ID, AccessHash: out.AccessHash}
	full, err := api.ChannelsGetFullChannel(ctx, in)
	if err != nil {
		return out, fmt.Errorf("full channel: %w", err)
	}
	cf, ok := full.FullChat.(*tg.ChannelFull)
	if !ok {
		return out, fmt.Errorf("full chat is %T", full.FullChat)
	}
	out.About, out.Subscribers, out.LinkedChat, out.Pinned = cf.About, cf.ParticipantsCount, cf.LinkedChatID, cf.PinnedMsgID

	peerIn := &tg.InputPeerChannel{ChannelID: out.ID, AccessHash: out.AccessHash}
	chats := map[int64]bool{}
	offset := 0
	for {
		h, err := api.MessagesGetHistory(ctx, &tg.MessagesGetHistoryRequest{Peer: peerIn, OffsetID: offset, Limit: 100})
		if err != nil {
			return out, fmt.Errorf("history: %w", err)
		}
		cm, ok := h.(*tg.MessagesChannelMessages)
		if !ok {
			return out, fmt.Errorf("history is %T", h)
		}
		if len(cm.Messages) == 0 {
			break
		}
		out.Pages++
		out.Count = cm.Count
		for _, c := range cm.Chats {
			if c.GetID() != out.ID {
				chats[c.GetID()] = true
			}
		}
		for _, m := range cm.Messages {
			p, err := postOf(m)
			if err != nil {
				return out, err
			}
			out.Posts = append(out.Posts, p)
		}
		offset = out.Posts[len(out.Posts)-1].ID
	}
	for id := range chats {
		out.Chats = append(out.Chats, id)
	}
	sort.Slice(out.Chats, func(i, j int) bool { return out.Chats[i] < out.Chats[j] })

	// Re-read counters, 100 ids a call, as a collector does at fixed ages.
	var ids []int
	for _, p := range out.Posts {
		if !p.Service {
			ids = append(ids, p.ID)
		}
	}
	for start := 0; start < len(ids); start += 100 {
		chunk := ids[start:min(start+100, len(ids))]
		v, err := api.MessagesGetMessagesViews(ctx, &tg.MessagesGetMessagesViewsRequest{Peer: peerIn, ID: chunk})
		if err != nil {
			return out, fmt.Errorf("views: %w", err)
		}
		if len(v.Views) != len(chunk) {
			return out, fmt.Errorf("views: %d answers for %d ids", len(v.Views), len(chunk))
		}
		for i, mv := range v.Views {
			out.Counters[chunk[i]] = Counters{Views: mv.Views, Forwards: mv.Forwards, Replies: mv.Replies.Replies}
		}
	}

	// channels.getMessages over every id up to the newest: the gaps are the
	// deleted messages.
	if len(out.Posts) > 0 {
		top := out.Posts[0].ID
		for start := 1; start <= top; start += 100 {
			var req []tg.InputMessageClass
			for id := start; id < start+100 && id <= top; id++ {
				req = append(req, &tg.InputMessageID{ID: id})
			}
			got, err := api.ChannelsGetMessages(ctx, &tg.ChannelsGetMessagesRequest{Channel: in, ID: req})
			if err != nil {
				return out, fmt.Errorf("get messages: %w", err)
			}
			cm, ok := got.(*tg.MessagesChannelMessages)
			if !ok {
				return out, fmt.Errorf("get messages is %T", got)
			}
			for _, m := range cm.Messages {
				if e, ok := m.(*tg.MessageEmpty); ok {
					out.Empty = append(out.Empty, e.ID)
				}
			}
		}
	}
	return out, nil
}

func postOf(m tg.MessageClass) (Post, error) {
	switch m := m.(type) {
	case *tg.Message:
		p := Post{
			ID: m.ID, Date: int64(m.Date), EditDate: int64(m.EditDate), Text: m.Message,
			GroupedID: m.GroupedID, Views: m.Views, Forwards: m.Forwards, Replies: m.Replies.Replies,
		}
		for _, e := range m.Entities {
			p.Entities = append(p.Entities, entityOf(e))
		}
		if f, ok := m.GetFwdFrom(); ok {
			p.FwdDate = int64(f.Date)
			p.FwdName = f.FromName
			p.FwdPost = f.ChannelPost
			if pc, ok := f.FromID.(*tg.PeerChannel); ok {
				p.FwdChannel = pc.ChannelID
			}
		}
		if r, ok := m.ReplyTo.(*tg.MessageReplyHeader); ok {
			p.ReplyTo = r.ReplyToMsgID
		}
		switch md := m.Media.(type) {
		case *tg.MessageMediaPhoto:
			if _, ok := md.Photo.(*tg.Photo); !ok {
				return p, fmt.Errorf("message %d: photo is %T", m.ID, md.Photo)
			}
			p.Media = "photo"
		case *tg.MessageMediaDocument:
			doc, ok := md.Document.(*tg.Document)
			if !ok {
				return p, fmt.Errorf("message %d: document is %T", m.ID, md.Document)
			}
			p.Media = "document"
			for _, a := range doc.Attributes {
				if _, ok := a.(*tg.DocumentAttributeVideo); ok {
					p.Media = "video"
				}
			}
		}
		for _, r := range m.Reactions.Results {
			if e, ok := r.Reaction.(*tg.ReactionEmoji); ok {
				p.Reactions = append(p.Reactions, Reaction{Emoji: e.Emoticon, Count: r.Count})
			}
		}
		return p, nil
	case *tg.MessageService:
		p := Post{ID: m.ID, Date: int64(m.Date), Service: true}
		switch a := m.Action.(type) {
		case *tg.MessageActionChannelCreate:
			p.Action, p.Text = "channel_create", a.Title
		case *tg.MessageActionChatEditTitle:
			p.Action, p.Text = "title_changed", a.Title
		case *tg.MessageActionChatEditPhoto:
			p.Action = "photo_changed"
		case *tg.MessageActionPinMessage:
			p.Action = "pin"
		default:
			p.Action = a.TypeName()
		}
		if r, ok := m.ReplyTo.(*tg.MessageReplyHeader); ok {
			p.ReplyTo = r.ReplyToMsgID
		}
		return p, nil
	}
	return Post{}, fmt.Errorf("unexpected message %T", m)
}

func entityOf(e tg.MessageEntityClass) Entity {
	out := Entity{Offset: e.GetOffset(), Length: e.GetLength()}
	switch e := e.(type) {
	case *tg.MessageEntityURL:
		out.Type = "url"
	case *tg.MessageEntityTextURL:
		out.Type, out.URL = "text_url", e.URL
	case *tg.MessageEntityMention:
		out.Type = "mention"
	case *tg.MessageEntityHashtag:
		out.Type = "hashtag"
	case *tg.MessageEntityBold:
		out.Type = "bold"
	case *tg.MessageEntityItalic:
		out.Type = "italic"
	case *tg.MessageEntityCode:
		out.Type = "code"
	case *tg.MessageEntityEmail:
		out.Type = "email"
	case *tg.MessageEntityCashtag:
		out.Type = "cashtag"
	default:
		out.Type = e.TypeName()
	}
	return out
}

// Bench pages the histories of job.Bench with job.Workers goroutines for
// job.Duration and counts pages and messages.
func Bench(ctx context.Context, api *tg.Client, job Job, res *Result) {
	workers := max(job.Workers, 1)
	ctx, cancel := context.WithTimeout(ctx, job.Duration)
	defer cancel()
	deadline, _ := ctx.Deadline()
	var (
		next            atomic.Int64
		pages, msgs, ne atomic.Int64
		wg              sync.WaitGroup
		mu              sync.Mutex
		slowest         time.Duration
	)
	res.ErrorTypes = map[string]int64{}
	start, cpu := time.Now(), CPUTime()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				ref := job.Bench[int(next.Add(1)-1)%len(job.Bench)]
				peer := &tg.InputPeerChannel{ChannelID: ref.ID, AccessHash: ref.Hash}
				offset := 0
				for ctx.Err() == nil {
					sent := time.Now()
					h, err := api.MessagesGetHistory(ctx, &tg.MessagesGetHistoryRequest{Peer: peer, OffsetID: offset, Limit: 100})
					if took := time.Since(sent); err == nil {
						mu.Lock()
						slowest = max(slowest, took)
						mu.Unlock()
					}
					if err != nil {
						// A write after the deadline fails with an i/o timeout
						// before the context's own timer has fired: not an error.
						if ctx.Err() == nil && time.Now().Before(deadline) {
							ne.Add(1)
							typ := err.Error()
							if rpc, ok := tgerr.As(err); ok {
								typ = rpc.Type
							}
							mu.Lock()
							res.ErrorTypes[typ]++
							mu.Unlock()
						}
						break
					}
					cm, ok := h.(*tg.MessagesChannelMessages)
					if !ok || len(cm.Messages) == 0 || time.Now().After(deadline) {
						break
					}
					pages.Add(1)
					msgs.Add(int64(len(cm.Messages)))
					offset = cm.Messages[len(cm.Messages)-1].GetID()
				}
			}
		}()
	}
	// Rates are over the window: a call gotd is slow to abandon at the
	// deadline neither counts nor stretches it.
	<-ctx.Done()
	res.CPUSeconds = (CPUTime() - cpu).Seconds()
	wg.Wait()
	res.Seconds = min(time.Since(start), job.Duration).Seconds()
	res.Pages, res.Messages, res.Errors = pages.Load(), msgs.Load(), ne.Load()
	res.MaxLatency = slowest
}

// CPUTime returns the CPU time (user + system) used by this process so far.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
