// Package transport carries syslog-formatted WELF records over UDP, TCP and
// TLS: the plain syslog carriers (RELP and forward have packages of their
// own). Each carrier is a sink.Sink.
//
// A carrier connects lazily on the first Send and again on the Send after
// any failure; it never retries by itself. Retrying, backoff and spooling
// belong to the delivery engine that calls Send, which also learns from a
// *sink.PartialError how many records of a failed batch need no resending.
//
// What "sent" means differs by carrier:
//
//   - UDP: the datagram was handed to the kernel. Nothing tells whether it
//     arrived.
//   - TCP and TLS: the bytes were written into the socket's send buffer. The
//     receiver may still lose them if the connection breaks before it reads
//     them; plain syslog has no acknowledgements (RELP has).
//
// Before writing into an existing TCP or TLS connection, a carrier checks
// without blocking whether the receiver has closed it (a restarted receiver
// closes its idle connections). Syslog receivers never send data, so a
// readable connection means end of stream, a reset, or for TLS a session
// ticket or close_notify; any other byte is ignored. A receiver that vanishes
// without closing (a dead host) is noticed only by a failed or timed-out
// write.
package transport
