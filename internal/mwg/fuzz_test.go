package mwg

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fuzzOptions derives options from one fuzzed byte: the marker mode, the
// timestamp prefix switch and the smallest cap.
func fuzzOptions(mode byte) Options {
	opts := DefaultOptions()
	opts.MarkerMode = MarkerMode(mode % 3)
	opts.TimestampPrefix = mode&4 == 0
	if mode&8 != 0 {
		opts.MaxHeaderBytes = MinMaxHeaderBytes
	}
	return opts
}

// checkStream feeds data line by line and as one multi-line record and
// checks what must hold for any input: no panic, Size within the cap after
// every line, nothing left after Flush and an empty stream after a
// FlushTruncated, transactions numbered in order
// with sane fields, bytes counted at most once (plus the CRs tail may have
// removed), and the same result whichever way the lines are grouped.
func checkStream(t *testing.T, file string, opts Options, data []byte) {
	n, err := ParseName(file)
	if err != nil {
		t.Fatal(err)
	}
	run := func(records [][]byte) []Transaction {
		var txs []Transaction
		s := NewStream(n, opts, func(tx Transaction) { txs = append(txs, tx) })
		empty := s.Size()
		for _, rec := range records {
			s.Feed(rec)
			if s.Size() > s.opts.MaxHeaderBytes {
				t.Fatalf("Size() = %d after %q, above %d", s.Size(), rec, s.opts.MaxHeaderBytes)
			}
		}
		s.Flush(FlushIdle)
		emitted := len(txs)
		s.Flush(FlushTruncated)
		if len(txs) != emitted || s.Size() != empty {
			t.Fatalf("after FlushIdle and FlushTruncated: %d more transactions, Size() = %d, want none and %d", len(txs)-emitted, s.Size(), empty)
		}
		return txs
	}
	lines := bytes.Split(data, []byte("\n"))
	txs := run(lines)
	var total int64
	for i, tx := range txs {
		switch {
		case tx.Seq != i:
			t.Fatalf("transaction %d has Seq %d", i, tx.Seq)
		case tx.ReqBytes < 0 || tx.RespBytes < 0:
			t.Fatalf("negative byte count: %s", format(tx))
		case tx.Port < 0 || tx.Port > 65535 || tx.DataPort < 0 || tx.DataPort > 65535:
			t.Fatalf("port out of range: %s", format(tx))
		case tx.Status != 0 && (tx.Status < 100 || tx.Status > 999):
			t.Fatalf("status out of range: %s", format(tx))
		case len(tx.Interim) > maxInterim:
			t.Fatalf("%d interim statuses", len(tx.Interim))
		case tx.Complete && strings.Contains(tx.Msg, "incomplete"):
			t.Fatalf("complete and incomplete: %s", format(tx))
		case tx.Conn != n:
			t.Fatalf("Conn = %+v, want %+v", tx.Conn, n)
		}
		total += tx.ReqBytes + tx.RespBytes
	}
	if limit := int64(len(data) + 2*len(lines)); total > limit {
		t.Fatalf("%d bytes counted from %d bytes in %d lines", total, len(data), len(lines))
	}
	whole := run([][]byte{data})
	if !slices.EqualFunc(txs, whole, func(a, b Transaction) bool { return format(a) == format(b) }) {
		t.Fatalf("line by line:\n%s\nas one record:\n%s", formatAll(txs), formatAll(whole))
	}
}

// addFixtures adds the fixture files whose name starts with prefix as seeds.
func addFixtures(f *testing.F, prefix string, add func(data []byte)) {
	names, err := filepath.Glob(filepath.Join("testdata", "traces", prefix+"*.txt"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		add(data)
	}
}

func FuzzTokenizer(f *testing.F) {
	addFixtures(f, "", func(data []byte) { f.Add(data, byte(0)) })
	f.Add([]byte("2024-03-05 09:12:44.123 >>> 10.0.0.1:1 -> 10.0.0.2:2 (30 bytes)\nGET / HTTP/1.1\n>>>\n\n"), byte(0))
	f.Add([]byte("[0001] 23:59:59 <<< (5)\n<<<\n>>>\n]]] [::1]:1 <- 1.2.3.4:5\n[[[ GET * HTTP/1.1\r\n"), byte(1))
	f.Add([]byte(">>>\nPOST / HTTP/1.1\nContent-Length: 9\n\n>>>\n<<<\n>>>\nGET"), byte(2))
	f.Fuzz(func(t *testing.T, data []byte, mode byte) {
		checkStream(t, "HTTP-f1-C.txt", fuzzOptions(mode), data)
	})
}

func FuzzHTTP(f *testing.F) {
	f.Add([]byte("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"), []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), byte(0))
	f.Add([]byte("POST /u HTTP/1.1\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n"), []byte("HTTP/1.1 100 Continue\n\nHTTP/1.1 204 No Content\n\n"), byte(16))
	f.Add([]byte("CONNECT h:443 HTTP/1.1\n\n\x16\x03\x01"), []byte("HTTP/1.1 200 Connection established\n\n\x16\x03\x03"), byte(1))
	f.Add([]byte("PRI * HTTP/2.0\n\nSM\n\n\x00\x00\x12\x04"), []byte("\x00\x00\x00\x04\x01"), byte(18))
	f.Add([]byte("GET / HTTP/1.0\n\n"), []byte("HTTP/1.0 200 OK\n\nbody\n<<<\nmore"), byte(2))
	f.Fuzz(func(t *testing.T, req, resp []byte, mode byte) {
		open, close := ">>>\n", "\n<<<\n"
		if mode&16 != 0 {
			open, close = "[[[\n", "\n]]]\n"
		}
		data := slices.Concat([]byte(open), req, []byte(close), resp)
		checkStream(t, "HTTP-f2-S.txt", fuzzOptions(mode), data)
	})
}

func FuzzFTP(f *testing.F) {
	f.Add([]byte("USER a@h:2121\nPASS x\nCWD d\nPASV\nRETR f"), []byte("331 ok\n230 ok\n250 ok\n227 (1,2,3,4,5,6)\n150 go\n226 done"), byte(0))
	f.Add([]byte("EPSV\nLIST\nCDUP\nPWD"), []byte("229 (|||6446|)\n150-a\nb\n150 c\n226 ok\n200 ok\n257 \"/x\""), byte(0))
	f.Add([]byte("PORT 1,2,3,4,5,6\nSTOR ../up\nDELE x"), []byte("200 ok\n550 no\n421 bye"), byte(1))
	f.Add([]byte("USER u@h x=y\nUSER u@h\rPASS s\nRETR f\rDELE g"), []byte("331 ok\n331 ok\n226 ok"), byte(0))
	f.Fuzz(func(t *testing.T, cmds, replies []byte, mode byte) {
		var data []byte
		c, r := bytes.Split(cmds, []byte("\n")), bytes.Split(replies, []byte("\n"))
		for i := range max(len(c), len(r)) {
			if i < len(c) {
				data = append(append(append(data, ">>>\n"...), c[i]...), '\n')
			}
			if i < len(r) {
				data = append(append(append(data, "<<<\n"...), r[i]...), '\n')
			}
		}
		opts := fuzzOptions(mode)
		checkStream(t, "FTP-f3-CC.txt", opts, data)
		checkStream(t, "FTP-f3-SD.txt", opts, data)
	})
}

func FuzzICAP(f *testing.F) {
	addFixtures(f, "ICAP", func(data []byte) {
		if i := bytes.Index(data, []byte("\n<<<\n")); i > 4 {
			f.Add(data[4:i], data[i+5:], byte(0))
		}
	})
	f.Add([]byte("RESPMOD icap://i/r ICAP/1.0\nPreview: 2\nEncapsulated: res-hdr=0, res-body=20\n\nHTTP/1.1 200 OK\n\n2\nab\n0\n\n1\nc\n0; ieof\n\n"), []byte("ICAP/1.0 100 Continue\n\nICAP/1.0 200 OK\nEncapsulated: req-hdr=0, req-body=9\n\nGET / HTTP/1.1\n\n0\n\n"), byte(0))
	f.Fuzz(func(t *testing.T, req, resp []byte, mode byte) {
		data := slices.Concat([]byte(">>>\n"), req, []byte("\n<<<\n"), resp)
		checkStream(t, "ICAP-f4-S.txt", fuzzOptions(mode), data)
	})
}
