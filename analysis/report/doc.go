// Package report writes trend reports: headline numbers against a comparison period,
// coverage and method, audience growth, engagement, event bursts, the impact of registry
// events on communities (windows before and after, interrupted time series, differences in
// differences), the link ecology (outlink shares by destination over time), the forward
// network on its two layers (forwards, and mentions with t.me links), cross-platform actors
// (their accounts, audience share per platform by week, and the weeks their audience moved),
// takedowns and reincarnations, and caveats, read from the result tables of named
// job runs. A report is an HTML page (inline SVG charts drawn with gonum/plot, no script, no
// network), its Markdown twin, one CSV per chart and table, and a manifest that names every
// run, query, data version and file, from which the same report can be regenerated.
//
// Everything is read through schema/store's typed read API; every query a figure prints
// is the one it ran. Texts from the data are cleaned (Clean) and escaped per format.
package report
