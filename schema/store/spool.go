package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// Spool file format, version 1. Little-endian throughout:
//
//	magic    "TWSPOOL1"
//	table    uvarint length + bytes
//	columns  uvarint count, then per column: uvarint length + name, kind byte
//	rows     uvarint
//	data     per column, rows values:
//	           string            uvarint length + bytes
//	           (u)int8/16/32/64  fixed width
//	           float32/64        IEEE bits, fixed width
//	           bool              one byte
//	           DateTime, Date    int64 Unix seconds
//	           []string          uvarint count, then strings as above
//	           []uint64          uvarint count, then fixed-width values
//	crc      CRC-32C of everything before it, 4 bytes
//
// A file is written under a temporary name, fsynced, and renamed, so a file
// with the .spool suffix is always complete; the checksum still guards
// against a disk that lies.
const spoolMagic = "TWSPOOL1"

const (
	spoolSuffix = ".spool"
	tmpPrefix   = ".tmp-"
	failedDir   = "failed"
	lockName    = ".lock"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorruptSpool is wrapped when a spool file cannot be decoded.
var ErrCorruptSpool = errors.New("corrupt spool file")

func encodeBatch(w io.Writer, table string, b *batch) error {
	crc := crc32.New(castagnoli)
	bw := bufio.NewWriterSize(io.MultiWriter(w, crc), 1<<20)
	var scratch [binary.MaxVarintLen64]byte
	uvarint := func(v uint64) {
		n := binary.PutUvarint(scratch[:], v)
		_, _ = bw.Write(scratch[:n])
	}
	str := func(s string) {
		uvarint(uint64(len(s)))
		_, _ = bw.WriteString(s)
	}
	fixed := func(v uint64, size int) {
		binary.LittleEndian.PutUint64(scratch[:8], v)
		_, _ = bw.Write(scratch[:size])
	}
	_, _ = bw.WriteString(spoolMagic)
	str(table)
	uvarint(uint64(len(b.columns)))
	for i, c := range b.columns {
		str(c)
		_ = bw.WriteByte(byte(b.kinds[i]))
	}
	uvarint(uint64(b.rows))
	for i, c := range b.cols {
		switch c := c.(type) {
		case *[]string:
			for _, v := range *c {
				str(v)
			}
		case *[]uint8:
			_, _ = bw.Write(*c)
		case *[]uint16:
			for _, v := range *c {
				fixed(uint64(v), 2)
			}
		case *[]uint32:
			for _, v := range *c {
				fixed(uint64(v), 4)
			}
		case *[]uint64:
			for _, v := range *c {
				fixed(v, 8)
			}
		case *[]int8:
			for _, v := range *c {
				_ = bw.WriteByte(byte(v))
			}
		case *[]int16:
			for _, v := range *c {
				fixed(uint64(uint16(v)), 2)
			}
		case *[]int32:
			for _, v := range *c {
				fixed(uint64(uint32(v)), 4)
			}
		case *[]int64:
			for _, v := range *c {
				fixed(uint64(v), 8)
			}
		case *[]float32:
			for _, v := range *c {
				fixed(uint64(math.Float32bits(v)), 4)
			}
		case *[]float64:
			for _, v := range *c {
				fixed(math.Float64bits(v), 8)
			}
		case *[][]string:
			for _, v := range *c {
				uvarint(uint64(len(v)))
				for _, s := range v {
					str(s)
				}
			}
		case *[][]uint64:
			for _, v := range *c {
				uvarint(uint64(len(v)))
				for _, x := range v {
					fixed(x, 8)
				}
			}
		default:
			return fmt.Errorf("encode column %s: unexpected %T", b.columns[i], c)
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], crc.Sum32())
	_, err := w.Write(sum[:])
	return err
}

// decoder reads a spool file held in memory; the first error sticks.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated %s", ErrCorruptSpool, what)
	}
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) bytes(n uint64, what string) []byte {
	if d.err != nil {
		return nil
	}
	if uint64(len(d.buf)) < n {
		d.fail(what)
		return nil
	}
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b
}

func (d *decoder) str(what string) string { return string(d.bytes(d.uvarint(what), what)) }

func (d *decoder) fixed(size int, what string) uint64 {
	b := d.bytes(uint64(size), what)
	if b == nil {
		return 0
	}
	var full [8]byte
	copy(full[:], b)
	return binary.LittleEndian.Uint64(full[:])
}

// count reads an element count and refuses one larger than the bytes left,
// so a damaged length cannot make the decoder allocate without bound.
func (d *decoder) count(what string) int {
	n := d.uvarint(what)
	if d.err == nil && n > uint64(len(d.buf)) {
		d.err = fmt.Errorf("%w: %s %d exceeds the file", ErrCorruptSpool, what, n)
		return 0
	}
	return int(n)
}

func decodeBatch(data []byte) (string, *batch, error) {
	if len(data) < len(spoolMagic)+4 || string(data[:len(spoolMagic)]) != spoolMagic {
		return "", nil, fmt.Errorf("%w: bad magic", ErrCorruptSpool)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return "", nil, fmt.Errorf("%w: checksum mismatch", ErrCorruptSpool)
	}
	d := &decoder{buf: body[len(spoolMagic):]}
	table := d.str("table")
	ncols := d.count("column count")
	columns := make([]string, 0, ncols)
	kinds := make([]kind, 0, ncols)
	for i := 0; i < ncols && d.err == nil; i++ {
		columns = append(columns, d.str("column name"))
		k := d.bytes(1, "column kind")
		if k != nil {
			if kind(k[0]) < kindString || kind(k[0]) > kindUint64s {
				return "", nil, fmt.Errorf("%w: unknown column kind %d", ErrCorruptSpool, k[0])
			}
			kinds = append(kinds, kind(k[0]))
		}
	}
	rows := d.count("row count")
	if d.err != nil {
		return "", nil, d.err
	}
	b := newBatch(columns, kinds, rows)
	b.rows = rows
	for i, c := range b.cols {
		what := "column " + columns[i]
		switch c := c.(type) {
		case *[]string:
			for r := 0; r < rows; r++ {
				*c = append(*c, d.str(what))
			}
		case *[]uint8:
			*c = append(*c, d.bytes(uint64(rows), what)...)
		case *[]uint16:
			for r := 0; r < rows; r++ {
				*c = append(*c, uint16(d.fixed(2, what)))
			}
		case *[]uint32:
			for r := 0; r < rows; r++ {
				*c = append(*c, uint32(d.fixed(4, what)))
			}
		case *[]uint64:
			for r := 0; r < rows; r++ {
				*c = append(*c, d.fixed(8, what))
			}
		case *[]int8:
			for r := 0; r < rows; r++ {
				*c = append(*c, int8(d.fixed(1, what)))
			}
		case *[]int16:
			for r := 0; r < rows; r++ {
				*c = append(*c, int16(uint16(d.fixed(2, what))))
			}
		case *[]int32:
			for r := 0; r < rows; r++ {
				*c = append(*c, int32(uint32(d.fixed(4, what))))
			}
		case *[]int64:
			for r := 0; r < rows; r++ {
				*c = append(*c, int64(d.fixed(8, what)))
			}
		case *[]float32:
			for r := 0; r < rows; r++ {
				*c = append(*c, math.Float32frombits(uint32(d.fixed(4, what))))
			}
		case *[]float64:
			for r := 0; r < rows; r++ {
				*c = append(*c, math.Float64frombits(d.fixed(8, what)))
			}
		case *[][]string:
			for r := 0; r < rows; r++ {
				n := d.count(what)
				var v []string
				if n > 0 {
					v = make([]string, n)
					for j := range v {
						v[j] = d.str(what)
					}
				}
				*c = append(*c, v)
			}
		case *[][]uint64:
			for r := 0; r < rows; r++ {
				n := d.count(what)
				var v []uint64
				if n > 0 {
					v = make([]uint64, n)
					for j := range v {
						v[j] = d.fixed(8, what)
					}
				}
				*c = append(*c, v)
			}
		}
		if d.err != nil {
			return "", nil, d.err
		}
	}
	if len(d.buf) != 0 {
		return "", nil, fmt.Errorf("%w: %d trailing bytes", ErrCorruptSpool, len(d.buf))
	}
	return table, b, nil
}

// spool is the folder of one table's batches that ClickHouse has not
// acknowledged yet, oldest first. One writer at a time owns it (flock), so
// two processes never replay, and delete, the same file.
type spool struct {
	dir   string
	lock  *os.File
	files []string // pending file names, in order
	next  uint64   // sequence number of the next file
}

func openSpool(dir string) (*spool, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create spool dir: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockName), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open spool lock: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("spool dir %s is in use by another writer: %w", dir, err)
	}
	s := &spool{dir: dir, lock: lock, next: 1}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("read spool dir: %w", err), s.close())
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, tmpPrefix):
			// A write that never completed: its batch was never reported
			// as spooled, so nothing relies on it.
			_ = os.Remove(filepath.Join(dir, name))
		case strings.HasSuffix(name, spoolSuffix):
			seq, err := strconv.ParseUint(strings.TrimSuffix(name, spoolSuffix), 10, 64)
			if err != nil {
				continue
			}
			s.files = append(s.files, name)
			if seq >= s.next {
				s.next = seq + 1
			}
		}
	}
	sort.Strings(s.files) // zero-padded sequence numbers sort in order
	// Numbers also continue after the rejected batches in failed/, so a
	// rename there never replaces one.
	failed, _ := os.ReadDir(filepath.Join(dir, failedDir))
	for _, e := range failed {
		if seq, err := strconv.ParseUint(strings.TrimSuffix(e.Name(), spoolSuffix), 10, 64); err == nil && seq >= s.next {
			s.next = seq + 1
		}
	}
	return s, nil
}

func (s *spool) close() error {
	if s.lock == nil {
		return nil
	}
	err := s.lock.Close() // closing releases the flock
	s.lock = nil
	return err
}

func (s *spool) pending() int { return len(s.files) }

// write stores b durably as the newest file.
func (s *spool) write(table string, b *batch) error {
	name := fmt.Sprintf("%020d%s", s.next, spoolSuffix)
	if err := writeDurable(s.dir, name, table, b); err != nil {
		return err
	}
	s.next++
	s.files = append(s.files, name)
	return nil
}

// writeFailed stores a batch that ClickHouse rejected straight into failed/,
// where it waits for a person rather than for a replay.
func (s *spool) writeFailed(table string, b *batch) error {
	dir := filepath.Join(s.dir, failedDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create spool failed dir: %w", err)
	}
	name := fmt.Sprintf("%020d%s", s.next, spoolSuffix)
	if err := writeDurable(dir, name, table, b); err != nil {
		return err
	}
	s.next++
	return nil
}

// writeDurable writes b under a temporary name, fsyncs it, renames it to
// name and fsyncs the folder, so the file is either whole or absent.
func writeDurable(dir, name, table string, b *batch) (err error) {
	tmp := filepath.Join(dir, tmpPrefix+name)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("create spool file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := encodeBatch(f, table, b); err != nil {
		return fmt.Errorf("write spool file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync spool file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close spool file: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("rename spool file: %w", err)
	}
	return syncDir(dir)
}

// oldest reads the oldest pending file.
func (s *spool) oldest() (name, table string, b *batch, err error) {
	name = s.files[0]
	data, err := os.ReadFile(filepath.Join(s.dir, name))
	if err != nil {
		return name, "", nil, fmt.Errorf("read spool file %s: %w", name, err)
	}
	table, b, err = decodeBatch(data)
	if err != nil {
		return name, "", nil, fmt.Errorf("spool file %s: %w", name, err)
	}
	return name, table, b, nil
}

// remove deletes the oldest file once its insert was acknowledged.
func (s *spool) remove(name string) error {
	if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove spool file: %w", err)
	}
	s.files = s.files[1:]
	return syncDir(s.dir)
}

// quarantine moves the oldest file into failed/, for a batch ClickHouse
// refuses for good (its rows do not fit the table) or that is damaged: it
// must not block the files behind it, and it must not be deleted either.
func (s *spool) quarantine(name string) error {
	if err := os.MkdirAll(filepath.Join(s.dir, failedDir), 0o755); err != nil {
		return fmt.Errorf("create spool failed dir: %w", err)
	}
	if err := os.Rename(filepath.Join(s.dir, name), filepath.Join(s.dir, failedDir, name)); err != nil {
		return fmt.Errorf("quarantine spool file: %w", err)
	}
	s.files = s.files[1:]
	return syncDir(s.dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync spool dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync spool dir: %w", err)
	}
	return nil
}
