// Package crosslink proposes and curates links between accounts of different platforms and
// groups accounts into actors, so analyses can follow an audience from one platform to
// another.
//
// Load reads its inputs from ClickHouse (channels with their about texts, the profile links
// of posts and pinned posts, the links already stored); Suggest proposes links from every
// kind of evidence, merged with the stored ones so decisions are kept; Pairs and Decide list
// and curate the stored links; Actors, ActorRows, Resolve and LinkEnds read and write
// actor_accounts. The rows, the evidence kinds and their weights are package
// links/accountlink's, shared with the importers, which write about-text links and curated
// link files themselves.
package crosslink
