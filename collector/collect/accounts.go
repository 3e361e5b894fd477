package collect

import (
	"sort"

	"github.com/tidewatch/tidewatch/collector/collect/budget"
	"github.com/tidewatch/tidewatch/collector/collect/state"
	"github.com/tidewatch/tidewatch/collector/telegram"
)

// account is one Telegram account as the dispatcher sees it.
type account struct {
	client   Client
	label    string
	st       *state.Account
	inflight int
	// homes counts the channels this account works on.
	homes int
	dirty bool
	// parks is the fingerprint of the parks saved last, to notice a change.
	parks string
}

func (a *account) disabled() bool { return a.st.Disabled != "" }

// pool holds the accounts and their rate budgets: which account may call, and which knows
// a channel. The dispatcher goroutine owns it.
type pool struct {
	accounts []*account
	byLabel  map[string]*account
	budget   *budget.Budget
}

// add makes a the pool's newest account.
func (p *pool) add(a *account) {
	p.accounts = append(p.accounts, a)
	p.byLabel[a.label] = a
}

// knowing returns an enabled account holding an access hash for channel id, other than
// except, preferring the one with the fewest channels.
func (p *pool) knowing(id int64, except *account) *account {
	var best *account
	for _, a := range p.accounts {
		if a == except || a.disabled() || a.st.Peers[id] == 0 {
			continue
		}
		if best == nil || a.homes < best.homes {
			best = a
		}
	}
	return best
}

// enabled counts the accounts not disabled.
func (p *pool) enabled() int {
	n := 0
	for _, a := range p.accounts {
		if !a.disabled() {
			n++
		}
	}
	return n
}

// sorted returns the enabled accounts, fewest calls in flight first.
func (p *pool) sorted() []*account {
	out := make([]*account, 0, len(p.accounts))
	for _, a := range p.accounts {
		if !a.disabled() {
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].inflight < out[j].inflight })
	return out
}

// learnPeer records an access hash account a saw for a channel.
func (p *pool) learnPeer(a *account, info telegram.ChannelInfo) {
	if info.ChannelID == 0 || info.AccessHash == 0 || info.Min || info.Forbidden {
		return
	}
	if a.st.Peers[info.ChannelID] != info.AccessHash {
		a.st.Peers[info.ChannelID] = info.AccessHash
		a.dirty = true
	}
}

// learnChats records the access hashes an answer gave account a.
func (p *pool) learnChats(a *account, chats []telegram.ChannelInfo) {
	for _, info := range chats {
		p.learnPeer(a, info)
	}
}
