package registry

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/schema"
)

var at = time.Date(2019, 11, 21, 9, 0, 0, 0, time.UTC)

func TestEventIDStable(t *testing.T) {
	a := EventID(at, "telegram", "takedown", []string{"@Nashir", "@amaq_agency"})
	require.Len(t, a, 16)
	require.Equal(t, a, EventID(at.In(time.FixedZone("CET", 3600)), " Telegram ", "TAKEDOWN", []string{"@amaq_agency", "@nashir", "@Nashir", ""}),
		"the same event: zone, case, order and duplicates do not matter")
	require.NotEqual(t, a, EventID(at.Add(time.Second), "telegram", "takedown", []string{"@nashir", "@amaq_agency"}))
	require.NotEqual(t, a, EventID(at, "twitter", "takedown", []string{"@nashir", "@amaq_agency"}))
	require.NotEqual(t, a, EventID(at, "telegram", "ban", []string{"@nashir", "@amaq_agency"}))
	require.NotEqual(t, a, EventID(at, "telegram", "takedown", []string{"@nashir"}))
}

func TestRow(t *testing.T) {
	recorded := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	row, err := Row(Event{
		At: at.Add(500 * time.Millisecond), End: at.Add(48 * time.Hour), Platform: "Telegram", Kind: "takedown",
		Targets: []string{" @nashir", "@amaq_agency", "@NASHIR"}, TargetChannelIDs: []uint64{7, 3, 7},
		Title: "Europol Action Day", Source: "https://www.europol.europa.eu/media-press/newsroom", Note: " ",
	}, OriginRegistry, recorded)
	require.NoError(t, err)
	require.Equal(t, schema.Event{
		EventID:          EventID(at, "telegram", "takedown", []string{"@nashir", "@amaq_agency"}),
		EventAt:          at,
		EndAt:            at.Add(48 * time.Hour),
		Platform:         "telegram",
		Kind:             "takedown",
		TargetKind:       "account",
		Targets:          []string{"@amaq_agency", "@nashir"},
		TargetChannelIDs: []uint64{3, 7},
		Title:            "Europol Action Day",
		Source:           "https://www.europol.europa.eu/media-press/newsroom",
		Origin:           "registry",
		Version:          schema.Version(recorded),
	}, row)
	del := Deleted(row, recorded.Add(time.Hour))
	require.EqualValues(t, 1, del.Deleted)
	require.Greater(t, del.Version, row.Version)
}

func TestValidate(t *testing.T) {
	_, err := Row(Event{End: at, Platform: "Tele gram", Kind: "Take down!", TargetKind: "person"}, OriginRegistry, at)
	require.EqualError(t, err, `at: expected the time of the event, got ""
platform: expected a lowercase platform name like telegram or twitter, got "tele gram"
kind: expected a lowercase kind like takedown, suspension, ban, deplatforming, attack, policy_change, got "take down!"
target_kind: expected account, channel, community or platform, got "person"
source: expected a citation or URL saying where the event is documented, got ""`)
	_, err = Row(Event{At: at, End: at.Add(-time.Hour), Kind: "attack", Source: "x"}, OriginRegistry, at)
	require.EqualError(t, err, `end: expected a time after the event's start, got "2019-11-21T08:00:00Z"`)
	_, err = Row(Event{At: at, Kind: "attack", Source: "news", Title: "Manchester Arena"}, OriginImport, at)
	require.NoError(t, err, "an event off any platform, without targets")
}

func TestDetected(t *testing.T) {
	e := Detected(Detection{At: at.Add(300 * time.Millisecond), Platform: "telegram", ChannelID: 1234, Username: "somechan", Kind: schema.EventWentPrivate, Old: "active", New: "private"})
	require.Equal(t, schema.Event{
		EventID:          "detected:telegram:1234:went_private:1574326800",
		EventAt:          at,
		Platform:         "telegram",
		Kind:             "went_private",
		TargetKind:       "channel",
		Targets:          []string{"1234", "@somechan"},
		TargetChannelIDs: []uint64{1234},
		Title:            "channel 1234: went private",
		Source:           "tidewatch collector",
		Origin:           "detected",
		Note:             "active -> private",
		Version:          schema.Version(at),
	}, e)
	require.Equal(t, e, Detected(Detection{At: at, Platform: "telegram", ChannelID: 1234, Username: "somechan", Kind: schema.EventWentPrivate, Old: "active", New: "private"}),
		"detecting again gives the same row")
}
