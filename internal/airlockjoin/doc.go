// Package airlockjoin joins the Airlock Gateway records of one request, and
// those of one session, into one output each, in whatever order they
// arrive, with bounded memory, and without dropping silently what cannot be
// joined. It is the domain layer over the generic engine of package
// correlate.
//
// # What joins
//
// Records with a req_id of the kinds conntrace, summary, block, block
// detail, back-end error and TLS session start are one request's. Session
// starts (WR-SG-SESS-004) and ends (WR-SG-SESS-005) are joined by sess_id.
// Every other record (rejects, filter notifications, events, unknown
// messages) is emitted at once as it is.
//
// A request is complete when its summary has arrived and either its
// conntrace has too or none is to be expected: never with Conntrace off;
// with Conntrace auto, when the summary's gateway (host) has not been seen
// writing a conntrace for the summary's mapping. Airlock writes conntraces
// for mappings in Integration log mode only, so auto learns per (host,
// mapping), at most 16384 pairs. The first requests of an Integration-mode
// mapping whose summary arrives before any conntrace of that mapping are
// complete without one; their conntraces, arriving later, are orphans
// (below), never lost.
//
// A request not complete within Config.Timeout of its last record (on the
// release clock, below) is emitted with what is known, partial=timeout;
// pressure on the caps emits the least recently updated ones,
// partial=pressure; Drain emits the rest, partial=shutdown.
//
// # When outputs are emitted
//
// Add emits what needs no waiting: records that are not joined, orphans,
// and what the tables evict. A completed request, and a session with its
// start and end, is kept until a Tick (or End) finds it due: the records
// of a request that arrive in one chunk are then joined in any order, a
// block after the summary included. (Emitting at completion would make a
// block detail that follows its summary and conntrace in the same chunk an
// orphan.) A record of a request emitted earlier is an orphan. If Tick is
// not called, complete requests are still emitted, as complete: when
// evicted for timeout or pressure, or once more than Config.MaxPending
// wait.
//
// # Records out of order
//
// Fluent Bit's workers finish chunks in any order, and a chunk retried
// comes back after later ones, so a record may arrive after records
// written later than it. The Joiner waits for such late records:
//
//   - Begin and End bracket a flush: what a flush completes is due only
//     once it, and every flush begun before it completed, has ended, so
//     another flush ending meanwhile (a worker) emits nothing early.
//   - The release clock is the correlation clock less the lag: the most
//     of Config.Linger, the largest lateness seen in the last 256 flushes
//     (how far behind the clock, as the flushes before left it, a record
//     arrived; at most Config.Timeout), and, while flushes come from more
//     than one thread or overlap (workers), for 256 flushes after a chunk
//     was given back for a retry (Refused) and for the first 256 flushes,
//     Config.Timeout. Timeouts run on it, and a completed request or
//     session is due once it has passed the latest event time of its
//     records, requests before sessions, so that a request still finds its
//     session's user.
//   - While no flush is in progress and none has begun or ended for a
//     second (Tick, called by the caller's ticker), what is complete is
//     due at once: on record time the clock does not move while no records
//     come.
//
// So the records of a request or session join whatever the order of the
// chunks, as long as none arrives more than the lag behind the newest
// record: with workers, Correlation_Timeout on the records' clock; without
// them, the lateness seen, or Linger. Release emits what is complete
// without waiting, for a shutdown.
//
// # The output record
//
// The fields of a request's records merge in a fixed order, the first
// value of a field winning: summary, conntrace, block, block detail,
// back-end error, TLS session start. The log_id is the block's, else the
// block detail's, else the back-end error's, else the summary's, else the
// first record's, so that airlock.Record.WriteWELF writes msg for blocks and
// back-end errors and not for the fixed texts of summaries and conntraces.
// The message is the block detail's, else the block's, else the back-end
// error's. Output.Pri is 4 for a request with a block, block detail or
// back-end error, else from priority, else 6. A request without
// audit_token gets its session's user.
//
// # Sessions
//
// A session start is kept as the session's context. The session's user is
// the first audit_token seen in the session: on its start, or on a later
// request summary, which also keeps the session alive. A session end
// completes the session: its record (the end's fields, then the start's:
// lifetime, reason, user, client, geolocation, user agent) is emitted when
// due (above), after the requests due with it, and the context freed. A
// session end without a context waits for its start the way a summary
// waits for its conntrace: if the start does not come within
// Config.Timeout on the release clock, the end is emitted on its own,
// partial=timeout (partial=shutdown at Drain). A context idle for
// Config.SessionTimeout is emitted partial=timeout. The user is filled
// into requests emitted while their session's context exists.
//
// # Duplicates and retried chunks
//
// Joining is idempotent per (ID, kind). A record of a kind its pending
// request already has is a duplicate if it is the same record (same kept
// fields) and is dropped, counted; a different one (a second block detail)
// is emitted on its own as an orphan. The IDs of the last
// Config.RecentCapacity emitted requests, and sessions, are remembered (as
// 64-bit hashes) with the kinds and a hash of the kept fields of the
// records they were emitted with: a record of such a request is a
// duplicate if the same record was part of the output, an orphan
// otherwise (a different record under a reused or colliding ID is never
// hidden).
// Limits: an ID forgotten since (after RecentCapacity more outputs) starts
// a new request; records that are not joined are not deduplicated.
//
// An output counts as delivered once emitted: a record that comes again is
// a duplicate and is dropped. The caller therefore must not make Fluent
// Bit retry a chunk whose records it has passed to Add, or records of the
// first attempt's undelivered outputs would be dropped as duplicates. The
// pipeline's rule is: answer FLB_RETRY only before the first Add of a
// chunk (admission control); once the chunk is processed, a destination
// that fails is the delivery layer's to retry, and outputs it finally
// gives up on are reported as lost, not retried through Fluent Bit. A
// chunk Fluent Bit replays anyway (a restart between delivery and
// acknowledgement) then produces no second joined record.
//
// # Counters
//
// Counters count records, In = Joined + Partial + Duplicate + Orphan once
// nothing is pending:
//
//   - Joined: records emitted in a complete output: a complete request, a
//     session record of a session end, and a record that joins nothing
//     (complete by itself).
//   - Partial: records emitted in an evicted request or session context.
//   - Duplicate: records dropped as seen before.
//   - Orphan: records emitted alone, partial=orphan, because they could
//     not be joined: without a usable ID (absent or longer than 256 bytes),
//     of a request or session already emitted, a second different record
//     of a kind, or a record too large to keep (over 64 KiB of kept
//     fields).
//
// Load counts the restored records in In again, so the sum still holds.
//
// # Memory
//
// A pending request is one allocation holding its records' fields in
// compact form (see pending): no envelope fields, no fixed texts.
// Max_Pending_Bytes is charged what is really held: a conntrace waiting
// for its summary costs 371 bytes in all, table and map included
// (BenchmarkPendingMemory). Three quarters of Max_Pending_Bytes go to
// requests, one quarter to sessions (session ends waiting for their start
// included); Max_Pending bounds each. What waits for late records stays in
// the tables and counts against the caps: pressure emits it early, a
// complete request or session as complete. Not charged,
// and bounded on their own: the emitted IDs (RecentCapacity of each kind,
// about 26 bytes each) and the conntrace sources (16384 at most).
//
// # Time
//
// By default the Joiner runs on record time: now is the latest event time
// passed to Add, so replays and tests time out the same way every time,
// and pending state waits, within the caps, while no records arrive. With
// Config.Clock ClockWall it runs on time.Now, and Tick times out idle state
// between records.
//
// # State file
//
// Save writes the pending requests and sessions (session ends waiting for
// their start, and sessions complete but held, included) and the
// conntrace sources for a restart; Load restores them, all or nothing, and
// what was complete is due at once. The file (version 1):
//
//	magic     "WBJOIN"                                   6 bytes
//	version   1                                          1 byte
//	length    of the body                                uvarint
//	body:
//	  requests  uvarint length + correlate snapshot of the request table
//	  sessions  uvarint length + correlate snapshot of the session table
//	  sources   uvarint count, then uvarint length + host NUL mapping each
//	crc       CRC-32C of everything before it, big endian  4 bytes
//
// The snapshot values are pending values, validated whole on Load. A file
// that is truncated, corrupt, of another version or too large is renamed
// to <path>.corrupt and reported; a file loaded is removed.
//
// # Concurrency
//
// A Joiner is not safe for concurrent use: the caller serialises calls.
package airlockjoin
