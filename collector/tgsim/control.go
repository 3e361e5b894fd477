package tgsim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// ControlHandler serves the control endpoint of a running simulator, for
// fault injection from another process (tests, demos):
//
//	GET  /stats                     call counts per method and error
//	GET  /calls                     recorded calls (JSON array; ?method=NAME filters)
//	GET  /clock                     {"world": RFC3339, "speed": X}
//	POST /clock?world=RFC3339&speed=X   move the world clock and/or change its speed
//	GET  /faults, POST /faults      read or replace the faults (JSON Faults; durations such as "250ms")
//	GET  /limits, POST /limits      read or replace the rate limits (JSON Limits)
//	POST /drop                      close every client connection
//	POST /restart?down=2s           stop, wait, listen again on the same address
//
// Answers are JSON. The endpoint has no authentication: bind it to loopback.
func (s *Server) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, s.Stats())
	})
	mux.HandleFunc("GET /calls", func(w http.ResponseWriter, r *http.Request) {
		calls := s.Calls()
		if m := r.URL.Query().Get("method"); m != "" {
			kept := calls[:0]
			for _, c := range calls {
				if c.Method == m {
					kept = append(kept, c)
				}
			}
			calls = kept
		}
		// Accounts stay in the process: the endpoint shows whether one was
		// logged in, not which.
		for i := range calls {
			if calls[i].Account != "" {
				calls[i].Account = "logged-in"
			}
		}
		writeJSON(w, calls)
	})
	mux.HandleFunc("GET /clock", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"world": s.WorldNow().UTC().Format(time.RFC3339), "speed": s.clock.Speed()})
	})
	mux.HandleFunc("POST /clock", func(w http.ResponseWriter, r *http.Request) {
		var t time.Time
		var speed float64
		var err error
		if v := r.URL.Query().Get("world"); v != "" {
			if t, err = time.Parse(time.RFC3339, v); err != nil {
				http.Error(w, "world: want RFC3339 time", http.StatusBadRequest)
				return
			}
		}
		if v := r.URL.Query().Get("speed"); v != "" {
			if speed, err = strconv.ParseFloat(v, 64); err != nil || speed <= 0 {
				http.Error(w, "speed: want a number > 0", http.StatusBadRequest)
				return
			}
		}
		s.SetWorldTime(t, speed)
		writeJSON(w, map[string]any{"world": s.WorldNow().UTC().Format(time.RFC3339), "speed": s.clock.Speed()})
	})
	mux.HandleFunc("GET /faults", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, s.Faults())
	})
	mux.HandleFunc("POST /faults", func(w http.ResponseWriter, r *http.Request) {
		var f Faults
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			http.Error(w, "faults: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := s.SetFaults(f); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, f)
	})
	mux.HandleFunc("GET /limits", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, s.Limits())
	})
	mux.HandleFunc("POST /limits", func(w http.ResponseWriter, r *http.Request) {
		var l Limits
		if err := json.NewDecoder(r.Body).Decode(&l); err != nil {
			http.Error(w, "limits: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := s.SetLimits(l); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, s.Limits())
	})
	mux.HandleFunc("POST /drop", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]int{"dropped": s.DropConnections()})
	})
	mux.HandleFunc("POST /restart", func(w http.ResponseWriter, r *http.Request) {
		down := time.Duration(0)
		if v := r.URL.Query().Get("down"); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				http.Error(w, "down: want a duration such as 2s", http.StatusBadRequest)
				return
			}
			down = d
		}
		ctx, cancel := context.WithTimeout(r.Context(), down+time.Minute)
		defer cancel()
		if err := s.Restart(ctx, down); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeJSON(w, map[string]string{"addr": s.Addr()})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		http.Error(w, fmt.Sprintf("encode: %v", err), http.StatusInternalServerError)
	}
}
