package mwg

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/welfbridge/welfbridge/internal/welf"
)

// Exchange is what one WELF record reports: one request as the client saw
// it, as MWG sent it upstream, or both, joined by the caller (package
// mwgjoin). At least one of Client and Server is set.
type Exchange struct {
	// Client is the transaction in the client-facing file (C, CC; ICAP C
	// and FTP CL alone), Server in the server-facing one (S, SC; ICAP S
	// and FTP SD alone).
	Client, Server *Transaction
	// ClientData and ServerData are the byte counts of the FTP data
	// connections (CL, SD) added to a transfer.
	ClientData, ServerData *Transaction
	// Seen is the event time at which the caller had all of the exchange's
	// transactions; the WELF time when the traces carry no dated time.
	Seen time.Time

	scratch []byte
}

// Reset empties e for reuse, keeping its scratch space, so that it no
// longer keeps its transactions alive.
func (e *Exchange) Reset() {
	*e = Exchange{scratch: e.scratch}
}

// primary is the view the standard WELF fields describe: the client's
// when there is one.
func (e *Exchange) primary() (tx, data *Transaction) {
	if e.Client != nil {
		return e.Client, e.ClientData
	}
	return e.Server, e.ServerData
}

// Time is the WELF header time: the start of the request as the trace
// stamped it (client side first) when markers carry dated timestamps,
// else Seen.
func (e *Exchange) Time() time.Time {
	for _, tx := range [...]*Transaction{e.Client, e.Server} {
		if tx != nil && tx.Start.Year() > 1 { // year 1: a time of day without date
			return tx.Start
		}
	}
	return e.Seen
}

// Pri is the WELF pri: 4 (warning) when a transaction of the exchange is
// incomplete or carries a protocol notice, else 6 (informational).
func (e *Exchange) Pri() int {
	for _, tx := range [...]*Transaction{e.Client, e.Server, e.ClientData, e.ServerData} {
		if tx != nil && (!tx.Complete || tx.Msg != "") {
			return welf.PriWarning
		}
	}
	return welf.PriInfo
}

// Incomplete reports whether a transaction of the exchange is incomplete.
func (e *Exchange) Incomplete() bool {
	for _, tx := range [...]*Transaction{e.Client, e.Server, e.ClientData, e.ServerData} {
		if tx != nil && !tx.Complete {
			return true
		}
	}
	return false
}

// WriteWELF writes the exchange's WELF fields, not the header, in the
// canonical order of welf.md §5.1 followed by extensions. A field is
// written only when its source is present. "Primary" is the client-side
// transaction, or the server-side one when there is none; "C" and "S" are
// Client and Server.
//
//	WELF      source                                                   writer
//	proto     primary Proto: http, https (decrypted), ftp, icap        Str
//	src       C.ClientAddr (X-Forwarded-For, Forwarded, X-Client-IP),  Str
//	          else S.ClientAddr, else the address of C.SrcAddr; a
//	          client address that is no IP address (a port after it is
//	          dropped) goes to unvalidated_src instead
//	srcport   the port of C.SrcAddr, when src is its address           Int
//	dst       the address of S.DstAddr (the server MWG connected to)   Str
//	dstport   the port of S.DstAddr when dst is written, else primary  Int
//	          Port when dstname is
//	dstname   C.Host, else S.Host (URL, CONNECT authority, Host         Str
//	          header, FTP user@host)
//	user      C.User, else S.User                                      Str
//	op        primary Method                                           Str
//	arg       primary URL without credentials: the absolute target,    Bytes
//	          or scheme://host[:port] + origin-form target; CONNECT
//	          host:port; FTP the resolved path
//	result    primary Status                                           Int
//	sent      primary ReqBytes, plus its FTP data connection's         Int
//	rcvd      primary RespBytes, plus its FTP data connection's        Int
//	duration  primary End - Start in seconds, 3 decimals, when the     Bytes
//	          markers carry times
//	msg       primary Msg: protocol notices, "incomplete (…): …"       Text
//	ref       C.Referer, else S.Referer                                Text
//	agent     C.UserAgent, else S.UserAgent                            Text
//
// Extensions, in this order:
//
//	conn             connection id (Conn.ID)                           Str
//	view             "client" or "server" when only one side is there  Str
//	tls              primary TLS ("inspected")                         Str
//	upstream_result  S.Status when it differs from C.Status            Int
//	upstream_sent    S.ReqBytes (+ SD), when joined                    Int
//	upstream_rcvd    S.RespBytes (+ SD), when joined                   Int
//	upstream_msg     S.Msg when joined and it differs from C.Msg       Text
//	data_msg         the FTP data connections' Msg                     Text
//	proxy_addr       C.DstAddr: the MWG listener the client used       Str
//	upstream_src     S.SrcAddr: the address MWG connected from         Str
//	http_op http_arg http_host http_result                             Str/Int
//	                 ICAP: the encapsulated HTTP message
//	unvalidated_src  a client address from a header that is no IP      Str
//	                 address: src is then C.SrcAddr's
//	unvalidated_peer C.SrcAddr when its address is no IP address       Str
//	unvalidated_dst  S.DstAddr when its address is no IP address       Str
func (e *Exchange) WriteWELF(w welf.FieldWriter) {
	p, data := e.primary()
	if p == nil {
		return
	}
	c, s := e.Client, e.Server
	joined := c != nil && s != nil

	w.Str("proto", p.Proto)
	src, srcPort, claimed, badPeer := e.source()
	w.Str("src", src)
	writePort(w, "srcport", srcPort)
	dstname := firstOf(c, s, func(tx *Transaction) string { return tx.Host })
	badDst := ""
	if s != nil && s.DstAddr != "" {
		if dst, port := SplitAddr(s.DstAddr); validIP(dst) {
			w.Str("dst", dst)
			writePort(w, "dstport", port)
		} else {
			badDst = s.DstAddr // a marker line's address that is none
		}
	}
	if (s == nil || s.DstAddr == "" || badDst != "") && dstname != "" && p.Port > 0 {
		w.Int("dstport", int64(p.Port))
	}
	w.Str("dstname", dstname)
	w.Str("user", firstOf(c, s, func(tx *Transaction) string { return tx.User }))
	w.Str("op", p.Method)
	e.scratch = appendURL(e.scratch[:0], p)
	w.Bytes("arg", e.scratch)
	if p.Status > 0 {
		w.Int("result", int64(p.Status))
	}
	sent, rcvd := byteCounts(p, data)
	w.Int("sent", sent)
	w.Int("rcvd", rcvd)
	if !p.Start.IsZero() && !p.End.IsZero() && !p.End.Before(p.Start) {
		e.scratch = appendSeconds(e.scratch[:0], p.End.Sub(p.Start))
		w.Bytes("duration", e.scratch)
	}
	w.Text("msg", p.Msg)
	w.Text("ref", firstOf(c, s, func(tx *Transaction) string { return tx.Referer }))
	w.Text("agent", firstOf(c, s, func(tx *Transaction) string { return tx.UserAgent }))

	w.Str("conn", p.Conn.ID)
	switch {
	case joined:
	case c != nil:
		w.Str("view", "client")
	default:
		w.Str("view", "server")
	}
	w.Str("tls", p.TLS)
	if joined {
		if s.Status > 0 && s.Status != c.Status {
			w.Int("upstream_result", int64(s.Status))
		}
		sent, rcvd := byteCounts(s, e.ServerData)
		w.Int("upstream_sent", sent)
		w.Int("upstream_rcvd", rcvd)
		if s.Msg != c.Msg {
			w.Text("upstream_msg", s.Msg)
		}
	}
	w.Text("data_msg", firstOf(e.ClientData, e.ServerData, func(tx *Transaction) string { return tx.Msg }))
	if c != nil {
		w.Str("proxy_addr", c.DstAddr)
	}
	if s != nil {
		w.Str("upstream_src", s.SrcAddr)
	}
	w.Str("http_op", p.HTTP.Method)
	w.Str("http_arg", p.HTTP.Target)
	w.Str("http_host", p.HTTP.Host)
	if p.HTTP.Status > 0 {
		w.Int("http_result", int64(p.HTTP.Status))
	}
	w.Str("unvalidated_src", claimed)
	w.Str("unvalidated_peer", badPeer)
	w.Str("unvalidated_dst", badDst)
}

// source picks src and, when it belongs to it, srcport. A client address
// from a header is whatever the client wrote there: unless it is an IP
// address (with a port, as Forwarded allows) it comes back as claimed, and
// src is the peer's; a peer address that is none comes back as badPeer.
func (e *Exchange) source() (addr, port, claimed, badPeer string) {
	c, s := e.Client, e.Server
	var peer, peerPort string
	if c != nil {
		if peer, peerPort = SplitAddr(c.SrcAddr); peer != "" && !validIP(peer) {
			peer, peerPort, badPeer = "", "", c.SrcAddr // a marker line's address that is none
		}
	}
	addr = firstOf(c, s, func(tx *Transaction) string { return tx.ClientAddr })
	if addr != "" {
		host, _ := SplitAddr(addr)
		if len(host) > 2 && host[0] == '[' && host[len(host)-1] == ']' {
			host = host[1 : len(host)-1]
		}
		if validIP(host) {
			addr = host
		} else {
			addr, claimed = "", addr
		}
	}
	if addr == "" {
		addr = peer
	}
	if addr != "" && addr == peer {
		port = peerPort
	}
	return addr, port, claimed, badPeer
}

// writePort writes the port of a marker line's address in canonical form
// ("0080" is 80: a SIEM's port type takes no leading zeros).
func writePort(w welf.FieldWriter, key, port string) {
	if port == "" {
		return
	}
	if n := atoiPort(port); n > 0 || strings.Trim(port, "0") == "" {
		w.Int(key, int64(n))
	}
}

// validIP reports whether a is an IPv4 or IPv6 address without zone: what
// a SIEM's address type takes.
func validIP(a string) bool {
	ip, err := netip.ParseAddr(a)
	return err == nil && ip.Zone() == ""
}

// firstOf returns field of a, else of b; nil transactions have none.
func firstOf(a, b *Transaction, field func(*Transaction) string) string {
	if a != nil {
		if v := field(a); v != "" {
			return v
		}
	}
	if b != nil {
		return field(b)
	}
	return ""
}

func byteCounts(tx, data *Transaction) (sent, rcvd int64) {
	sent, rcvd = tx.ReqBytes, tx.RespBytes
	if data != nil {
		sent += data.ReqBytes
		rcvd += data.RespBytes
	}
	return sent, rcvd
}

// appendURL appends the URL of a transaction's request: an absolute or
// authority-form target as it is (mwg removed any credentials), an
// origin-form one behind scheme://host[:port], and for FTP the resolved
// path.
func appendURL(dst []byte, tx *Transaction) []byte {
	if tx.Proto == "ftp" {
		if tx.Path != "" {
			return append(dst, tx.Path...)
		}
		return append(dst, tx.Target...)
	}
	defPort := 0
	switch tx.Proto {
	case "http":
		defPort = 80
	case "https":
		defPort = 443
	case "icap":
		defPort = 1344
	}
	if defPort == 0 || tx.Host == "" || !strings.HasPrefix(tx.Target, "/") {
		return append(dst, tx.Target...)
	}
	dst = append(append(dst, tx.Proto...), "://"...)
	if strings.IndexByte(tx.Host, ':') >= 0 && !strings.HasPrefix(tx.Host, "[") {
		dst = append(append(append(dst, '['), tx.Host...), ']')
	} else {
		dst = append(dst, tx.Host...)
	}
	if tx.Port > 0 && tx.Port != defPort {
		dst = strconv.AppendInt(append(dst, ':'), int64(tx.Port), 10)
	}
	return append(dst, tx.Target...)
}

// appendSeconds appends d in seconds with three decimals.
func appendSeconds(dst []byte, d time.Duration) []byte {
	ms := d.Milliseconds()
	dst = strconv.AppendInt(dst, ms/1000, 10)
	return append(dst, '.', byte('0'+ms/100%10), byte('0'+ms/10%10), byte('0'+ms%10))
}

// SplitAddr splits "ip:port" or "[v6]:port" into the address and the
// port; an address without a port comes back whole.
func SplitAddr(a string) (host, port string) {
	i := strings.LastIndexByte(a, ':')
	if i < 0 || strings.HasPrefix(a, "[") && a[i-1] != ']' || !strings.HasPrefix(a, "[") && strings.IndexByte(a, ':') != i {
		return a, ""
	}
	host, port = a[:i], a[i+1:]
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	return host, port
}
