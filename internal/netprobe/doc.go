// Package netprobe tells, without blocking, whether anything is readable on
// an idle connection: the carriers' way to notice a peer that closed the
// connection before writing into it. Plain TCP cannot know what a dead peer
// never read, but it can avoid writing into a connection that is already
// known to be closed.
package netprobe
