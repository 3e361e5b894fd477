package store

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// The read side. Every query that leaves tidewatch's own packages goes
// through these: Select and Each scan rows into structs tagged `ch:"column"`
// (the same tags the writer uses), QueryRow scans one row into plain values,
// and Exec runs statements that return nothing (DDL, OPTIMIZE). Arguments
// bind client side with ? placeholders (18.16 has no server-side
// parameters); identifiers are never bound, so callers build table names
// with Table.

// Row is one result row, scanned into plain values. It is an alias of an
// unnamed interface, so schema/migrate (which store cannot import, nor be
// imported by) names the same type in its DB interface and *DB satisfies it.
type Row = interface {
	Scan(dest ...any) error
	Err() error
}

// Select runs query and scans every row into a T. Columns are matched to
// T's fields by their ch tags; Columns[T]() lists them for a SELECT.
func Select[T any](ctx context.Context, db *DB, query string, args ...any) ([]T, error) {
	var out []T
	err := Each(ctx, db, query, func(v *T) error {
		out = append(out, *v)
		return nil
	}, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Each runs query and calls fn with every row in turn, without holding the
// result in memory. fn may keep nothing of the row past its return (the
// value is reused). An error from fn stops the scan and is returned as is.
func Each[T any](ctx context.Context, db *DB, query string, fn func(*T) error, args ...any) error {
	rows, err := db.conn.Query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("select %s: %w", queryName(query), err)
	}
	defer rows.Close()
	index, err := fieldIndex[T](rows.Columns())
	if err != nil {
		return fmt.Errorf("select %s: %w", queryName(query), err)
	}
	var v T
	dest := make([]any, len(index))
	for rows.Next() {
		var zero T
		v = zero
		rv := reflect.ValueOf(&v).Elem()
		for i, f := range index {
			dest[i] = rv.Field(f).Addr().Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("scan %s: %w", queryName(query), err)
		}
		if err := fn(&v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("select %s: %w", queryName(query), err)
	}
	return nil
}

// QueryRow runs a query expected to return one row; Scan reports a missing
// row as an error.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) Row {
	return db.conn.QueryRow(ctx, query, args...)
}

// Exec runs a statement that returns no rows: DDL, OPTIMIZE, ALTER. Inserts
// go through a Writer.
func (db *DB) Exec(ctx context.Context, query string, args ...any) error {
	if err := db.conn.Exec(ctx, query, args...); err != nil {
		return fmt.Errorf("exec %s: %w", queryName(query), err)
	}
	return nil
}

// Table is a table name qualified with the database, for splicing into a
// query.
func (db *DB) Table(name string) string { return db.opts.Database + "." + name }

var columnLists sync.Map // reflect.Type -> string

// Columns is the comma-separated column list of a row type, from its ch
// tags, in field order: "SELECT " + Columns[T]() + " FROM ..." reads
// exactly what Select[T] scans.
func Columns[T any]() string {
	t := reflect.TypeFor[T]()
	if s, ok := columnLists.Load(t); ok {
		return s.(string)
	}
	cols := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("ch"), ",")
		if tag != "" && tag != "-" {
			cols = append(cols, tag)
		}
	}
	s := strings.Join(cols, ", ")
	columnLists.Store(t, s)
	return s
}

// fieldIndex maps each result column to the field of T whose ch tag names it (tag options
// such as ",date" aside).
func fieldIndex[T any](columns []string) ([]int, error) {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("scan into %s: want a struct with ch tags", t)
	}
	byName := map[string]int{}
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("ch"), ",")
		if tag != "" && tag != "-" {
			byName[tag] = i
		}
	}
	out := make([]int, len(columns))
	for i, c := range columns {
		f, ok := byName[c]
		if !ok {
			return nil, fmt.Errorf("column %q has no field tagged ch:%q in %s", c, c, t)
		}
		out[i] = f
	}
	return out, nil
}

// queryName is a short form of a query for error messages: its first line,
// at most 80 bytes.
func queryName(q string) string {
	q = strings.TrimSpace(q)
	if i := strings.IndexByte(q, '\n'); i >= 0 {
		q = q[:i]
	}
	if len(q) > 80 {
		q = q[:77] + "..."
	}
	return fmt.Sprintf("%q", q)
}
