package store

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
)

func kindsBatch(t *testing.T, n int) *batch {
	t.Helper()
	l, err := layoutOf(reflect.TypeFor[allKinds]())
	require.NoError(t, err)
	b := newBatch(l.columns(), l.kinds(), n)
	rows := make([]allKinds, n)
	for i := range rows {
		rows[i] = allKindsRow(i)
	}
	if n > 0 {
		b.appendRows(l, unsafe.Pointer(&rows[0]), n)
	}
	return b
}

func TestLayout(t *testing.T) {
	l, err := layoutOf(reflect.TypeFor[allKinds]())
	require.NoError(t, err)
	require.Equal(t, []string{"id", "s", "lc", "u8", "u16", "u32", "i8", "i16", "i32", "i64", "f32", "f64", "b", "ts", "day", "tags", "nums"}, l.columns())
	require.Equal(t, kindDate, l.kinds()[14])
	l2, err := layoutOf(reflect.TypeFor[allKinds]())
	require.NoError(t, err)
	require.Same(t, l, l2, "built once per type")

	type noTags struct{ A string }
	type badType struct {
		M map[string]string `ch:"m"`
	}
	type badDate struct {
		D string `ch:"d,date"`
	}
	type badOption struct {
		D time.Time `ch:"d,datetime64"`
	}
	type dup struct {
		A string `ch:"x"`
		B string `ch:"x"`
	}
	type unexported struct {
		a string `ch:"a"`
	}
	tests := []struct {
		typ  reflect.Type
		want string
	}{
		{reflect.TypeFor[noTags](), `has no fields tagged ch:"column"`},
		{reflect.TypeFor[badType](), "field M (column m): unsupported type map[string]string"},
		{reflect.TypeFor[badDate](), "field D (column d): unsupported type string for a date"},
		{reflect.TypeFor[badOption](), `unknown ch tag option "datetime64"`},
		{reflect.TypeFor[dup](), "fields A and B both map to column x"},
		{reflect.TypeFor[unexported](), "field a (column a) is not exported"},
		{reflect.TypeFor[int](), "is not a struct"},
	}
	for _, tc := range tests {
		t.Run(tc.typ.String(), func(t *testing.T) {
			_, err := layoutOf(tc.typ)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_ = unexported{a: ""}
}

func TestBatchCopiesSlices(t *testing.T) {
	l, err := layoutOf(reflect.TypeFor[allKinds]())
	require.NoError(t, err)
	b := newBatch(l.columns(), l.kinds(), 1)
	r := allKinds{Tags: []string{"x"}, Nums: []uint64{1}}
	b.appendRows(l, unsafe.Pointer(&r), 1)
	r.Tags[0], r.Nums[0] = "changed", 2
	require.Equal(t, []string{"x"}, (*b.cols[15].(*[][]string))[0])
	require.Equal(t, []uint64{1}, (*b.cols[16].(*[][]uint64))[0])
}

func TestSpoolEncodingRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 1000} {
		b := kindsBatch(t, n)
		var buf bytes.Buffer
		require.NoError(t, encodeBatch(&buf, "db.kinds", b))
		table, got, err := decodeBatch(buf.Bytes())
		require.NoError(t, err)
		require.Equal(t, "db.kinds", table)
		require.Equal(t, b.columns, got.columns)
		require.Equal(t, b.kinds, got.kinds)
		require.Equal(t, b.rows, got.rows)
		for i := range b.cols {
			require.Equal(t, b.columnLen(i), got.columnLen(i))
			if n > 0 {
				require.Equal(t, b.cols[i], got.cols[i], "column %s", b.columns[i])
			}
		}
	}
}

func TestSpoolEncodingDetectsDamage(t *testing.T) {
	b := kindsBatch(t, 50)
	var buf bytes.Buffer
	require.NoError(t, encodeBatch(&buf, "db.kinds", b))
	good := buf.Bytes()

	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x40
	tests := map[string][]byte{
		"flipped bit":  flipped,
		"truncated":    good[:len(good)-10],
		"empty":        {},
		"wrong magic":  append([]byte("XXXXXXXX"), good[8:]...),
		"only a magic": []byte(spoolMagic),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := decodeBatch(data)
			require.ErrorIs(t, err, ErrCorruptSpool)
		})
	}
}

func TestSpoolFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db.t")
	s, err := openSpool(dir)
	require.NoError(t, err)
	require.Zero(t, s.pending())
	for i := 1; i <= 3; i++ {
		require.NoError(t, s.write("db.t", kindsBatch(t, i)))
	}
	require.Equal(t, 3, s.pending())
	// A crash in the middle of a write leaves a temporary file only.
	require.NoError(t, os.WriteFile(filepath.Join(dir, tmpPrefix+"00000000000000000009.spool"), []byte("half"), 0o644))
	// The folder is owned by one writer at a time.
	_, err = openSpool(dir)
	require.ErrorContains(t, err, "in use by another writer")
	require.NoError(t, s.close())

	s, err = openSpool(dir)
	require.NoError(t, err)
	defer s.close()
	require.Equal(t, 3, s.pending(), "files survive a reopen, temporary ones do not count")
	_, err = os.Stat(filepath.Join(dir, tmpPrefix+"00000000000000000009.spool"))
	require.ErrorIs(t, err, os.ErrNotExist)

	// Oldest first.
	for want := 1; want <= 2; want++ {
		name, table, b, err := s.oldest()
		require.NoError(t, err)
		require.Equal(t, "db.t", table)
		require.Equal(t, want, b.rows)
		require.NoError(t, s.remove(name))
	}
	require.NoError(t, s.write("db.t", kindsBatch(t, 4)))
	name, _, b, err := s.oldest()
	require.NoError(t, err)
	require.Equal(t, 3, b.rows)
	require.NoError(t, s.quarantine(name))
	require.NoError(t, s.writeFailed("db.t", kindsBatch(t, 5)))
	_, _, b, err = s.oldest()
	require.NoError(t, err)
	require.Equal(t, 4, b.rows, "the newer file follows")

	failed, err := filepath.Glob(filepath.Join(dir, failedDir, "*"+spoolSuffix))
	require.NoError(t, err)
	require.Len(t, failed, 2)
	require.NoError(t, s.close())
	// Numbering continues past failed/, so nothing there is overwritten.
	s, err = openSpool(dir)
	require.NoError(t, err)
	require.Greater(t, s.next, uint64(5))
}
