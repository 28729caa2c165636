// Package netconn holds what the stream carriers (syslog over TCP and TLS,
// RELP, forward) share about their connections: Lazy, the connection made
// on first use and again after a failure, which Close ends even during a
// dial; dialing with an optional TLS handshake that verifies the receiver's
// host; error messages without Go's network wrappers; and the check that
// an idle connection is still open before writing into it.
//
// Plain TCP cannot know what a dead peer never read, but it can avoid
// writing into a connection the peer has already closed: a closed
// connection is readable (end of stream), a live one of a silent receiver
// is not, and telling the two apart costs one non-blocking system call.
package netconn
