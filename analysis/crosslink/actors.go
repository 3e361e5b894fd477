package crosslink

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/tidewatch/tidewatch/links/accountlink"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// ActorID is the id of an actor named name: its name lowercased, with runs of anything but
// letters and digits as one "-".
func ActorID(name string) (string, error) {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(strings.TrimSpace(name)) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return "", fmt.Errorf("actor name %q: expected letters or digits", name)
	}
	return b.String(), nil
}

// Resolve fills in the id of accounts named by handle, and the handle of accounts named by id,
// from the channels table; accounts tidewatch does not know keep channel id 0 (or no handle).
func Resolve(ctx context.Context, db *store.DB, refs []accountlink.AccountRef) ([]accountlink.AccountRef, error) {
	accts, err := store.Select[accountRow](ctx, db, accountsSQL)
	if err != nil {
		return nil, fmt.Errorf("read channels: %w", err)
	}
	byHandle := map[string]uint64{}
	byID := map[string]string{}
	for _, a := range accts {
		if a.Username != "" {
			byHandle[a.Platform+"\x00"+strings.ToLower(a.Username)] = a.ChannelID
		}
		byID[a.Platform+"\x00"+strconv.FormatUint(a.ChannelID, 10)] = strings.ToLower(a.Username)
	}
	out := make([]accountlink.AccountRef, len(refs))
	for i, r := range refs {
		if r.Handle != "" && r.ChannelID == 0 {
			r.ChannelID = byHandle[r.Platform+"\x00"+r.Handle]
		}
		if r.Handle == "" {
			r.Handle = byID[r.Platform+"\x00"+strconv.FormatUint(r.ChannelID, 10)]
		}
		out[i] = r
	}
	return out, nil
}

// ActorRows are the actor_accounts rows that put accounts into (or, with removed, take them
// out of) the actor named name, at time now.
func ActorRows(name string, refs []accountlink.AccountRef, removed bool, note string, now time.Time) ([]schema.ActorAccount, error) {
	id, err := ActorID(name)
	if err != nil {
		return nil, err
	}
	var rm uint8
	if removed {
		rm = 1
	}
	out := make([]schema.ActorAccount, len(refs))
	for i, r := range refs {
		out[i] = schema.ActorAccount{
			ActorID:   id,
			ActorName: strings.TrimSpace(name),
			Platform:  r.Platform,
			ChannelID: r.ChannelID,
			Handle:    r.Handle,
			AddedAt:   now.UTC().Truncate(time.Second),
			Removed:   rm,
			Note:      note,
			Version:   schema.Version(now),
		}
	}
	return out, nil
}

// Actor is an actor with its current accounts.
type Actor struct {
	ID, Name string
	Accounts []schema.ActorAccount
}

// Actors reads the actors and their accounts (removed ones left out), sorted by id.
func Actors(ctx context.Context, db *store.DB) ([]Actor, error) {
	rows, err := store.Select[schema.ActorAccount](ctx, db,
		"SELECT "+store.Columns[schema.ActorAccount]()+" FROM "+schema.TableActorAccounts+" FINAL WHERE removed = 0")
	if err != nil {
		return nil, fmt.Errorf("read actors: %w", err)
	}
	idx := map[string]int{}
	var out []Actor
	for _, r := range rows {
		i, ok := idx[r.ActorID]
		if !ok {
			i = len(out)
			idx[r.ActorID] = i
			out = append(out, Actor{ID: r.ActorID, Name: r.ActorName})
		}
		out[i].Accounts = append(out[i].Accounts, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	for _, a := range out {
		sort.Slice(a.Accounts, func(i, j int) bool {
			x, y := a.Accounts[i], a.Accounts[j]
			return x.Platform+"\x00"+x.Handle < y.Platform+"\x00"+y.Handle
		})
	}
	return out, nil
}

// LinkEnds are the two accounts of each stored link with one of the ids (full ids), for
// making an actor from accepted links.
func LinkEnds(ctx context.Context, db *store.DB, ids []string) ([]accountlink.AccountRef, error) {
	rows, err := Existing(ctx, db)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[strings.ToLower(id)] = true
	}
	accts, err := store.Select[accountRow](ctx, db, accountsSQL)
	if err != nil {
		return nil, fmt.Errorf("read channels: %w", err)
	}
	handle := map[string]string{}
	for _, a := range accts {
		handle[a.Platform+"\x00"+strconv.FormatUint(a.ChannelID, 10)] = strings.ToLower(a.Username)
	}
	seen := map[string]bool{}
	var out []accountlink.AccountRef
	addRef := func(r accountlink.AccountRef) {
		if k := r.String(); !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	found := map[string]bool{}
	for _, p := range Pairs(rows) {
		match := ""
		for id := range want {
			if strings.HasPrefix(p.ID, id) {
				match = id
			}
		}
		if match == "" {
			continue
		}
		found[match] = true
		r := p.Rows[0]
		addRef(accountlink.AccountRef{Platform: r.FromPlatform, ChannelID: r.FromChannelID, Handle: handle[r.FromPlatform+"\x00"+strconv.FormatUint(r.FromChannelID, 10)]})
		addRef(accountlink.AccountRef{Platform: r.ToPlatform, Handle: strings.ToLower(r.ToHandle), ChannelID: r.ToChannelID})
	}
	for id := range want {
		if !found[id] {
			return nil, fmt.Errorf("%s: %w", id, ErrNoLink)
		}
	}
	return out, nil
}
