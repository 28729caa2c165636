// Package failover spreads the records of one destination over several
// receivers of one carrier (syslog over UDP, TCP or TLS; RELP; forward): a
// Pool is a sink.Sink over one carrier per receiver.
//
// # Policies
//
// With [Failover] every batch goes to the first receiver in list order
// that is up. With [RoundRobin] whole batches take turns among the
// receivers that are up. Either way a batch that fails on one receiver
// goes on, from its first record not confirmed, to the next receiver in
// the same Send, so nothing waits while any receiver takes records; only
// when every receiver has failed does Send fail, and the caller (the
// delivery engine) retries after its backoff, trying every receiver again.
//
// # Health
//
// A receiver is down after a failed connect, handshake, write or missing
// acknowledgement: whatever made its carrier's Send fail. A goroutine
// probes a down receiver with its carrier's Connect, after a backoff that
// doubles from [Options.ProbeMin] to [Options.ProbeMax] with every failure
// in a row. Once a probe succeeds the receiver is recovering; probed again
// while it recovers, it is up once it has stayed reachable for
// [Options.FailbackInterval], and then takes records again: with Failover,
// records fail back to it if it comes first in the list. A recovering or
// down receiver still takes records when no receiver is up.
//
// # What a switch costs
//
// A receiver's carrier reports in a *sink.PartialError how many leading
// records it delivered before failing; the Pool sends the rest, in order,
// to the next receiver. What "delivered" means is the carrier's promise:
// acknowledged for RELP and for forward with acks, written into the socket
// for TCP, TLS and forward without acks (a receiver that dies before
// reading them loses them, and nothing tells), handed to the kernel for
// UDP. With acknowledgements, records the failed receiver got whole but did
// not acknowledge ([Doubter]) may be held by both receivers: they are
// counted as possible duplicates.
//
// # Logs and counters
//
// Every time records go to another receiver than the one before (except the
// rotation of RoundRobin), the Pool logs "switching from A to B: reason".
// [Pool.Stats] holds, per receiver, the records delivered, the failures
// (of sends and of probes) and the state; the Pool logs them every
// [Options.StatsInterval] and when it closes.
package failover
