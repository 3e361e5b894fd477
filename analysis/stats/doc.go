// Package stats holds the pure numerical routines used by tidewatch's
// analysis layer: growth-curve fitting, offline changepoint detection and
// online drift alarms.
//
// Everything here works on plain float64 slices and has no knowledge of the
// database or the collector. Keeping the maths isolated this way lets the
// routines be tested against textbook values and closed-form results without
// any fixtures, and lets callers decide how series are assembled.
package stats
