package relp

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
)

// FuzzReadFrame reads whatever a server might send: every frame read must
// be within the protocol's limits and survive re-encoding unchanged, and
// the answer helpers must take its data without panicking.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte(openAnswer))
	f.Add([]byte("2 rsp 6 200 OK\n3 rsp 9 500 error\n4 rsp 0\n0 serverclose 0\n"))
	f.Add([]byte("3 rsp 0 \n"))
	f.Add([]byte("999999999 rsp 15 500 x\n5 rsp 1 y\n"))
	f.Add([]byte("2 rsp 65537 "))
	f.Add([]byte("2 rsp 6 200 OK\r\n"))
	f.Fuzz(func(t *testing.T, input []byte) {
		fr := newFrameReader(bytes.NewReader(input))
		for {
			fm, err := fr.read()
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF && !errors.Is(err, errBadFrame) {
					t.Fatalf("unexpected kind of error: %v", err)
				}
				return
			}
			if fm.txnr < 0 || fm.txnr > maxTxnr || len(fm.command) == 0 || len(fm.command) > maxCommandLen || len(fm.data) > maxResponseData {
				t.Fatalf("frame out of limits: txnr %d, command %q, %d data bytes", fm.txnr, fm.command, len(fm.data))
			}
			encoded := appendFrame(nil, fm.txnr, string(fm.command), fm.data)
			again, err := newFrameReader(bytes.NewReader(encoded)).read()
			if err != nil || again.txnr != fm.txnr || !bytes.Equal(again.command, fm.command) || !bytes.Equal(again.data, fm.data) {
				t.Fatalf("frame %q read back as %d %q %q, %v", encoded, again.txnr, again.command, again.data, err)
			}
			status(fm.data)
			listed(offered(fm.data, "commands"), "syslog")
		}
	})
}

// FuzzExchange answers a window-4 batch of ten messages with arbitrary
// bytes: the client must neither panic nor count a message acknowledged
// that it did not write, and succeeds only with every message acknowledged.
func FuzzExchange(f *testing.F) {
	var acks []byte
	for txnr := 2; txnr <= 11; txnr++ {
		acks = append(acks, rsp(txnr, "200 OK")...)
	}
	f.Add(acks)
	f.Add(acks[:len(acks)/2])
	f.Add([]byte(rsp(2, "200 OK") + rsp(4, "200 OK")))
	f.Add([]byte(rsp(2, "200 OK") + "0 serverclose 0\n"))
	f.Add([]byte(rsp(2, "500 error")))
	f.Add([]byte("garbage\n"))
	recs := rawRecords("id=0", "id=1", "id=2", "id=3", "id=4", "id=5", "id=6", "id=7", "id=8", "id=9")
	f.Fuzz(func(t *testing.T, answers []byte) {
		c, err := New(Config{Address: "127.0.0.1:2514", Window: 4, Syslog: rawSyslog})
		if err != nil {
			t.Fatal(err)
		}
		client, server := net.Pipe()
		defer client.Close()
		go func() {
			defer server.Close()
			go io.Copy(io.Discard, server)
			server.Write(answers)
		}()
		c.reader.reset(client)
		c.txnr, c.expect = 2, 2
		acked, written, err := c.exchange(client, recs)
		if acked < 0 || acked > written || written > len(recs) {
			t.Fatalf("acknowledged %d, written %d of %d", acked, written, len(recs))
		}
		if (err == nil) != (acked == len(recs)) {
			t.Fatalf("acknowledged %d of %d with error %v", acked, len(recs), err)
		}
	})
}
