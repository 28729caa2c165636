// Package forward sends WELF records to a Fluentd or Fluent Bit in_forward
// input over the Forward Protocol v1, so that Fluent Bit's own outputs can
// route them further.
//
// Each record becomes one event [EventTime, record] whose record map holds
// the WELF line under "welf" and every decoded WELF field, header included,
// under its own key. Every value is a msgpack string with the exact bytes
// WELF carries, pri as "5" and time as "2024-05-01 10:00:00": a string is
// what a WELF parser downstream would produce too, and nothing is converted
// or lost. Two exceptions keep the map well-formed: a field named "welf"
// appears only inside the line, and a line that is not valid WELF is sent as
// {"welf": line} alone. The event time is the record's time with its
// nanoseconds; a record without a time gets the time it is sent, and a time
// before 1970 or after 2106 is clamped to the range EventTime can carry.
//
// A batch goes out in PackedForward mode, as out_forward sends it: one
// message [tag, entries, {"size": n}] per at most 1 MiB of entries, the
// entries as msgpack bin.
//
// What a successful Send promises depends on Config.RequireAck:
//
//   - Without acks, every message was written into the socket's send buffer.
//     A receiver that stops or breaks the connection before reading it loses
//     it, and nothing tells.
//   - With acks, each message carries a "chunk" id, and Send waits for the
//     receiver to answer {"ack": id}, which in_forward does once it has
//     stored the events. An ack that does not arrive within AckTimeout fails
//     the Send, although the receiver may have stored the events: resending
//     then delivers them twice. Delivery with acks is at least once.
//
// A failed Send returns a *sink.PartialError when whole messages of the
// batch were delivered (acknowledged, or written without acks) before the
// failure; a retry resends only the rest.
//
// The client connects lazily on the first Send and again on the Send after
// any failure; it never retries by itself. Before writing into an idle
// connection it checks without blocking whether the receiver has closed it,
// which a restarted Fluent Bit does, so that a batch is not written into a
// dead connection.
//
// With Config.Auth set, every new connection first runs the secure-forward
// handshake, as out_forward does with shared_key: the receiver's HELO
// brings a nonce, the client's PING proves with a salted SHA-512 digest that
// it knows the shared key (and, when the receiver has users, the password),
// and the receiver's PONG proves the same of the receiver. Neither the key
// nor the password crosses the wire. The handshake authenticates; it does
// not encrypt: only TLS keeps the records secret.
//
// With Config.Gzip the entries of each message are one gzip member, marked
// {"compressed": "gzip"} (CompressedPackedForward).
//
// Several receivers (out_forward's upstream) are served by package
// failover, with one Client per receiver.
package forward
