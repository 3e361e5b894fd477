package store

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// TestAppendRowsColumnwise checks every value the column-wise copy stores
// against the field it came from.
func TestAppendRowsColumnwise(t *testing.T) {
	const n = 777
	b := kindsBatch(t, n)
	l, err := layoutOf(reflect.TypeFor[allKinds]())
	require.NoError(t, err)
	require.Equal(t, n, b.rows)
	for c, f := range l.fields {
		col := reflect.ValueOf(b.cols[c]).Elem()
		require.Equal(t, n, col.Len(), "column %s", f.column)
		for i := 0; i < n; i++ {
			r := allKindsRow(i)
			field := reflect.ValueOf(r).FieldByName(f.goName).Interface()
			var want any
			switch v := field.(type) {
			case bool:
				want = uint8(0)
				if v {
					want = uint8(1)
				}
			case time.Time:
				want = v.Unix()
			default:
				want = v
			}
			require.Equal(t, want, col.Index(i).Interface(), "column %s, row %d", f.column, i)
		}
	}
}

func TestAppendRowsClampsTimes(t *testing.T) {
	l, err := layoutOf(reflect.TypeFor[allKinds]())
	require.NoError(t, err)
	rows := []allKinds{
		{},
		{TS: time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), Day: time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	b := newBatch(l.columns(), l.kinds(), 2)
	b.appendRows(l, unsafe.Pointer(&rows[0]), len(rows))
	require.Equal(t, []int64{0, maxDateTime}, *b.cols[13].(*[]int64))
	require.Equal(t, []int64{0, maxDate}, *b.cols[14].(*[]int64))
}

// recordingColumn stands in for a driver column and keeps what it got.
type recordingColumn struct {
	appended []any
	rows     []any
}

func (c *recordingColumn) Append(v any) error {
	c.appended = append(c.appended, v)
	return nil
}

func (c *recordingColumn) AppendRow(v any) error {
	c.rows = append(c.rows, v)
	return nil
}

func TestBlockFillerForms(t *testing.T) {
	b := kindsBatch(t, 100)
	types := []string{"UInt64", "String", "LowCardinality(String)"}
	f := newBlockFiller(b, types)
	cols := make([]*recordingColumn, len(b.cols))
	for i := range cols {
		cols[i] = &recordingColumn{}
	}
	for _, r := range [][2]int{{0, 40}, {40, 100}} {
		_, err := f.appendBlock(func(i int) columnAppender { return cols[i] }, r[0], r[1])
		require.NoError(t, err)
	}
	// A LowCardinality string column goes row by row, each distinct
	// value boxed once for the whole insert.
	require.Len(t, cols[2].rows, 100)
	for i, v := range cols[2].rows {
		require.Equal(t, allKindsRow(i).LC, v)
	}
	require.Len(t, f.boxes[2], 3)
	// A plain string column goes as slices, one per block.
	require.Equal(t, []any{(*b.cols[1].(*[]string))[:40], (*b.cols[1].(*[]string))[40:100]}, cols[1].appended)
	// Arrays go row by row as typed slices.
	require.Len(t, cols[15].rows, 100)
	require.Equal(t, allKindsRow(1).Tags, cols[15].rows[1])
	require.Equal(t, allKindsRow(3).Nums, cols[16].rows[3])
	// Dates go as time.Time values.
	require.Equal(t, []time.Time{allKindsRow(0).Day}, cols[14].appended[0].([]time.Time)[:1])
}

func TestBlockRows(t *testing.T) {
	l, err := layoutOf(reflect.TypeFor[postRow]())
	require.NoError(t, err)
	posts := make([]postRow, 2000)
	for i := range posts {
		posts[i] = makePost(i)
	}
	small := newBatch(l.columns(), l.kinds(), len(posts))
	small.appendRows(l, unsafe.Pointer(&posts[0]), len(posts))
	// ~120 bytes a row on the wire: about 8,700 rows make 1 MiB.
	require.InDelta(t, 8700, small.blockRows(), 700)

	for i := range posts {
		posts[i].Text = strings.Repeat("x", 10_000)
	}
	big := newBatch(l.columns(), l.kinds(), len(posts))
	big.appendRows(l, unsafe.Pointer(&posts[0]), len(posts))
	require.Equal(t, minBlockRows, big.blockRows())

	type tiny struct {
		A uint8 `ch:"a"`
	}
	lt, err := layoutOf(reflect.TypeFor[tiny]())
	require.NoError(t, err)
	tb := newBatch(lt.columns(), lt.kinds(), 10)
	tb.appendRows(lt, unsafe.Pointer(&[]tiny{{1}, {2}}[0]), 2)
	require.Equal(t, sendBlockRows, tb.blockRows())
	require.Equal(t, sendBlockRows, newBatch(lt.columns(), lt.kinds(), 1).blockRows())
}
