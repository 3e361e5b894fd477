package importer

import (
	"sort"

	"github.com/tidewatch/tidewatch/schema"
)

// ChannelSet merges the observations of accounts made while reading a file set into one
// channels row per account: the identity of the latest observation (highest version), the
// earliest first sighting and the latest last sighting. Rows of an export are not in time
// order, so the merged rows are written after the last record; the set holds one row per
// account, so memory follows the number of accounts, not the size of the files.
type ChannelSet struct {
	rows map[channelKey]*schema.Channel
}

type channelKey struct {
	platform string
	id       uint64
}

// NewChannelSet makes an empty set.
func NewChannelSet() *ChannelSet { return &ChannelSet{rows: map[channelKey]*schema.Channel{}} }

// Add merges one observation.
func (s *ChannelSet) Add(c schema.Channel) {
	k := channelKey{c.Platform, c.ChannelID}
	cur, ok := s.rows[k]
	if !ok {
		s.rows[k] = &c
		return
	}
	old := *cur
	if c.Version > cur.Version {
		*cur = c
		c = old // the older observation fills what the newer leaves unknown
	}
	fill(&cur.ExternalID, c.ExternalID)
	fill(&cur.Username, c.Username)
	fill(&cur.Title, c.Title)
	fill(&cur.About, c.About)
	fill(&cur.Kind, c.Kind)
	fill(&cur.Status, c.Status)
	if cur.Subscribers == 0 {
		cur.Subscribers = c.Subscribers
	}
	if cur.CreatedAt.IsZero() {
		cur.CreatedAt = c.CreatedAt
	}
	if cur.FirstSeenAt.IsZero() || (!c.FirstSeenAt.IsZero() && c.FirstSeenAt.Before(cur.FirstSeenAt)) {
		cur.FirstSeenAt = c.FirstSeenAt
	}
	if c.LastSeenAt.After(cur.LastSeenAt) {
		cur.LastSeenAt = c.LastSeenAt
	}
}

func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// Len is the number of accounts.
func (s *ChannelSet) Len() int { return len(s.rows) }

// Rows returns the merged rows sorted by platform and id.
func (s *ChannelSet) Rows() []schema.Channel {
	out := make([]schema.Channel, 0, len(s.rows))
	for _, c := range s.rows {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Platform != out[j].Platform {
			return out[i].Platform < out[j].Platform
		}
		return out[i].ChannelID < out[j].ChannelID
	})
	return out
}
