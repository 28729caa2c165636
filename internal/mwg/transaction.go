package mwg

import "time"

// TLSInspected is Transaction.TLS for messages read from the decrypted
// ("[[[", "]]]") layer.
const TLSInspected = "inspected"

// Transaction is one request paired with its final response, as seen in
// one trace file. All strings are owned copies: they never alias the lines
// passed to Stream.Feed.
type Transaction struct {
	Conn Name // the file it came from
	// Seq numbers the transactions of one file from 0 in the order their
	// requests appeared, which is also the order they are emitted in.
	Seq   int
	Proto string // http, https, ftp, icap; for undecoded data the file's protocol in lower case
	TLS   string // TLSInspected or ""

	// Method is the request method or FTP command; "" when no request was
	// seen (a response without request, undecoded data, an FTP data file).
	Method string
	// Target is the request target as seen on this side (absolute URL on
	// the client side of a proxy, origin form on the server side,
	// host:port for CONNECT, the FTP argument), with any user:password@
	// removed.
	Target string
	// Path is the origin-form path and query of Target ("/" for an
	// absolute URL without one); with Method and Host it identifies a
	// request on both sides of the proxy. For FTP it is the argument
	// resolved against the working directory when that is known.
	Path    string
	Host    string // URL or CONNECT host, else the Host header (FTP: from USER user@host)
	Port    int    // explicit port, else the default of the scheme or layer
	Status  int    // final status (HTTP, ICAP) or reply code (FTP); 0 if none
	Interim []int  // informational statuses before the final one (100, 150 …), at most maxInterim

	// ReqBytes and RespBytes count the bytes of the request and response
	// messages (headers and bodies) in the trace; see "Byte counts" in the
	// package documentation for their accuracy.
	ReqBytes, RespBytes int64

	UserAgent  string
	Referer    string // credentials removed, as in Target
	User       string // from Proxy-Authorization Basic, FTP USER, ICAP X-Authenticated-User; never a password
	ClientAddr string // from X-Forwarded-For, Forwarded or ICAP X-Client-IP

	// SrcAddr and DstAddr are the request's source and destination
	// ("ip:port") when marker metadata carries addresses.
	SrcAddr, DstAddr string
	// Start and End are the times of the chunks that carried the request's
	// first and the response's last line, when markers carry timestamps.
	Start, End time.Time

	DataPort int      // FTP: data port announced by PASV, EPSV, PORT or EPRT before the command
	HTTP     Embedded // ICAP: the encapsulated HTTP message

	// Msg holds protocol notices ("malformed status line", "http2 not
	// decoded" …) and, for transactions emitted by Flush, what was missing.
	Msg string
	// Complete reports that both the request and its final response were
	// seen in full.
	Complete bool
}

// Embedded is the HTTP message an ICAP transaction encapsulated.
type Embedded struct {
	Method string // request method of the encapsulated HTTP request
	Target string // its request target, credentials removed
	Host   string // its URL host, else its Host header
	// Status is the status of the last encapsulated HTTP response: the
	// adapted one from the ICAP response when there is one, else the
	// original one from a RESPMOD request.
	Status int
}

// maxInterim bounds Transaction.Interim.
const maxInterim = 4

// FlushReason tells Stream.Flush why the file's pending transactions end.
type FlushReason uint8

const (
	// FlushIdle: the file received no lines for a while. Parsing resumes
	// with the next line as if a new connection started.
	FlushIdle FlushReason = iota + 1
	// FlushShutdown: the plugin is stopping.
	FlushShutdown
	// FlushTruncated: the file shrank or was replaced. Marker calibration
	// and the preamble state are reset too.
	FlushTruncated
)

var flushReasonNames = [...]string{FlushIdle: "idle", FlushShutdown: "shutdown", FlushTruncated: "truncated"}

func (r FlushReason) String() string { return enumName(r, flushReasonNames[:], "FlushReason") }

// orientation tells which marker pair carries requests.
type orientation uint8

const (
	// orientUnknown: MarkerAuto has not seen a chunk starting with a
	// request or status line yet, or the mode is MarkerRegion.
	orientUnknown orientation = iota
	// orientNormal: ">>>" and "[[[" carry requests.
	orientNormal
	// orientMirrored: "<<<" and "]]]" carry requests.
	orientMirrored
)
