package schema

import (
	"testing"
	"time"
)

func TestAccountID(t *testing.T) {
	cases := []struct {
		in   string
		want uint64
		hash bool
	}{
		{in: "1292077344", want: 1292077344},
		{in: "0", want: 0},
		{in: "9223372036854775807", want: 9223372036854775807},
		{in: "9223372036854775808", hash: true}, // would collide with the hash space
		{in: "a3f9c2e1b0d4", hash: true},
		{in: "-5", hash: true},
		{in: "", hash: true},
	}
	for _, c := range cases {
		got := AccountID(c.in)
		if c.hash {
			if got&(1<<63) == 0 {
				t.Errorf("AccountID(%q) = %d: want a hashed id with the top bit set", c.in, got)
			}
			if AccountID(c.in) != got {
				t.Errorf("AccountID(%q) is not stable", c.in)
			}
			continue
		}
		if got != c.want {
			t.Errorf("AccountID(%q) = %d, want %d", c.in, got, c.want)
		}
	}
	if AccountID("abc") == AccountID("abd") {
		t.Error("different ids hash alike")
	}
}

func TestVersionOrdersObservations(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if Version(time.Time{}) != 0 {
		t.Error("zero time must give version 0")
	}
	if !(Version(t0) < Version(t0.Add(time.Nanosecond))) {
		t.Error("a later observation must get a larger version")
	}
}
