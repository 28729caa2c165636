package relp

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/sink"
)

// waitTimeout bounds every wait in the tests for something to arrive.
const waitTimeout = 15 * time.Second

func rawRecords(lines ...string) []sink.Record {
	recs := make([]sink.Record, len(lines))
	for i, line := range lines {
		recs[i] = sink.Record{Line: []byte(line)}
	}
	return recs
}

func newClient(t testing.TB, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// rsp returns the server's answer to transaction txnr with data.
func rsp(txnr int, data string) string {
	return string(appendFrame(nil, txnr, "rsp", []byte(data)))
}

// openAnswer is librelp 1.11's answer to our "open".
var openAnswer = rsp(1, "200 OK\nrelp_version=0\nrelp_software=librelp,1.11.0,http://librelp.adiscon.com\ncommands=syslog")

// fakeSession is one connection to a fakeServer, seen from the server.
type fakeSession struct {
	t     testing.TB
	index int // 1 for the first connection
	conn  net.Conn
	r     *frameReader
	w     *bufio.Writer
}

// fakeServer accepts connections, TLS ones when cfg is not nil, and hands
// each to serve on its own goroutine; the connection is closed when serve
// returns, and when the test ends. serve reports problems with t.Errorf,
// never t.Fatal.
func fakeServer(t testing.TB, cfg *tls.Config, serve func(*fakeSession)) string {
	t.Helper()
	var ln net.Listener
	var err error
	if cfg != nil {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", cfg)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, conn := range conns {
			conn.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			s := &fakeSession{t: t, index: len(conns), conn: conn, r: newFrameReader(conn), w: bufio.NewWriter(conn)}
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				serve(s)
			}()
		}
	}()
	return ln.Addr().String()
}

// next reads the client's next frame; ok is false when the connection
// ended or failed.
func (s *fakeSession) next() (f frame, ok bool) {
	f, err := s.r.read()
	if errors.Is(err, errBadFrame) {
		s.t.Errorf("fake server: %v", err)
	}
	return f, err == nil
}

// expect reads the client's next frame and checks its command.
func (s *fakeSession) expect(command string) (frame, bool) {
	f, ok := s.next()
	if ok && string(f.command) != command {
		s.t.Errorf("fake server: got %q from the client, want %q", f.command, command)
		return f, false
	}
	return f, ok
}

// send writes data to the client at once.
func (s *fakeSession) send(data string) {
	s.w.WriteString(data)
	s.w.Flush()
}

// open answers the client's "open" like librelp.
func (s *fakeSession) open() bool {
	if _, ok := s.expect("open"); !ok {
		return false
	}
	s.send(openAnswer)
	return true
}

// answerClose answers the client's "close" like librelp.
func (s *fakeSession) answerClose() {
	if f, ok := s.expect("close"); ok {
		s.send(rsp(f.txnr, "") + "0 serverclose 0\n")
	}
}

// waitClosed reads until the client closes the connection.
func (s *fakeSession) waitClosed() {
	for {
		if _, ok := s.next(); !ok {
			return
		}
	}
}

// ackAll is a well-behaved server: it acknowledges every message, batching
// its answers the way librelp does, and answers "close". It hands every
// message to got when got is not nil. It does not allocate per message, so
// that benchmarks count the client's allocations only.
func ackAll(got chan<- string) func(*fakeSession) {
	statusOK := []byte("200 OK")
	return func(s *fakeSession) {
		if !s.open() {
			return
		}
		var answer []byte
		for {
			f, ok := s.next()
			if !ok {
				return
			}
			switch string(f.command) {
			case "syslog":
				if got != nil {
					got <- string(f.data)
				}
				answer = appendFrame(answer[:0], f.txnr, "rsp", statusOK)
				s.w.Write(answer)
			case "close":
				s.send(rsp(f.txnr, "") + "0 serverclose 0\n")
				return
			default:
				s.t.Errorf("fake server: unexpected command %q", f.command)
				return
			}
			if s.r.buffered() == 0 {
				s.w.Flush()
			}
		}
	}
}

// receive takes n messages from got.
func receive(t *testing.T, got <-chan string, n int) []string {
	t.Helper()
	var msgs []string
	for range n {
		select {
		case m := <-got:
			msgs = append(msgs, m)
		case <-time.After(waitTimeout):
			t.Fatalf("received %q, then nothing", msgs)
		}
	}
	return msgs
}
