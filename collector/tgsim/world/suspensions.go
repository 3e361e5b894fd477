package world

import (
	"slices"
	"strings"
	"time"
)

// EventSuspension is the kind of a registry event listing the accounts a takedown suspended.
const EventSuspension = "suspension"

// Suspension is what a researcher would have on file about one takedown of a platform
// other than Telegram: the handles of the channels' accounts it suspended there, as
// known by Until (only accounts the channels name on Telegram, which is what links them
// to a channel).
type Suspension struct {
	// EventIndex, Event and At name the takedown; Platform is the platform taken down.
	EventIndex int
	Event      string
	At         time.Time
	Platform   string
	// Handles are the suspended accounts' handles, sorted, without "@".
	Handles []string
	// Channels are the Telegram channels whose accounts they are, ascending.
	Channels []int64
}

// Suspensions lists, for every takedown of another platform that suspended at least one
// account, the accounts it suspended: each suspension belongs to the latest takedown of
// its platform at or before it.
func (tr *Truth) Suspensions() []Suspension {
	byEvent := map[int]*Suspension{}
	for _, a := range tr.Accounts {
		if a.Suspended == nil {
			continue
		}
		ev := -1
		for i, e := range tr.WorldEvents {
			if e.Kind == EventTakedown && e.Platform == a.Platform && !e.At.After(*a.Suspended) &&
				(ev < 0 || e.At.After(tr.WorldEvents[ev].At)) {
				ev = i
			}
		}
		if ev < 0 {
			continue
		}
		s := byEvent[ev]
		if s == nil {
			e := tr.WorldEvents[ev]
			s = &Suspension{EventIndex: e.Index, Event: e.Name, At: e.At, Platform: e.Platform}
			byEvent[ev] = s
		}
		s.Handles = append(s.Handles, strings.TrimPrefix(a.Handle, "@"))
		s.Channels = append(s.Channels, a.Channel)
	}
	out := make([]Suspension, 0, len(byEvent))
	for _, s := range byEvent {
		slices.Sort(s.Handles)
		s.Handles = slices.Compact(s.Handles)
		slices.Sort(s.Channels)
		s.Channels = slices.Compact(s.Channels)
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Suspension) int { return a.EventIndex - b.EventIndex })
	return out
}
