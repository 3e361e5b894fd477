// Package e2e holds the end-to-end tests that cross the layers: a simulated world is
// collected by the real collector over MTProto into a real ClickHouse, the analysis jobs
// run over what was stored, and their results are compared with what the world planted.
// It is the one place that imports both collector/ and analysis/ (besides cmd/).
package e2e
