// Package mwgjoin joins the files of McAfee Web Gateway connection traces
// into one output per transaction, ready to be written as WELF: what the
// client asked and got, together with what MWG sent upstream and got back.
//
// # Input
//
// Records come from Fluent Bit's tail input with Path_Key set: one line
// (or, behind a multiline parser, several lines joined by LF) plus the path
// of its file, and the file offset when Offset_Key is set. Lines of one file
// arrive in order; files interleave freely. Each file is decoded by its own
// mwg.Stream; files are grouped into connections by directory, protocol and
// id: "/dir/HTTP-1a2b3c-C.txt" and "/dir/HTTP-1a2b3c-S.txt" are connection
// "/dir/HTTP-1a2b3c". A path whose base name is not PROTO-ID-SIDE.txt, or
// whose side is not one MWG writes for the protocol, is refused with a
// *NameError, which says whether it is the first time for
// that path, so that the caller can report it once and count the rest. An
// offset lower than the file's previous one means it was truncated or
// replaced: its Stream is flushed (mwg.FlushTruncated) before the record.
//
// # Joining
//
// HTTP (and any other protocol but FTP and ICAP): the client side (C) and
// the server side (S) each yield transactions in request order. A client
// transaction and a server one are the same request when their Method and
// origin-form Path match, and their Host too when both have one (the
// client side of a proxy sees absolute URLs, the server side origin-form
// targets). A pair is joined as soon as its second transaction arrives if
// the client got the status the server answered. Since both sides keep
// request order, everything older than a joined pair is decided then:
// among those, the same request is joined even though the statuses differ
// (the proxy answered otherwise, e.g. with a block page: upstream_result),
// and the rest is emitted alone, the client's (CONNECT, the proxy's own 407
// challenges, block pages, cache hits) with view=client, the server's
// (requests MWG made itself) with view=server. A 407 sent to the client
// pairs only with a 407 from upstream. Nothing is dropped: what is still
// waiting when the connection is flushed is decided the same way and
// emitted, alone ones with Partial set to the flush reason.
//
// FTP: the control sides (CC, SC) are joined the same way, by command and
// resolved path (the server side has no host), so that a failed login on the
// client side stays alone. The data sides (CL, SD) only count bytes, which
// their Streams report when flushed; so the outputs of an FTP session are
// held until the connection is flushed, and then each data side's counts
// are added to the transfer (RETR, STOR, STOU, APPE, LIST, NLST, MLSD) whose
// announced data port it used (DataPort against the port of the data
// file's destination address, when markers carry addresses), else to the
// latest transfer without data; counts without any transfer are emitted
// alone.
//
// ICAP: each connection has one file (C when MWG is the ICAP server, S
// when it is the client); its transactions are emitted as they come.
//
// # Bounds
//
// Connections live in a correlate.Table: a connection none of whose files
// received a line for Config.IdleTimeout is flushed by Tick (Partial
// "timeout"), the least recently active ones when more than
// Config.MaxConnections are open or together they retain more than
// Config.MaxBytes (Partial "pressure"), and every one by Drain (Partial
// "shutdown"). Flushing a connection flushes its Streams, which emit their
// incomplete transactions with Msg "incomplete (idle|shutdown): …". Within
// a connection, each Stream keeps at most Stream.MaxHeaderBytes (bodies are
// counted, never stored), only the sides MWG writes are accepted (C and S;
// FTP CC, CL, SC and SD: at most four files), and the
// transactions waiting for their other side are kept within
// Stream.MaxHeaderBytes as well: beyond it the oldest is emitted alone with
// Partial "pressure".
//
// # Output
//
// An Output is an mwg.Exchange, which maps itself onto WELF fields
// (mwg.Exchange.WriteWELF: the mapping lives with the decoder, as
// Airlock's does), plus Partial; the caller writes the header with time
// Output.Time, pri Output.Pri and fw from its configuration, then
// WriteWELF, then partial=Output.Partial when set.
// Counters account for every transaction: Counters.Check verifies after
// Drain that each one was emitted exactly once.
//
// # Performance
//
// Consecutive records of one file, the common case, cost one comparison
// of the path to find their Stream, and the connection table is told of
// activity only when the connection's size or the time changed (in wall
// time, by more than a millisecond). A Joiner allocates per file and
// connection; its Streams per transaction. Nothing is allocated per line.
package mwgjoin
