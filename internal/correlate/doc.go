// Package correlate is a generic engine for joining log records that belong
// to one thing — an Airlock request (conntrace, summary and blocks sharing a
// req_id), an Airlock session (sess_id), an MWG connection's client and server
// traces — into one output record, whatever order the records arrive in.
//
// The domain layer decides what a key is, what a pending value holds, when a
// value is complete and how records merge. This package only keeps pending
// values, bounds the memory they use, and hands back whatever cannot be
// joined: nothing leaves a [Table] silently. An entry either completes (the
// caller removes it with [Table.Delete]) or is evicted through the table's
// evict callback, with a [Reason] the caller records as partial=<reason>:
//
//   - [ReasonTimeout]: idle (not updated) for longer than [Config.Timeout];
//     see [Table.Advance].
//   - [ReasonPressure]: the table exceeded [Config.MaxEntries] or
//     [Config.MaxBytes]; the least recently updated entries go first.
//   - [ReasonShutdown]: [Table.Drain] at shutdown.
//
// # Time
//
// A [Clock] supplies the "now" the table runs on. In record time (the zero
// Clock) now is the latest event time seen so far and never goes backwards,
// so replaying old logs and testing need no sleeping and give the same
// result every time. In wall time ([NewWallClock]) now is [time.Now].
//
// Record time only moves when records arrive: when input stops, pending
// entries wait for the next record (or, at shutdown, for [Table.Drain]) rather
// than timing out on their own. Memory stays bounded meanwhile because the
// caps still hold. Deployments that want partial records flushed during quiet
// periods use wall time.
//
// The table itself also never goes back in time: a now earlier than one it
// has already seen counts as the latest one. That keeps entries ordered by
// update time, which is what lets [Table.Advance] stop at the first live entry.
//
// # Duplicates and counters
//
// [Recent] remembers a bounded number of completed keys, so a replayed
// record of an already emitted request can be counted as a duplicate instead
// of being emitted twice. [Counters] count records (not outputs) in each
// outcome, and [Counters.Check] verifies that every record received is
// accounted for exactly once.
//
// # Snapshots
//
// [WriteSnapshot] and [ReadSnapshot] save and restore the pending entries, so
// that a restart in the middle of a request loses nothing. The format
// (version 1), integers big-endian or unsigned varint:
//
//	magic    "WBSNAP"                6 bytes
//	version  1                       1 byte
//	count    number of entries       uvarint
//	count times, oldest first:
//	  key      length, bytes         uvarint + bytes (at most 4 KiB)
//	  updated  unix nanoseconds      8 bytes, two's complement
//	  value    length, bytes         uvarint + bytes (at most 1 MiB)
//	crc      CRC-32C (Castagnoli) of everything before it, 4 bytes:
//	         the snapshot is one sealed record of package durable
//
// A snapshot that is truncated, corrupt or of another version is rejected
// whole: nothing is restored from it.
//
// # Concurrency
//
// None of the types here are safe for concurrent use; the caller serializes
// access. Evict callbacks run synchronously, after the entry has been removed
// from the table, and must not modify the table.
package correlate
