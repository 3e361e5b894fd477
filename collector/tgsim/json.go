package tgsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// jsonDuration is a duration written "1m30s" in JSON; a number is read as
// nanoseconds, as encoding/json writes time.Duration.
type jsonDuration time.Duration

func (d jsonDuration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *jsonDuration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: want e.g. 1s, 10m", s)
		}
		*d = jsonDuration(v)
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("duration %s: want a string such as \"10m\" or nanoseconds", b)
	}
	*d = jsonDuration(n)
	return nil
}

// decodeStrict decodes JSON refusing unknown fields, so that a misspelled
// key in a limits or faults file is an error, not a silent default.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

type limitsJSON struct {
	Off              bool              `json:"off"`
	Methods          map[string]Budget `json:"methods,omitempty"`
	Escalating       []string          `json:"escalating,omitempty"`
	EscalationFactor float64           `json:"escalation_factor,omitempty"`
	EscalationReset  jsonDuration      `json:"escalation_reset,omitempty"`
	MaxWait          jsonDuration      `json:"max_wait,omitempty"`
	BanAfter         int               `json:"ban_after,omitempty"`
	Grace            jsonDuration      `json:"grace,omitempty"`
}

// MarshalJSON writes durations as strings ("10m").
func (l Limits) MarshalJSON() ([]byte, error) {
	return json.Marshal(limitsJSON{
		Off: l.Off, Methods: l.Methods, Escalating: l.Escalating, EscalationFactor: l.EscalationFactor,
		EscalationReset: jsonDuration(l.EscalationReset), MaxWait: jsonDuration(l.MaxWait),
		BanAfter: l.BanAfter, Grace: jsonDuration(l.Grace),
	})
}

// UnmarshalJSON reads what MarshalJSON writes (durations also as
// nanoseconds) and refuses unknown fields.
func (l *Limits) UnmarshalJSON(b []byte) error {
	var j limitsJSON
	if err := decodeStrict(b, &j); err != nil {
		return err
	}
	*l = Limits{
		Off: j.Off, Methods: j.Methods, Escalating: j.Escalating, EscalationFactor: j.EscalationFactor,
		EscalationReset: time.Duration(j.EscalationReset), MaxWait: time.Duration(j.MaxWait),
		BanAfter: j.BanAfter, Grace: time.Duration(j.Grace),
	}
	return nil
}

type faultsJSON struct {
	Latency      jsonDuration `json:"latency,omitempty"`
	Jitter       jsonDuration `json:"jitter,omitempty"`
	InternalRate float64      `json:"internal_rate,omitempty"`
	TimeoutRate  float64      `json:"timeout_rate,omitempty"`
	DropRate     float64      `json:"drop_rate,omitempty"`
}

// MarshalJSON writes durations as strings ("250ms").
func (f Faults) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultsJSON{
		Latency: jsonDuration(f.Latency), Jitter: jsonDuration(f.Jitter),
		InternalRate: f.InternalRate, TimeoutRate: f.TimeoutRate, DropRate: f.DropRate,
	})
}

// UnmarshalJSON reads what MarshalJSON writes (durations also as
// nanoseconds) and refuses unknown fields.
func (f *Faults) UnmarshalJSON(b []byte) error {
	var j faultsJSON
	if err := decodeStrict(b, &j); err != nil {
		return err
	}
	*f = Faults{
		Latency: time.Duration(j.Latency), Jitter: time.Duration(j.Jitter),
		InternalRate: j.InternalRate, TimeoutRate: j.TimeoutRate, DropRate: j.DropRate,
	}
	return nil
}
