// Package links finds, normalizes and classifies the links, mentions,
// hashtags and cross-platform handles of posts and profiles.
//
// The Telegram collector and the importers of other platforms all go
// through this package, so that a link gets the same normalized form,
// registered domain and destination platform wherever it was posted: the
// link-ecology analyses compare platform shares across sources and over
// time, and would measure differences in parsing instead of differences in
// behaviour otherwise.
//
//   - Extract, ExtractMentions, ExtractHashtags and ExtractAll read a post's
//     text and its Telegram entities (UTF-16 offsets).
//   - Normalize gives a link its canonical URL (tracking parameters and
//     redirect wrappers removed, Punycode host, registered domain).
//   - Classify names its destination platform from one table,
//     platforms.txt; README.md documents the choices.
//   - ParseTelegram tells channels, posts and invite links apart; ParseSeed
//     and ParseSeedFile read the collector's seeds.
//   - ExtractHandles, ProfileHandle and NormalizeHandle find accounts on
//     other platforms in about texts, bios and pinned posts.
//
// The package sits below both the collector and the analysis layer
// (analysis/crosslink reads profile handles with it), so it imports neither;
// links/accountlink builds account_links rows on top of it.
//
// The package depends on the standard library, the public suffix list and
// golang.org/x/net/idna only, makes no network calls (shortened links are
// flagged, never followed), and has no mutable state: every function is safe
// for concurrent use.
package links
