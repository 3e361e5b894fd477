// Package world is a deterministic model of a synthetic Telegram: public
// channels in communities that post, forward from each other, grow, change
// names, go private, get banned and reappear. Given a Spec and a seed it
// answers what a client would see at any world time (channels, histories
// with Telegram's paging semantics, counters that grow with a post's age)
// and exports the ground truth a perfect collector would have recorded.
//
// The world knows nothing of MTProto: package tgsim serves it over the
// wire. Everything is a pure function of (spec, seed): channel metadata is
// built by Generate (100,000 channels take a few CPU seconds and ~150 MB),
// each channel's messages lazily on first read into a cache bounded by
// Options.CacheMessages.
//
// # The model
//
// Channels belong to communities (a name, a time zone, a tilt of the link
// mix). Most exist at Start with back histories of up to Spec.History; the
// rest are created during the period. Ids grow with creation time.
//
// Subscribers follow a planted model per channel (logistic, exponential or
// logistic then decline) times planted jumps (attack events, audience moving
// in after a platform's takedown, random shocks), times a smooth noise.
// Truth.Channels[i].Growth holds the model, its parameters and changepoints.
//
// Posting is a Poisson process per channel, with a daily cycle peaking in
// the community's afternoon and bursts that decay after attack events.
// Posts may be albums (2 to 10 messages sharing a GroupedID and date),
// carry media, be forwards (mostly from channels of the same community,
// else from hidden persons), reply to earlier posts, be edited or deleted
// later (a deleted message is visible before its deletion and leaves an id
// gap after it). Id 1 is the channel_create service message; title and
// photo changes and pins add service messages.
//
// Counters of a post at age a are max*(1-exp(-a/tau)) for views, forwards,
// comments and each reaction, with max and tau fixed per post: monotone in
// age, saturating within days, cheap at any time. A post's final views are
// the channel's subscribers at posting times its planted reach times the
// post's multiplier (lognormal, median 1: its overperformance) times a
// factor for attack bursts.
//
// The truth (World.Truth) exports, besides what a perfect collector would
// record, what the world planted: the spec, growth models with their
// changepoints and noise-free values at each snapshot, reach and ERR per
// channel, each post's multiplier, the channels each attack affected, the
// audience reincarnations carry over, forward-source weights, and every
// community's expected link mix around each takedown with its
// Jensen-Shannon shift.
//
// Texts mix words, emoji and Cyrillic (entity offsets are UTF-16), hashtags,
// @mentions of world channels, and links: url entities (with or without a
// scheme) and text_url entities hiding the destination. Each link's platform
// is drawn from the community's mix at the post's time; a takedown event
// shrinks its platform's share over a few days, in the community it names
// (every community when it names none), and hands it to the platforms
// people move to (telegram, bluesky, gab, rumble, truthsocial, ...). Links to
// telegram point at world channels (t.me/name, t.me/name/123), invite links
// or channels outside the world.
//
// About texts and pinned posts name the channel's accounts on other
// platforms; a takedown suspends accounts and the channel moves to another
// platform (an about change). Usernames change (the old one is then free:
// ErrUsernameNotOccupied), channels go private, are deleted or banned
// (ErrChannelPrivate), and a banned channel may reappear as a new channel
// with a similar title and handle, its sources and part of its audience.
package world
