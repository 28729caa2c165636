package mwg

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tailLines splits a file the way Fluent Bit's tail input does: one record
// per LF-terminated line, the LF removed and, unless keepCR, one trailing CR
// too.
func tailLines(data []byte, keepCR bool) [][]byte {
	var lines [][]byte
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if !keepCR {
			line = bytes.TrimSuffix(line, []byte("\r"))
		}
		lines = append(lines, line)
	}
	return lines
}

// feedFile feeds testdata/traces/<name> to a new Stream line by line, like
// tail, then flushes it as idle. Every line is passed in one reused buffer
// that is overwritten after each call, so a Stream that kept a reference to
// it would produce garbage. It also checks the Size bound after each line.
func feedFile(t testing.TB, name string, opts Options, keepCR bool) []Transaction {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "traces", name))
	if err != nil {
		t.Fatal(err)
	}
	return feedLines(t, name, opts, tailLines(data, keepCR))
}

func feedLines(t testing.TB, name string, opts Options, lines [][]byte) []Transaction {
	t.Helper()
	n, err := ParseName(name)
	if err != nil {
		t.Fatal(err)
	}
	var got []Transaction
	s := NewStream(n, opts, func(tx Transaction) { got = append(got, tx) })
	limit := s.opts.MaxHeaderBytes
	buf := make([]byte, 0, 1024)
	for _, line := range lines {
		buf = append(buf[:0], line...)
		s.Feed(buf)
		for i := range buf {
			buf[i] = '#'
		}
		if s.Size() > limit {
			t.Fatalf("Size() = %d after %q, above MaxHeaderBytes %d", s.Size(), line, limit)
		}
	}
	s.Flush(FlushIdle)
	return got
}

// format renders a transaction on one line, zero fields left out, strings
// quoted, for exact comparison.
func format(tx Transaction) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s-%s-%s #%d %s", tx.Conn.Proto, tx.Conn.ID, tx.Conn.Side, tx.Seq, tx.Proto)
	str := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, " %s=%q", k, v)
		}
	}
	num := func(k string, v int64) {
		if v != 0 {
			fmt.Fprintf(&b, " %s=%d", k, v)
		}
	}
	tm := func(k string, v time.Time) {
		if !v.IsZero() {
			fmt.Fprintf(&b, " %s=%s", k, v.UTC().Format("2006-01-02T15:04:05.000"))
		}
	}
	str("tls", tx.TLS)
	str("method", tx.Method)
	str("target", tx.Target)
	str("path", tx.Path)
	str("host", tx.Host)
	num("port", int64(tx.Port))
	num("status", int64(tx.Status))
	if len(tx.Interim) > 0 {
		fmt.Fprintf(&b, " interim=%v", tx.Interim)
	}
	num("req", tx.ReqBytes)
	num("resp", tx.RespBytes)
	str("ua", tx.UserAgent)
	str("ref", tx.Referer)
	str("user", tx.User)
	str("client", tx.ClientAddr)
	str("src", tx.SrcAddr)
	str("dst", tx.DstAddr)
	tm("start", tx.Start)
	tm("end", tx.End)
	num("dataport", int64(tx.DataPort))
	str("http.method", tx.HTTP.Method)
	str("http.target", tx.HTTP.Target)
	str("http.host", tx.HTTP.Host)
	num("http.status", int64(tx.HTTP.Status))
	str("msg", tx.Msg)
	if tx.Complete {
		b.WriteString(" complete")
	}
	return b.String()
}

func formatAll(txs []Transaction) string {
	var b strings.Builder
	for _, tx := range txs {
		b.WriteString(format(tx))
		b.WriteByte('\n')
	}
	return b.String()
}

// lines joins expected transaction lines as formatAll does.
func lines(ls ...string) string {
	if len(ls) == 0 {
		return ""
	}
	return strings.Join(ls, "\n") + "\n"
}
