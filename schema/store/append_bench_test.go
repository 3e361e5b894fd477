package store

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/ClickHouse/ch-go/compress"
	chproto "github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"
	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/schema"
)

// BenchmarkWriterAppend measures the writer's own CPU per row, without a
// server; one op is one row:
//
//	go test ./schema/store -run '^$' -bench WriterAppend -benchmem -benchtime 1000000x
//
// "write" is Write's copy of 1000-row slices into a batch of
// DefaultBatchRows rows. "send" is what an insert then costs the client for
// a full batch: filling the driver's columns (fresh for every batch, as
// PrepareBatch makes them from the server's header) in blocks of
// batch.blockRows rows and encoding each block into a buffer, as the
// connection does before writing it to the socket; "send-lz4" also
// compresses each block with LZ4, as a connection to a remote server does
// (a local one is not compressed, see Options.Compression). The column
// types are
// the tables' own, read from the embedded migrations. cpu-ns/row is the
// process's CPU time (user + system, garbage collection included) per row,
// which a busy machine disturbs less than ns/op; give -benchtime a row
// count of several batches (1000000x) so that the per-batch costs count
// as often as they do in use.
func BenchmarkWriterAppend(b *testing.B) {
	posts := make([]schema.Post, DefaultBatchRows)
	for i := range posts {
		posts[i] = benchPost(i)
	}
	links := make([]schema.PostLink, DefaultBatchRows)
	for i := range links {
		links[i] = benchLink(i)
	}
	b.Run("posts/write", func(b *testing.B) { benchWrite(b, posts[:1000]) })
	b.Run("posts/send", func(b *testing.B) { benchSend(b, "posts", posts, false) })
	b.Run("posts/send-lz4", func(b *testing.B) { benchSend(b, "posts", posts, true) })
	b.Run("post_links/write", func(b *testing.B) { benchWrite(b, links[:1000]) })
	b.Run("post_links/send", func(b *testing.B) { benchSend(b, "post_links", links, false) })
	b.Run("post_links/send-lz4", func(b *testing.B) { benchSend(b, "post_links", links, true) })
}

func benchWrite[T any](b *testing.B, rows []T) {
	l, err := layoutOf(reflect.TypeFor[T]())
	require.NoError(b, err)
	bt := newBatch(l.columns(), l.kinds(), DefaultBatchRows)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for done := 0; done < b.N; {
		n := min(len(rows), b.N-done, DefaultBatchRows-bt.rows)
		bt.appendRows(l, unsafe.Pointer(&rows[0]), n)
		done += n
		if bt.rows == DefaultBatchRows {
			bt.reset()
		}
	}
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/row")
}

// benchRevision is a protocol revision from before custom serialization,
// which is what 18.16 speaks.
const benchRevision = proto.DBMS_MIN_REVISION_WITH_CUSTOM_SERIALIZATION - 1

// driverColumn lets appendBlock fill a bare driver column.
type driverColumn struct{ column.Interface }

func (c driverColumn) Append(v any) error {
	_, err := c.Interface.Append(v)
	return err
}

func benchSend[T any](b *testing.B, table string, rows []T, lz4 bool) {
	l, err := layoutOf(reflect.TypeFor[T]())
	require.NoError(b, err)
	types := migrationColumnTypes(b, table)
	bt := newBatch(l.columns(), l.kinds(), len(rows))
	bt.appendRows(l, unsafe.Pointer(&rows[0]), len(rows))
	buf := new(chproto.Buffer)
	comp := compress.NewWriter(compress.LevelZero, compress.LZ4)
	var wire, compressed int
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for done := 0; done < b.N; {
		n := min(len(rows), b.N-done)
		block := proto.NewBlock()
		colTypes := make([]string, len(bt.columns))
		for i, c := range bt.columns {
			typ, ok := types[c]
			require.True(b, ok, "column %s not in the %s migration", c, table)
			require.NoError(b, block.AddColumn(c, column.Type(typ)))
			colTypes[i] = typ
		}
		fill := newBlockFiller(bt, colTypes)
		blockRows := bt.blockRows()
		for lo := 0; lo < n; lo += blockRows {
			hi := min(lo+blockRows, n)
			if i, err := fill.appendBlock(func(i int) columnAppender { return driverColumn{block.Columns[i]} }, lo, hi); err != nil {
				b.Fatalf("column %s: %v", bt.columns[i], err)
			}
			buf.Reset()
			require.NoError(b, block.EncodeHeader(buf, benchRevision))
			for i := range block.Columns {
				require.NoError(b, block.EncodeColumn(buf, benchRevision, i))
			}
			wire += len(buf.Buf)
			if lz4 {
				require.NoError(b, comp.Compress(buf.Buf))
				compressed += len(comp.Data)
			}
			block.Reset()
		}
		done += n
	}
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/row")
	b.ReportMetric(float64(wire)/float64(b.N), "B/row")
	if lz4 {
		b.ReportMetric(float64(compressed)/float64(b.N), "lz4-B/row")
	}
}

// migrationColumnTypes reads the column types of table from the embedded
// migrations' CREATE TABLE statement.
func migrationColumnTypes(t testing.TB, table string) map[string]string {
	t.Helper()
	ms, err := schema.Migrations()
	require.NoError(t, err)
	marker := fmt.Sprintf("{{local %q}}", table)
	for _, m := range ms {
		_, body, ok := strings.Cut(m.SQL, marker)
		if !ok {
			continue
		}
		types := map[string]string{}
		for _, line := range strings.Split(body, "\n")[2:] {
			line, _, _ = strings.Cut(line, "--")
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, ")") {
				return types
			}
			f := strings.Fields(strings.TrimSuffix(line, ","))
			if len(f) >= 2 {
				types[f[0]] = f[1]
			}
		}
	}
	t.Fatalf("no CREATE TABLE for %s in the migrations", table)
	return nil
}

var (
	benchPostTypes = []string{"text", "photo", "video", "link", "text", "text"}
	benchMedia     = []string{"", "photo", "video", "document", "webpage", ""}
	benchDomains   = []string{"example.org", "t.me", "youtube.com", "news.example.com", "bit.ly"}
	benchDest      = []string{"web", "telegram", "youtube", "web", "web"}
)

// benchPost is a realistic collected post: ~200 bytes of text, a
// forward now and then, hashtags and mentions on some posts.
func benchPost(i int) schema.Post {
	text := fmt.Sprintf("Post %d of channel %d. Today's update on the situation: %s #news see https://example.org/a/%d and @channel%d",
		i, i%5000, strings.Repeat("lorem ipsum dolor ", 5+i%5), i, i%977)
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 37 * time.Second)
	p := schema.Post{
		Platform:   "telegram",
		ChannelID:  uint64(1_000_000 + i%5000),
		PostID:     uint64(i/5000 + 1),
		PostedAt:   at,
		Kind:       schema.KindPost,
		PostType:   benchPostTypes[i%len(benchPostTypes)],
		AuthorHash: strconv.FormatUint(uint64(i%313)*0x9e3779b97f4a7c15, 16),
		Text:       text,
		TextLength: uint32(len(text)),
		TextHash:   uint64(i) * 0x9e3779b97f4a7c15,
		MediaType:  benchMedia[i%len(benchMedia)],
		LinkCount:  uint16(i % 3),
		Views:      uint64(i * 13 % 100_000),
		Forwards:   uint64(i % 17),
		Replies:    uint64(i % 5),
		Reactions:  uint64(i % 29),
		CountersAt: at.Add(time.Hour),
		Source:     "collector",
		RunID:      "run-20250101-000000",
		Version:    uint64(at.Add(time.Hour).UnixNano()),
	}
	if i%4 == 0 {
		p.Hashtags = []string{"news", "update" + strconv.Itoa(i%7)}
	}
	if i%6 == 0 {
		p.Mentions = []string{"channel" + strconv.Itoa(i%977)}
	}
	if i%10 == 0 {
		p.FwdChannelID, p.FwdPostID, p.FwdAt = uint64(2_000_000+i%100), uint64(i/100), at.Add(-time.Hour)
	}
	return p
}

// benchLink is a realistic outbound link of a post.
func benchLink(i int) schema.PostLink {
	d := i % len(benchDomains)
	return schema.PostLink{
		Platform:         "telegram",
		ChannelID:        uint64(1_000_000 + i%5000),
		PostID:           uint64(i/5000 + 1),
		PostedAt:         time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 37 * time.Second),
		URL:              fmt.Sprintf("https://%s/article/%d?utm_source=telegram", benchDomains[d], i),
		LinkKind:         "url",
		SourceKind:       []string{"entity", "text_url", "text"}[i%3],
		Domain:           benchDomains[d],
		RegisteredDomain: benchDomains[d],
		DestPlatform:     benchDest[d],
		Shortener:        uint8(i % 2),
		RunID:            "run-20250101-000000",
	}
}
