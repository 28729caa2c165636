// Package relp delivers syslog-formatted WELF records over RELP, the
// Reliable Event Logging Protocol of librelp (rsyslog's imrelp and omrelp).
// The Client is a sink.Sink.
//
// Unlike plain syslog over TCP, RELP acknowledges every message, so a Send
// that returns nil means the receiver took every record of the batch, and a
// failed Send knows which leading records it took. Every frame is
//
//	TXNR SP COMMAND SP DATALEN [SP DATA] LF
//
// A session opens with transaction 1 ("open" with the client's offers); each
// record then travels as one "syslog" command whose DATA is the syslog
// message (no other framing), with transaction numbers counting up from 2
// and wrapping from 999999999 to 1. The server answers every command with an
// "rsp" of the same transaction number, in order; "200" means taken. Up to
// Config.Window messages are in flight unacknowledged.
//
// Like the carriers of package transport, the Client connects lazily, never
// retries by itself and leaves retrying, backoff and spooling to the caller.
// A failed Send drops the connection and reports in a *sink.PartialError how
// many leading records were acknowledged; the caller resends the rest.
//
// Resending has a price RELP cannot avoid: a message the server received
// but whose acknowledgement was lost with the connection arrives twice. The
// Client remembers the unacknowledged records of a failed Send and counts
// each later write of one that had been written before in
// Stats.PossibleDuplicates, an upper bound on the duplicates the receiver
// holds.
//
// "Acknowledged" means what the receiver makes of it: rsyslog answers once
// the message is in its main queue, which is in memory unless configured
// otherwise, so a receiver killed with SIGKILL can still lose acknowledged
// messages. Only a disk-assisted queue on the receiver closes that gap.
package relp
