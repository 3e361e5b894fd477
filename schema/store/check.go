package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
)

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// errUnreachable marks a column check that could not ask the server.
var errUnreachable = errors.New("clickhouse unreachable")

func readErr(database, table string, err error) error {
	var exc *clickhouse.Exception
	if !errors.As(err, &exc) {
		err = fmt.Errorf("%w: %w", errUnreachable, err)
	}
	return fmt.Errorf("read columns of %s.%s: %w", database, table, err)
}

// checkColumns compares the row layout with the table's columns in
// system.columns, so a row type that does not fit its table fails before the
// writer's first insert (or at Writer.Check), with the table and column named.
func checkColumns(ctx context.Context, db *DB, database, table string, l *rowLayout) error {
	rows, err := db.conn.Query(ctx,
		"SELECT name, type, default_kind FROM system.columns WHERE database = ? AND table = ?", database, table)
	if err != nil {
		return readErr(database, table, err)
	}
	defer rows.Close()
	type col struct{ typ, defaultKind string }
	cols := map[string]col{}
	for rows.Next() {
		var name string
		var c col
		if err := rows.Scan(&name, &c.typ, &c.defaultKind); err != nil {
			return readErr(database, table, err)
		}
		cols[name] = c
	}
	if err := rows.Err(); err != nil {
		return readErr(database, table, err)
	}
	if len(cols) == 0 {
		return fmt.Errorf("table %s.%s does not exist (run the migrations first)", database, table)
	}
	for _, f := range l.fields {
		c, ok := cols[f.column]
		where := fmt.Sprintf("table %s.%s, column %s (field %s.%s, %s)", database, table, f.column, l.typ.Name(), f.goName, f.kind)
		switch {
		case !ok:
			return fmt.Errorf("%s: the table has no such column", where)
		case c.defaultKind == "MATERIALIZED" || c.defaultKind == "ALIAS":
			return fmt.Errorf("%s: a %s column cannot be inserted", where, c.defaultKind)
		case !compatible(f.kind, c.typ):
			hint := ""
			if f.kind == kindDateTime && unwrapLowCardinality(c.typ) == "Date" {
				hint = ` (tag the field ch:"` + f.column + `,date")`
			}
			return fmt.Errorf("%s: does not fit column type %s%s", where, c.typ, hint)
		}
	}
	return nil
}

func unwrapLowCardinality(t string) string {
	if strings.HasPrefix(t, "LowCardinality(") && strings.HasSuffix(t, ")") {
		return t[len("LowCardinality(") : len(t)-1]
	}
	return t
}

// compatible tells whether a Go kind can be appended to a ClickHouse type
// without loss. Nullable columns are not supported: tidewatch's tables use
// zero values for unknown.
func compatible(k kind, chType string) bool {
	t := unwrapLowCardinality(chType)
	isArrayOf := func(elem func(string) bool) bool {
		if !strings.HasPrefix(t, "Array(") || !strings.HasSuffix(t, ")") {
			return false
		}
		return elem(unwrapLowCardinality(t[len("Array(") : len(t)-1]))
	}
	isString := func(t string) bool {
		return t == "String" || strings.HasPrefix(t, "FixedString(")
	}
	switch k {
	case kindString:
		return isString(t) || strings.HasPrefix(t, "Enum8(") || strings.HasPrefix(t, "Enum16(")
	case kindUint8, kindBool:
		return t == "UInt8"
	case kindUint16:
		return t == "UInt16"
	case kindUint32:
		return t == "UInt32"
	case kindUint64:
		return t == "UInt64"
	case kindInt8:
		return t == "Int8"
	case kindInt16:
		return t == "Int16"
	case kindInt32:
		return t == "Int32"
	case kindInt64:
		return t == "Int64"
	case kindFloat32:
		return t == "Float32"
	case kindFloat64:
		return t == "Float64"
	case kindDateTime:
		return t == "DateTime" || strings.HasPrefix(t, "DateTime(")
	case kindDate:
		return t == "Date"
	case kindStrings:
		return isArrayOf(isString)
	case kindUint64s:
		return isArrayOf(func(t string) bool { return t == "UInt64" })
	}
	return false
}
