package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWriterOptionsDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   WriterOptions
		want func(t *testing.T, o WriterOptions)
	}{
		{"zero gets defaults", WriterOptions{}, func(t *testing.T, o WriterOptions) {
			require.Equal(t, DefaultBatchRows, o.BatchRows)
			require.Equal(t, DefaultFlushInterval, o.FlushInterval)
			require.Equal(t, DefaultSpoolDir, o.SpoolDir)
			require.Equal(t, DefaultMaxAttempts, o.MaxAttempts)
			require.Equal(t, DefaultInserters, o.Inserters)
			require.Equal(t, DefaultQueueBatches, o.QueueBatches)
			require.NotNil(t, o.Logger)
		}},
		{"small batches are raised to the minimum", WriterOptions{BatchRows: 500}, func(t *testing.T, o WriterOptions) {
			require.Equal(t, MinBatchRows, o.BatchRows)
		}},
		{"large batches are kept", WriterOptions{BatchRows: 250_000}, func(t *testing.T, o WriterOptions) {
			require.Equal(t, 250_000, o.BatchRows)
		}},
		{"max backoff is at least the first backoff", WriterOptions{RetryBackoff: 2 * time.Second, MaxBackoff: time.Second}, func(t *testing.T, o WriterOptions) {
			require.Equal(t, 2*time.Second, o.MaxBackoff)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.want(t, tc.in.withDefaults()) })
	}
}

func TestJitter(t *testing.T) {
	for i := 0; i < 1000; i++ {
		d := jitter(time.Second)
		require.GreaterOrEqual(t, d, 900*time.Millisecond)
		require.LessOrEqual(t, d, 1100*time.Millisecond)
	}
}

func TestCompatible(t *testing.T) {
	tests := []struct {
		k    kind
		typ  string
		want bool
	}{
		{kindString, "String", true},
		{kindString, "LowCardinality(String)", true},
		{kindString, "FixedString(16)", true},
		{kindString, "Enum8('a' = 1)", true},
		{kindString, "Nullable(String)", false},
		{kindUint64, "UInt64", true},
		{kindUint64, "UInt32", false},
		{kindBool, "UInt8", true},
		{kindDateTime, "DateTime", true},
		{kindDateTime, "DateTime('UTC')", true},
		{kindDateTime, "Date", false},
		{kindDateTime, "DateTime64(3)", false},
		{kindDate, "Date", true},
		{kindStrings, "Array(String)", true},
		{kindStrings, "Array(LowCardinality(String))", true},
		{kindStrings, "Array(UInt64)", false},
		{kindUint64s, "Array(UInt64)", true},
		{kindFloat32, "Float64", false},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, compatible(tc.k, tc.typ), "%s into %s", tc.k, tc.typ)
	}
}

func TestOptionsCompressionDefault(t *testing.T) {
	tests := []struct {
		name string
		in   Options
		want string
	}{
		{"default address is local", Options{}, "none"},
		{"loopback addresses", Options{Addr: []string{"127.0.0.1:9000", "localhost:9001", "[::1]:9002"}}, "none"},
		{"one remote address", Options{Addr: []string{"127.0.0.1:9000", "ch.example.org:9000"}}, "lz4"},
		{"remote ip", Options{Addr: []string{"10.0.0.5:9000"}}, "lz4"},
		{"explicit choice wins", Options{Addr: []string{"127.0.0.1:9000"}, Compression: "zstd"}, "zstd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, tc.in.withDefaults().Compression) })
	}
}
