// Package delivery sits between Fluent Bit's flush and a network carrier
// (any sink.Sink): Fluent Bit's thread never waits on the network, and no
// accepted record is lost or sent twice when the network or the receiver
// fails or Fluent Bit restarts (see Spool for the exact windows).
//
// # Flow
//
// The flush path calls [Engine.Admit] first, before decoding anything.
// Admit waits up to [Options.AdmitWait] for room, so that back-pressure
// reaches Fluent Bit as a flush that waits, as on a native output's socket.
// On false the flush returns FLB_RETRY and Fluent Bit keeps the chunk, in
// its own filesystem storage if configured. On true it encodes the chunk
// and calls [Engine.Send], which only copies the records (one arena per
// batch) into the engine's queue, and with a spool appends them to it, and
// returns.
//
// The limits are soft. Without a spool, Admit says yes while the
// unconfirmed bytes in memory are below [Options.QueueMaxBytes]; with one,
// while the unconfirmed bytes in the spool are below
// [Options.SpoolMaxBytes], and a batch that finds memory full is kept in
// the spool only: the sender reads it back when its turn comes. Send
// accepts the whole batch it is given, never dropping any of it for space.
// So a limit is exceeded by at most one chunk (Fluent Bit chunks are about
// 2 MiB at most) per concurrent flush.
//
// One sender goroutine per engine takes records in order, up to
// [Options.BatchRecords] records and [Options.BatchBytes] bytes per carrier
// Send. A Send that returns nil confirms its records; one that fails with a
// *sink.PartialError (possibly wrapped) confirms its first Sent records.
// The rest is sent again, in order, after an exponential backoff with
// jitter, until it is confirmed or the engine closes; the carrier decides
// how to reconnect. A carrier must bound its own waits. There is no
// permanent failure: a record the carrier can never deliver (such as one
// too large for a UDP datagram) holds up every record behind it, so such
// records must be prevented before Send (the WELF size cap does).
//
// # Spool
//
// With [Options.SpoolDir] the engine keeps a write-ahead log, so accepted
// records survive a restart:
//
//   - Every batch is appended to the active segment file before Send
//     returns (synced first with [FsyncAlways]; at most once per second with
//     [FsyncInterval]; never with [FsyncOff]). If the write fails, Send
//     fails and nothing of the batch stays in the log, so the flush can
//     return FLB_RETRY.
//   - The sender sends from memory. After every carrier Send that confirmed
//     records, the engine appends the checkpoint, the position where the
//     last confirmed record ends, to the ack log, and removes the sealed
//     segments before it. Segments are sealed at [Options.SegmentBytes].
//   - [New] scans the segments: records before the checkpoint are skipped,
//     the rest are sent first, read back from disk a batch at a time. Each
//     record carries a CRC-32C; at a corrupt record or a tail truncated by
//     a crash, reading that segment stops and a warning tells which of the
//     two it met and how many bytes were skipped. A segment of an unknown version or format is left in
//     place with a warning. Neither fails New.
//   - A lock on the directory keeps a second engine out of it.
//
// No record is sent twice across a restart, with two windows: a crash
// between the carrier confirming a Send and the checkpoint write repeats at
// most the records of that Send (Close writes the checkpoint too); and a
// Send that Close abandons (see below) is repeated at the next start, even
// if the carrier delivered it. Across a power failure, [FsyncInterval] may
// also lose the last second of accepted records and repeat up to a second
// of confirmed ones (the ack log is synced at most once per second too);
// [FsyncOff] may lose or repeat more.
//
// Disk use is the unconfirmed records ([Options.SpoolMaxBytes] bounds
// them, softly) plus at most one segment of confirmed ones, and segments
// replay could not read.
//
// With the spool, [Engine.Chunks] keeps the digests of the chunks the flush
// path processed (see [ChunkLog]), so that one Fluent Bit flushes again
// after a restart is acknowledged without being processed twice.
//
// # Close
//
// [Engine.Close] stops accepting and lets the sender drain for
// [Options.ShutdownTimeout]. Then it stops the sender and closes the
// carrier, which must make a hanging Send return (Close may thus run
// concurrently with one Send); it waits for that at most
// min(ShutdownTimeout, 1s) more, and leaves a Send that still hangs behind.
// What is left then stays in the spool ("spooled N records for the next
// start"), or without a spool is dropped and logged with its count and the
// reason.
//
// # Counters and logs
//
// [Counters] are logged at Info every [Options.StatsInterval] and by Close.
// Dropped stays 0 unless Close runs out of time without a spool, or replay
// cannot read back what New found (an I/O error, or the spool changed
// underneath);
// every drop is logged with its reason. The memory queue never drops:
// admission control makes the flush wait instead.
//
// # Spool format
//
// A segment, named by its sequence number in 16 hex digits plus ".seg",
// starts with "WBSPOOL" and a version byte (1), followed by the
// records back to back as [durable] frames, integers big-endian:
//
//	length    body length                          4 bytes
//	crc       CRC-32C (Castagnoli) of the body     4 bytes
//	body:
//	  time      unix nanoseconds (math.MinInt64 for the zero time)  8 bytes
//	  severity  the WELF pri                       1 byte
//	  host      length, bytes                      uvarint + bytes
//	  line      the rest of the body
//
// Time keeps its instant, not its location: records come back in time.Local.
//
// The ack log, "acks", starts with "WBACKS" and a version byte (1),
// followed by checkpoints of 20 bytes: the segment sequence number and the
// offset (8 bytes each) and a CRC-32C of those 16 bytes (sealed [durable]
// records). The last intact one counts, so a checkpoint torn by a crash
// falls back to the one before.
// New, and every 64 KiB, start the log afresh (temporary file and rename).
package delivery
