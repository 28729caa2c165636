// Package mwg decodes McAfee Web Gateway connection traces
// (/opt/mwg/log/debug/connection_tracing/<PROTO>-<id>-<side>.txt) into
// per-side transactions: a request paired with its final response, with
// the few fields a WELF record needs and byte counts. Joining the client
// (C) and server (S) sides of a connection is left to the caller; Seq,
// Method, Host and Path are there for that.
//
// The line format of trace files is not publicly documented. The grammar
// below is what this package accepts; it follows McAfee KB89213 (marker
// tokens, file names) and is deliberately tolerant. A Stream is fed the
// lines of one file in order, exactly as Fluent Bit's tail input delivers
// them, and emits transactions through a callback. It never panics on
// input, copies out only the fields it keeps, and retains at most
// Options.MaxHeaderBytes per file.
//
// # Grammar
//
//	record      = line *( LF line )            ; one tail record ("log" value): a line,
//	                                           ; or lines joined by a multiline parser
//	line        = *OCTET                       ; bytes, no encoding assumed; a final CR
//	                                           ; is ignored for matching, counted as data
//	file        = preamble *chunk
//	preamble    = *line                        ; before the first marker: metadata only
//	chunk       = marker-line *payload-line    ; up to the next marker line, unless the
//	                                           ; message in progress claims it (see Framing)
//	marker-line = [ prefix ] marker [ WSP rest ]  ; a blank rest is no rest
//	marker      = ">>>" / "<<<" / "[[[" / "]]]"  ; followed by end of line, SP or HTAB
//	prefix      = 1*3( stamp 1*WSP )           ; only with Options.TimestampPrefix
//	stamp       = bare-stamp / "[" bare-stamp [ SP bare-stamp ] "]"
//	            / "[" 1*DIGIT "]"              ; a sequence number: no time
//	bare-stamp  = date / clock / date "T" clock
//	date        = 4DIGIT ( "-" / "/" ) 2DIGIT ( same separator ) 2DIGIT
//	clock       = 2DIGIT ":" 2DIGIT ":" 2DIGIT [ ( "." / "," ) 1*9DIGIT ] [ zone ]
//	zone        = "Z" / ( "+" / "-" ) 2DIGIT [ ":" ] 2DIGIT
//	rest        = meta / first-payload-line    ; meta if every token is metadata
//	meta        = meta-token *( 1*WSP meta-token )
//	meta-token  = stamp / address / "->" / "<-" / count
//	address     = IPv4 ":" port / "[" IPv6 "]" ":" port
//	count       = "(" 1*DIGIT [ SP ( "bytes" / "byte" ) ] ")" / 1*DIGIT SP ( "bytes" / "byte" )
//
// Examples of marker lines:
//
//	>>>
//	<<< 2024-03-05 09:12:44.123 192.0.2.10:8080 -> 192.0.2.44:51234 (212 bytes)
//	2024-03-05 09:12:44.123 >>>
//	[0001] 12:01:02.345 [[[
//	>>> GET http://www.example.com/ HTTP/1.1   (data on the marker line: the
//	                                           payload starts after one SP/HTAB)
//
// ">>>>", ">>>x" and markers after other text are data. A timestamp gives
// Transaction.Start and End; a time without a date takes the last date seen
// in the file (the preamble may carry one; otherwise year 1) and rolls over
// to the next day when it goes back by more than 12 hours; a time without
// zone is in Options.Location. Addresses give SrcAddr and DstAddr: "A -> B"
// (or "A B") is the flow of the chunk's data, "A <- B" the reverse; a lone
// address is the peer, i.e. the client on client-facing sides (C, CC, CL)
// and the server on the others. A count announces the chunk's payload size:
// until that many bytes have been read (less one per line, which may have
// lost a CR, see Framing), marker lines are payload.
//
// Preamble lines are scanned for the same metadata tokens; everything else
// in them is ignored, which also makes the Stream resynchronise at the
// first marker when tail starts in the middle of a file.
//
// # Markers: layers and directions
//
// Brackets are the decrypted TLS layer, arrows the data in clear; each
// layer has its own parser state. Each payload line goes to the request or
// the response side by the first of these rules that applies:
//
//  1. Framing: if the message in progress on the current side claims the
//     line (see Framing), the line is its.
//  2. Content (auto and region modes): a request line (HTTP or ICAP request
//     line, known FTP command) starts a request, a response line (HTTP or
//     ICAP status line, FTP reply) a response. In auto mode, a request
//     line in a chunk of the response side can only be bytes the server
//     wrote beyond its message (a "body" after HEAD, 204 or 304, more than
//     its Content-Length), and so can a response line in a chunk of the
//     request side once a response came in a chunk of the response side
//     of that layer (it is then no region-style layer): the rest of that
//     chunk is an ambiguous region (see Framing), an FTP command there
//     sets no session state, and the requests waiting behind the one a
//     response from such a region answers are ambiguous too.
//  3. Otherwise the line goes to the side of its chunk's marker (auto and
//     direction modes) or of the last message (region mode; requests at
//     first).
//
// Options.MarkerMode sets what a marker means:
//
//   - direction: ">>>" and "[[[" open a request chunk, "<<<" and "]]]" a
//     response chunk. Rule 2 does not apply.
//   - region: ">>>" … "<<<" encloses plain data and "[[[" … "]]]"
//     decrypted data; data after a closer is plain. Markers carry no side.
//   - auto (default): direction plus rule 2, calibrated per file: the first
//     chunk whose first non-blank payload line is a request or response line
//     fixes the orientation. If its marker stands for the other side, all
//     four markers are mirrored for the rest of the file ("<<<" and "]]]"
//     carry requests); until then the normal assignment holds. Rule 2 also
//     reads files whose
//     "[[[" … "]]]" (or ">>>" … "<<<") wraps both directions (mwg.md §1.4
//     rule 6), so auto decodes region-style files too.
//
// Lines that no parser can place (binary data outside any message, such as
// TLS handshake records on a server side) are counted into one transaction
// per run, with Msg "binary data not decoded", until the next start line.
//
// # Framing
//
// Bytes that a message's framing gives to it never start a message of
// their own: body content is written raw into the trace, marker lines and
// start lines included, and a hostile server or client controls it. Lines
// arrive without their LF and, usually, without their CR; a line counts as
// its length (CR included if present) plus one. The message in progress on
// the current side claims the next line:
//
//   - A header block (but that of a malformed request line: garbage, not
//     a message), a body before its
//     first byte and between chunks, a body read until the connection
//     closes, and a multi-line FTP reply claim it as a whole: start lines
//     are their data, and a marker line is a marker only if it continues
//     the current chunk's layer and direction (a later read of the same
//     message, mwg.md §1.4) — but its metadata (times, addresses, byte
//     count) is not taken, since it may be data; any other marker line is
//     data too, and the
//     message gets the notice "marker line inside a message read as its
//     data" (it is then not Complete).
//   - A connection switched to another protocol (101, the HTTP/2
//     preface) claims the rest of its layer: marker lines of that layer,
//     either direction, are markers; those of the other layer are data
//     (noted as above). A CONNECT tunnel claims nothing: the decrypted
//     layer follows it.
//   - Content-Length and chunk data, once started, claim their bytes:
//     every line is data until they are complete.
//   - A response without framing lasts until the connection closes: the
//     rest of the file is its body. So does a message whose framing is lost
//     (a malformed chunk size, a header block above MaxHeaderBytes: Msg
//     "… rest of the connection not decoded").
//   - A request body of which nothing has been seen claims nothing: the
//     answer may come first (100 Continue, an early 407). A request that
//     announced "Expect: 100-continue" waits for it by protocol. For any
//     other, the marker may as well be the first line of the body: the next
//     Content-Length bytes are an ambiguous region (below). A request whose
//     final response came before any of its body never gets it: a new
//     request line ends it (Msg "request body not sent").
//
// Each line may have lost a CR to tail (one that still ends in CR came
// with two). Once the bytes a frame still expects are no more than the
// number of its lines, a marker or start line ends it (and so does Flush),
// and the body counts as its declared length; so does one that begins
// inside a line, at an offset the lost CRs allow. Its lines may as well
// have been bare LF, though, with the marker inside the body: the bytes it
// still expected are an ambiguous region. Every transaction that takes
// bytes from an ambiguous region gets the notice "ambiguous: may be body
// data of an earlier message" and is not Complete, whatever it holds; so
// does a request whose body ended so, since what answers it depends on
// the reading. Chunk data that ends so (or a chunked body that ends after
// a chunk a chunk-size line cut short) leaves the rest of its chunk
// ambiguous too: read with bare LF, the body goes on for as many chunks
// as its data says. That other reading of a chunk cut short is followed
// alongside: what is read after the body while it holds (it passed a
// chunk boundary, or the file ended first) is ambiguous, and what is read
// before it resolves is held until it does; once its framing fails, it
// is dropped.
//
// A marker line of a body's own direction taken before its first byte
// (">>>" or "[[[" before a request body, "<<<" or "]]]" before a response
// body or before chunk data) is what MWG writes between two reads of the
// same message, but a hostile sender may as well have started the body
// with that very line. Read so, the body ends sooner by the marker line's
// length (its prefix, when data follows on the line; the sum, for several
// such lines). Where that sooner end meets a marker line or a start line
// (at the start of a line, behind blank lines or within the line break
// ending the body, or inside a line), the body ends there and counts its
// declared length; for chunk data, a chunk-size line there ends the chunk.
// The bytes it still expected are an ambiguous region, as above. A body
// without such a line exactly there is read with the marker as MWG's.
//
// A body that ends inside a line ends there: the rest of the line is read
// as a new line, so a next message (or a marker) written right after a
// body without a line break is found. A marker of the other side there may
// as well be bytes the body's sender wrote after it: the chunk it opens is
// ambiguous as a whole.
//
// # HTTP/1.x
//
// Request lines in absolute form (client side), origin form (server side),
// authority form (CONNECT) and "*"; status lines; header blocks up to
// MaxHeaderBytes (larger ones are abandoned with a notice); Content-Length
// and chunked bodies with trailers; HEAD, 1xx, 204 and 304 without body;
// bodies without framing last until the connection ends (Flush).
// Requests and responses of a layer pair in FIFO order (keep-alive,
// pipelining). 1xx responses go to Interim; 101 switches the layer to
// counting. A 2xx answer to CONNECT opens a tunnel: its transaction stays
// open, counting what follows in clear (TLS handshake records) into its
// byte counts, until the first decrypted line, when it is emitted; the
// decrypted layer's
// transactions have Proto "https" and TLS "inspected". "PRI * HTTP/2.0"
// yields a transaction with Msg "http2 not decoded" that counts the rest of
// its layer. Kept: Host (URL or CONNECT authority first), User-Agent,
// Referer, the user of Proxy-Authorization Basic (the password is decoded
// into a wiped stack buffer and never kept; NTLM and Negotiate give no
// user), X-Forwarded-For or Forwarded for ClientAddr. No string copied out
// of a trace keeps a password that looks like URL userinfo, in any
// spelling (see userinfo.Redact); the user stays. A URL or Host value whose host is
// not a host name or address gives no Host (Msg "malformed host in URL",
// "malformed Host header").
//
// # FTP
//
// Control files (CC, SC): commands pair with their final replies in FIFO
// order; 1xx replies go to Interim; multi-line replies ("230-" … "230 ")
// are one reply. RETR, STOR, STOU, APPE, LIST, NLST, MLSD, DELE, MKD, RMD
// and RNTO become transactions, and so do USER or PASS answered with 4xx or
// 5xx (a failed login). Other commands update the session: USER (on
// client-facing sides "user@host[:port]" also gives the host), CWD, CDUP
// and PWD (to resolve relative paths into Path), PASV (227), EPSV (229),
// PORT and EPRT (DataPort). PASS and ACCT arguments are never read. Data
// files (CL, SD and any other FTP side) yield one transaction per Flush
// carrying only the byte counts, to be joined by connection id.
//
// # ICAP
//
// REQMOD, RESPMOD and OPTIONS requests and ICAP status lines; the
// Encapsulated header (req-hdr, res-hdr, req-body, res-body, opt-body,
// null-body; offsets must start at 0 and not decrease) drives the reading of
// the encapsulated HTTP header blocks and the chunked body. The embedded
// request line and Host go to HTTP.Method, HTTP.Target and HTTP.Host, the
// embedded status line to HTTP.Status. Preview: a request whose preview
// ended without "ieof" counts as complete until a 100 Continue brings the
// rest. X-Client-IP gives ClientAddr, X-Authenticated-User (base64 of
// "scheme://user") gives User.
//
// # Transactions
//
// A transaction is emitted when its request and final response are both
// complete, in request order. Flush emits the rest: those missing something
// with Complete false and Msg "incomplete (<reason>): <what is missing>",
// e.g. "incomplete (idle): response body 35 of 45 bytes". A response
// without any request pending yields a transaction without Method and Msg
// "response without request".
//
// # Byte counts
//
// ReqBytes and RespBytes count the bytes of each message as traced. They
// are exact when tail keeps CRs or the payload uses bare LF. When tail
// strips CRs (the usual case) a CRLF header block counts one byte less per
// line (including the empty line); framed bodies still count their
// declared size once complete, chunk data its declared sizes; lines of
// chunk-size, trailer and undecoded data count one byte less per CRLF line.
// Blank lines between messages are not counted.
//
// # Memory
//
// Nothing is buffered but the fields kept: Size reports the Stream's fixed
// structures, its pending transactions and the strings copied into them,
// and stays within Options.MaxHeaderBytes. When a field does not fit it is
// truncated (Msg "header cap reached"); when no transaction fits, the
// oldest is emitted early (Msg "evicted: header cap reached") and the
// response that would have answered it is dropped.
//
// # WELF
//
// Exchange is one WELF record's worth: a client-side transaction, a
// server-side one, or both as the caller (package mwgjoin) joined them.
// Exchange.WriteWELF maps it to WELF fields. The mapping lives here, in
// the decoder, as the Airlock one lives in package airlock: each source's
// decoder knows what its fields mean, and the joiners only decide which
// transactions or records go together. (The Airlock mapping cannot live in
// its joiner: uncorrelated records use it too.)
package mwg
