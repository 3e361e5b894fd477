package store

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// kind is the Go representation of one column, which also fixes its spool
// encoding. Times are kept as Unix seconds: that is what DateTime and Date
// store, and it makes the buffers and the spool cheap.
type kind uint8

const (
	kindString kind = iota + 1
	kindUint8
	kindUint16
	kindUint32
	kindUint64
	kindInt8
	kindInt16
	kindInt32
	kindInt64
	kindFloat32
	kindFloat64
	kindBool // stored as UInt8
	kindDateTime
	kindDate
	kindStrings
	kindUint64s
)

func (k kind) String() string {
	switch k {
	case kindString:
		return "string"
	case kindUint8:
		return "uint8"
	case kindUint16:
		return "uint16"
	case kindUint32:
		return "uint32"
	case kindUint64:
		return "uint64"
	case kindInt8:
		return "int8"
	case kindInt16:
		return "int16"
	case kindInt32:
		return "int32"
	case kindInt64:
		return "int64"
	case kindFloat32:
		return "float32"
	case kindFloat64:
		return "float64"
	case kindBool:
		return "bool"
	case kindDateTime:
		return "time.Time (DateTime)"
	case kindDate:
		return "time.Time (Date)"
	case kindStrings:
		return "[]string"
	case kindUint64s:
		return "[]uint64"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// wireSize is the size of one value of a fixed-size kind in the native
// format (DateTime is a UInt32, Date a UInt16).
func (k kind) wireSize() int {
	switch k {
	case kindUint8, kindInt8, kindBool:
		return 1
	case kindUint16, kindInt16, kindDate:
		return 2
	case kindUint32, kindInt32, kindFloat32, kindDateTime:
		return 4
	}
	return 8
}

var timeType = reflect.TypeOf(time.Time{})

func kindOf(t reflect.Type, date bool) (kind, bool) {
	if t == timeType {
		if date {
			return kindDate, true
		}
		return kindDateTime, true
	}
	if date {
		return 0, false
	}
	switch t.Kind() {
	case reflect.String:
		return kindString, true
	case reflect.Uint8:
		return kindUint8, true
	case reflect.Uint16:
		return kindUint16, true
	case reflect.Uint32:
		return kindUint32, true
	case reflect.Uint64:
		return kindUint64, true
	case reflect.Int8:
		return kindInt8, true
	case reflect.Int16:
		return kindInt16, true
	case reflect.Int32:
		return kindInt32, true
	case reflect.Int64:
		return kindInt64, true
	case reflect.Float32:
		return kindFloat32, true
	case reflect.Float64:
		return kindFloat64, true
	case reflect.Bool:
		return kindBool, true
	case reflect.Slice:
		switch t.Elem().Kind() {
		case reflect.String:
			return kindStrings, true
		case reflect.Uint64:
			return kindUint64s, true
		}
	}
	return 0, false
}

// field is one tagged struct field: its column and where it sits in the row.
type field struct {
	column string
	goName string
	kind   kind
	offset uintptr
}

// rowLayout is the column list of a row type, built once per type.
type rowLayout struct {
	typ    reflect.Type
	fields []field
	width  int // bytes a row takes in a batch's columns, string and array contents aside
}

var layouts sync.Map // reflect.Type -> *rowLayout or error

// layoutOf reads the `ch:"column"` tags of T's fields (`ch:"column,date"`
// for a Date column, `ch:"-"` or no tag to leave a field out).
func layoutOf(t reflect.Type) (*rowLayout, error) {
	if v, ok := layouts.Load(t); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(*rowLayout), nil
	}
	l, err := buildLayout(t)
	if err != nil {
		layouts.Store(t, err)
		return nil, err
	}
	layouts.Store(t, l)
	return l, nil
}

func buildLayout(t reflect.Type) (*rowLayout, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("row type %s is not a struct", t)
	}
	l := &rowLayout{typ: t}
	seen := map[string]string{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("ch")
		if !ok || tag == "-" {
			continue
		}
		name, opt, _ := strings.Cut(tag, ",")
		if name == "" {
			return nil, fmt.Errorf("row type %s: field %s has an empty ch tag", t, f.Name)
		}
		if !f.IsExported() {
			return nil, fmt.Errorf("row type %s: field %s (column %s) is not exported", t, f.Name, name)
		}
		if opt != "" && opt != "date" {
			return nil, fmt.Errorf("row type %s: field %s: unknown ch tag option %q", t, f.Name, opt)
		}
		k, ok := kindOf(f.Type, opt == "date")
		if !ok {
			return nil, fmt.Errorf("row type %s: field %s (column %s): unsupported type %s%s", t, f.Name, name, f.Type,
				map[bool]string{true: " for a date", false: ""}[opt == "date"])
		}
		if prev, dup := seen[name]; dup {
			return nil, fmt.Errorf("row type %s: fields %s and %s both map to column %s", t, prev, f.Name, name)
		}
		seen[name] = f.Name
		l.fields = append(l.fields, field{column: name, goName: f.Name, kind: k, offset: f.Offset})
		l.width += k.width()
	}
	if len(l.fields) == 0 {
		return nil, fmt.Errorf("row type %s has no fields tagged ch:\"column\"", t)
	}
	return l, nil
}

// width is the bytes a value of the kind takes in a batch column: the
// element size of its slice (a string or slice header for the variable ones).
func (k kind) width() int {
	switch k {
	case kindString:
		return 16
	case kindStrings, kindUint64s:
		return 24
	case kindUint8, kindBool, kindInt8:
		return 1
	case kindUint16, kindInt16:
		return 2
	case kindUint32, kindInt32, kindFloat32:
		return 4
	}
	return 8
}

func (l *rowLayout) columns() []string {
	out := make([]string, len(l.fields))
	for i, f := range l.fields {
		out[i] = f.column
	}
	return out
}

func (l *rowLayout) kinds() []kind {
	out := make([]kind, len(l.fields))
	for i, f := range l.fields {
		out[i] = f.kind
	}
	return out
}

// DateTime stores seconds since 1970 in a UInt32, Date days in a UInt16:
// times outside those ranges (the zero time.Time above all, which means
// "unknown") are clamped rather than failing a whole batch.
const (
	maxDateTime = 1<<32 - 1
	maxDate     = (1<<16 - 1) * 86400
)

func clampUnix(t time.Time, max int64) int64 {
	s := t.Unix()
	if s < 0 {
		return 0
	}
	if s > max {
		return max
	}
	return s
}

// batch is a columnar buffer of rows for one table: one typed slice per
// column, the layout ClickHouse's native protocol sends.
type batch struct {
	columns []string
	kinds   []kind
	cols    []any // *[]string, *[]uint64, ... per kinds[i]
	rows    int
	bytes   int       // estimated memory of the rows: fixed widths, string and array contents
	started time.Time // when the first row arrived, for the flush interval
}

func newBatch(columns []string, kinds []kind, capacity int) *batch {
	b := &batch{columns: columns, kinds: kinds, cols: make([]any, len(kinds))}
	for i, k := range kinds {
		b.cols[i] = newColumn(k, capacity)
	}
	return b
}

func newColumn(k kind, n int) any {
	switch k {
	case kindString:
		s := make([]string, 0, n)
		return &s
	case kindUint8, kindBool:
		s := make([]uint8, 0, n)
		return &s
	case kindUint16:
		s := make([]uint16, 0, n)
		return &s
	case kindUint32:
		s := make([]uint32, 0, n)
		return &s
	case kindUint64:
		s := make([]uint64, 0, n)
		return &s
	case kindInt8:
		s := make([]int8, 0, n)
		return &s
	case kindInt16:
		s := make([]int16, 0, n)
		return &s
	case kindInt32:
		s := make([]int32, 0, n)
		return &s
	case kindInt64, kindDateTime, kindDate:
		s := make([]int64, 0, n)
		return &s
	case kindFloat32:
		s := make([]float32, 0, n)
		return &s
	case kindFloat64:
		s := make([]float64, 0, n)
		return &s
	case kindStrings:
		s := make([][]string, 0, n)
		return &s
	case kindUint64s:
		s := make([][]uint64, 0, n)
		return &s
	}
	panic(fmt.Sprintf("store: no column for %v", k))
}

// reset empties the batch for reuse, keeping its capacity.
func (b *batch) reset() {
	for i, c := range b.cols {
		switch c := c.(type) {
		case *[]string:
			clear(*c) // let the strings be collected
			*c = (*c)[:0]
		case *[]uint8:
			*c = (*c)[:0]
		case *[]uint16:
			*c = (*c)[:0]
		case *[]uint32:
			*c = (*c)[:0]
		case *[]uint64:
			*c = (*c)[:0]
		case *[]int8:
			*c = (*c)[:0]
		case *[]int16:
			*c = (*c)[:0]
		case *[]int32:
			*c = (*c)[:0]
		case *[]int64:
			*c = (*c)[:0]
		case *[]float32:
			*c = (*c)[:0]
		case *[]float64:
			*c = (*c)[:0]
		case *[][]string:
			clear(*c)
			*c = (*c)[:0]
		case *[][]uint64:
			clear(*c)
			*c = (*c)[:0]
		default:
			panic(fmt.Sprintf("store: column %d has type %T", i, c))
		}
	}
	b.rows = 0
	b.bytes = 0
	b.started = time.Time{}
}

// appendRows copies n consecutive rows of the layout's type, starting at p,
// column by column: the kind is looked at once per column instead of once
// per value, and each inner loop is a plain strided copy. The layout was
// built from the row type, so the unsafe reads are of the right types;
// slices are copied so the caller may reuse its rows.
func (b *batch) appendRows(l *rowLayout, p unsafe.Pointer, n int) {
	size := l.typ.Size()
	bytes := n * l.width
	for i := range l.fields {
		f := &l.fields[i]
		base := unsafe.Add(p, f.offset)
		switch f.kind {
		case kindString:
			c := b.cols[i].(*[]string)
			appendStrided[string](c, base, size, n)
			for _, s := range (*c)[len(*c)-n:] {
				bytes += len(s)
			}
		case kindUint8:
			appendStrided[uint8](b.cols[i].(*[]uint8), base, size, n)
		case kindBool:
			c := b.cols[i].(*[]uint8)
			for j := range n {
				v := uint8(0)
				if *(*bool)(unsafe.Add(base, uintptr(j)*size)) {
					v = 1
				}
				*c = append(*c, v)
			}
		case kindUint16:
			appendStrided[uint16](b.cols[i].(*[]uint16), base, size, n)
		case kindUint32:
			appendStrided[uint32](b.cols[i].(*[]uint32), base, size, n)
		case kindUint64:
			appendStrided[uint64](b.cols[i].(*[]uint64), base, size, n)
		case kindInt8:
			appendStrided[int8](b.cols[i].(*[]int8), base, size, n)
		case kindInt16:
			appendStrided[int16](b.cols[i].(*[]int16), base, size, n)
		case kindInt32:
			appendStrided[int32](b.cols[i].(*[]int32), base, size, n)
		case kindInt64:
			appendStrided[int64](b.cols[i].(*[]int64), base, size, n)
		case kindFloat32:
			appendStrided[float32](b.cols[i].(*[]float32), base, size, n)
		case kindFloat64:
			appendStrided[float64](b.cols[i].(*[]float64), base, size, n)
		case kindDateTime, kindDate:
			limit := int64(maxDateTime)
			if f.kind == kindDate {
				limit = maxDate
			}
			c := b.cols[i].(*[]int64)
			for j := range n {
				*c = append(*c, clampUnix(*(*time.Time)(unsafe.Add(base, uintptr(j)*size)), limit))
			}
		case kindStrings:
			c := b.cols[i].(*[][]string)
			for j := range n {
				a := cloneOrNil(*(*[]string)(unsafe.Add(base, uintptr(j)*size)))
				for _, s := range a {
					bytes += 16 + len(s)
				}
				*c = append(*c, a)
			}
		case kindUint64s:
			c := b.cols[i].(*[][]uint64)
			for j := range n {
				a := cloneOrNil(*(*[]uint64)(unsafe.Add(base, uintptr(j)*size)))
				bytes += 8 * len(a)
				*c = append(*c, a)
			}
		}
	}
	b.rows += n
	b.bytes += bytes
}

// appendStrided appends n values of type E found size bytes apart from p.
func appendStrided[E any](c *[]E, p unsafe.Pointer, size uintptr, n int) {
	s := slices.Grow(*c, n)
	for j := range n {
		s = append(s, *(*E)(unsafe.Add(p, uintptr(j)*size)))
	}
	*c = s
}

func cloneOrNil[E any](s []E) []E {
	if len(s) == 0 {
		return nil
	}
	return append([]E(nil), s...)
}

// columnLen is the number of values in column i, for consistency checks.
func (b *batch) columnLen(i int) int {
	return reflect.ValueOf(b.cols[i]).Elem().Len()
}
