package mwgjoin

import (
	"strings"
	"time"
	"unsafe"

	"github.com/welfbridge/welfbridge/internal/mwg"
)

// role is what a trace file contributes to its connection.
type role uint8

const (
	roleClient     role = iota // C, CC: what the client asked and got
	roleServer                 // S, SC: what MWG sent upstream and got back
	roleClientData             // CL: byte counts
	roleServerData             // SD: byte counts
	roleAlone                  // ICAP: one file, nothing to join
)

// roleOf follows the decoder mwg.NewStream picks for the name: FTP sides
// ending in C are control connections, other FTP sides data connections.
func roleOf(n mwg.Name) role {
	client := strings.HasPrefix(n.Side, "C")
	switch {
	case n.Proto == "ICAP":
		return roleAlone
	case n.Proto == "FTP" && !strings.HasSuffix(n.Side, "C"):
		if client {
			return roleClientData
		}
		return roleServerData
	case client:
		return roleClient
	}
	return roleServer
}

// file is one trace file of a connection.
type file struct {
	conn   *conn
	side   string
	role   role
	stream *mwg.Stream
	offset int64 // the last Offset_Key value, -1 before the first
}

// queued is a transaction waiting for its other side (or, for FTP data,
// for the session to end).
type queued struct {
	tx   mwg.Transaction
	seen time.Time // when the Joiner received it
}

// outcome is a decided output of an FTP session, held until the session
// ends so that the data connections' byte counts can be added to it.
type outcome struct {
	client, server         queued
	hasClient, hasServer   bool
	clientData, serverData mwg.Transaction
	hasData                [2]bool // client, server
	partial                string
}

// conn is the state of one connection id: its files and the transactions
// waiting to be joined.
type conn struct {
	key   []byte // the table key: the path without "-<side>.txt"
	ftp   bool
	files []*file

	// Unpaired client and server transactions, oldest first. No client in
	// cq has the same request and final status as a server in sq: such
	// pairs are joined as soon as the second one arrives.
	cq, sq []queued
	held   []outcome // FTP: decided outputs, in order
	cd, sd []queued  // FTP: data-connection counts, client and server side
	strs   int       // string bytes held by the transactions above

	last time.Time // event time of the connection's latest record
	gone bool      // flushed and out of the table: the file cache must not use it
}

const (
	connSize    = int(unsafe.Sizeof(conn{}))
	fileSize    = int(unsafe.Sizeof(file{})) + int(unsafe.Sizeof((*file)(nil)))
	queuedSize  = int(unsafe.Sizeof(queued{}))
	outcomeSize = int(unsafe.Sizeof(outcome{}))
)

// Size reports the bytes the connection retains, for the table's MaxBytes.
func (c *conn) Size() int {
	n := connSize + len(c.key) + c.strs +
		(cap(c.cq)+cap(c.sq)+cap(c.cd)+cap(c.sd))*queuedSize + cap(c.held)*outcomeSize
	for _, f := range c.files {
		n += fileSize + len(f.side) + f.stream.Size()
	}
	return n
}

// waiting reports the bytes of the transactions the connection holds, for
// the per-connection cap. Unlike Size it counts lengths, not capacities,
// so that emitting transactions always brings it down.
func (c *conn) waiting() int {
	return (len(c.cq)+len(c.sq)+len(c.cd)+len(c.sd))*queuedSize + len(c.held)*outcomeSize + c.strs
}

func (c *conn) fileFor(side []byte) *file {
	for _, f := range c.files {
		if f.side == string(side) {
			return f
		}
	}
	return nil
}

func (c *conn) push(q *[]queued, e *queued) {
	*q = append(*q, *e)
	c.strs += txStrings(&e.tx)
}

// popFront removes the first n entries of q.
func (c *conn) popFront(q []queued, n int) []queued {
	for i := range q[:n] {
		c.strs -= txStrings(&q[i].tx)
	}
	m := copy(q, q[n:])
	clear(q[m:]) // release the strings
	return q[:m]
}

func (c *conn) hold(o *outcome) {
	c.held = append(c.held, *o)
	c.strs += txStrings(&o.client.tx) + txStrings(&o.server.tx)
}

func (c *conn) popHeld() {
	o := &c.held[0]
	c.strs -= txStrings(&o.client.tx) + txStrings(&o.server.tx) + txStrings(&o.clientData) + txStrings(&o.serverData)
	m := copy(c.held, c.held[1:])
	clear(c.held[m:])
	c.held = c.held[:m]
}

// txStrings approximates the string bytes a transaction holds. Conn shares
// its strings with the file's Stream, which counts them.
func txStrings(tx *mwg.Transaction) int {
	return len(tx.Proto) + len(tx.TLS) + len(tx.Method) + len(tx.Target) + len(tx.Path) + len(tx.Host) +
		cap(tx.Interim)*int(unsafe.Sizeof(0)) + len(tx.UserAgent) + len(tx.Referer) + len(tx.User) +
		len(tx.ClientAddr) + len(tx.SrcAddr) + len(tx.DstAddr) +
		len(tx.HTTP.Method) + len(tx.HTTP.Target) + len(tx.HTTP.Host) + len(tx.Msg)
}

// sameRequest reports whether a client-side and a server-side transaction
// are the same request: same method and origin-form path, and the same
// host when both sides name one (an FTP server side does not).
func sameRequest(c, s *mwg.Transaction) bool {
	return c.Method != "" && c.Method == s.Method && c.Path == s.Path &&
		(c.Host == "" || s.Host == "" || strings.EqualFold(c.Host, s.Host))
}

// mayPair reports whether s can be what went upstream for c. A 407 to the
// client is the proxy's own authentication challenge, unless the server
// side got one too (a next-hop proxy).
func mayPair(c, s *mwg.Transaction) bool {
	return sameRequest(c, s) && (c.Status != 407 || s.Status == 407)
}

// samePair reports whether c and s pair with certainty: the client got
// the status the server answered.
func samePair(c, s *mwg.Transaction) bool {
	return mayPair(c, s) && c.Status == s.Status
}

// isTransfer reports whether an FTP command opens a data connection.
func isTransfer(method string) bool {
	switch method {
	case "RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD":
		return true
	}
	return false
}

// addrPort returns the port of an "ip:port" address, or 0.
func addrPort(a string) int {
	_, p := mwg.SplitAddr(a)
	if p == "" || len(p) > 5 {
		return 0
	}
	n := 0
	for i := range len(p) {
		if p[i] < '0' || p[i] > '9' {
			return 0
		}
		n = n*10 + int(p[i]-'0')
	}
	return n
}
