package store

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/schema/chtest"
)

// allKinds has a field of every supported kind.
type allKinds struct {
	ID      uint64    `ch:"id"`
	S       string    `ch:"s"`
	LC      string    `ch:"lc"`
	U8      uint8     `ch:"u8"`
	U16     uint16    `ch:"u16"`
	U32     uint32    `ch:"u32"`
	I8      int8      `ch:"i8"`
	I16     int16     `ch:"i16"`
	I32     int32     `ch:"i32"`
	I64     int64     `ch:"i64"`
	F32     float32   `ch:"f32"`
	F64     float64   `ch:"f64"`
	B       bool      `ch:"b"`
	TS      time.Time `ch:"ts"`
	Day     time.Time `ch:"day,date"`
	Tags    []string  `ch:"tags"`
	Nums    []uint64  `ch:"nums"`
	Ignored string
	Skipped string `ch:"-"`
}

const allKindsDDL = `CREATE TABLE %s (
	id UInt64, s String, lc LowCardinality(String), u8 UInt8, u16 UInt16, u32 UInt32,
	i8 Int8, i16 Int16, i32 Int32, i64 Int64, f32 Float32, f64 Float64, b UInt8,
	ts DateTime, day Date, tags Array(String), nums Array(UInt64),
	extra String DEFAULT 'dflt'
) ENGINE = ReplacingMergeTree() ORDER BY id`

func allKindsRow(i int) allKinds {
	r := allKinds{
		ID:  uint64(i),
		S:   "row " + strconv.Itoa(i) + " with 'quotes' and \\ and ünïcode",
		LC:  []string{"telegram", "twitter", "facebook"}[i%3],
		U8:  uint8(i),
		U16: uint16(i),
		U32: uint32(i) * 7,
		I8:  int8(-i),
		I16: int16(-i),
		I32: int32(-i) * 3,
		I64: -int64(i) * 1_000_000_007,
		F32: float32(i) / 4,
		F64: float64(i) / 3,
		B:   i%2 == 0,
		TS:  time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
		Day: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%40),
	}
	if i%5 != 0 {
		r.Tags = []string{"a", "b" + strconv.Itoa(i)}
		r.Nums = []uint64{uint64(i), uint64(i) * 2, 3}
	}
	return r
}

// postRow is the benchmark and fault-test row: eleven posts-like columns,
// about 120 bytes each.
type postRow struct {
	Platform  string    `ch:"platform"`
	ChannelID uint64    `ch:"channel_id"`
	PostID    uint64    `ch:"post_id"`
	PostedAt  time.Time `ch:"posted_at"`
	Kind      string    `ch:"kind"`
	Text      string    `ch:"text"`
	TextLen   uint32    `ch:"text_length"`
	Views     uint64    `ch:"views"`
	Forwards  uint64    `ch:"forwards"`
	MediaType string    `ch:"media_type"`
	Version   uint64    `ch:"version"`
}

const postsDDL = `CREATE TABLE IF NOT EXISTS %s (
	platform LowCardinality(String), channel_id UInt64, post_id UInt64, posted_at DateTime,
	kind LowCardinality(String), text String, text_length UInt32, views UInt64, forwards UInt64,
	media_type LowCardinality(String), version UInt64
) ENGINE = ReplacingMergeTree(version) PARTITION BY toYYYYMM(posted_at) ORDER BY (platform, channel_id, post_id)`

var postColumns = "platform, channel_id, post_id, posted_at, kind, text, text_length, views, forwards, media_type, version"

var mediaTypes = []string{"", "photo", "video", "document", "webpage"}

// makePost builds row i; ids are unique per i.
func makePost(i int) postRow {
	text := fmt.Sprintf("post %d from channel %d: see https://example.org/a/%d", i, i%5000, i)
	return postRow{
		Platform:  "telegram",
		ChannelID: uint64(1_000_000 + i%5000),
		PostID:    uint64(i/5000 + 1),
		PostedAt:  time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 37 * time.Second),
		Kind:      "post",
		Text:      text,
		TextLen:   uint32(len(text)),
		Views:     uint64(i * 13 % 100_000),
		Forwards:  uint64(i % 17),
		MediaType: mediaTypes[i%len(mediaTypes)],
		Version:   uint64(1_700_000_000_000_000_000 + i),
	}
}

// openTest opens a DB on srv's default database.
func openTest(t testing.TB, srv *chtest.Server) *DB {
	t.Helper()
	db, err := Open(context.Background(), Options{Addr: []string{srv.Addr()}, Database: "default"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func integration(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts clickhouse-server; skipped under -short")
	}
}
