package delivery

import (
	"bufio"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/sink"
)

// lineCarrier is a tiny line-based TCP carrier: each Send writes its lines
// and a "." line, and waits for the receiver's "ok". The acknowledgement
// makes a Send into a dead connection fail instead of vanishing into the
// socket buffer, which is what lets the test demand exactly once.
type lineCarrier struct {
	addr   string
	acked  chan int // receives the number of records of every confirmed Send
	failed chan error

	mu   sync.Mutex
	conn net.Conn
	r    *bufio.Reader
	buf  []byte
}

func (c *lineCarrier) Send(recs []sink.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.send(recs)
	if err != nil {
		if c.conn != nil {
			c.conn.Close()
			c.conn = nil
		}
		select {
		case c.failed <- err:
		default:
		}
		return err
	}
	c.acked <- len(recs)
	return nil
}

func (c *lineCarrier) send(recs []sink.Record) error {
	if c.conn == nil {
		conn, err := net.DialTimeout("tcp", c.addr, time.Second)
		if err != nil {
			return err
		}
		c.conn, c.r = conn, bufio.NewReader(conn)
	}
	c.buf = c.buf[:0]
	for _, r := range recs {
		c.buf = append(c.buf, describe(r)...)
		c.buf = append(c.buf, '\n')
	}
	c.buf = append(c.buf, ".\n"...)
	if err := c.conn.SetDeadline(time.Now().Add(2 * time.Second)); err != nil {
		return err
	}
	if _, err := c.conn.Write(c.buf); err != nil {
		return err
	}
	ack, err := c.r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("read ack: %w", err)
	}
	if ack != "ok\n" {
		return fmt.Errorf("ack %q", ack)
	}
	return nil
}

func (c *lineCarrier) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil
	}
	err := c.conn.Close()
	c.conn = nil
	return err
}

// receiver accepts lineCarrier connections and stores each complete batch
// before acknowledging it.
type receiver struct {
	ln    net.Listener
	store *[]string
	mu    *sync.Mutex

	wg     sync.WaitGroup
	connMu sync.Mutex
	conns  []net.Conn
}

func listen(t *testing.T, addr string, mu *sync.Mutex, store *[]string) *receiver {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{ln: ln, store: store, mu: mu}
	r.wg.Go(r.accept)
	return r
}

func (r *receiver) accept() {
	for {
		conn, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.connMu.Lock()
		r.conns = append(r.conns, conn)
		r.connMu.Unlock()
		r.wg.Go(func() { r.serve(conn) })
	}
}

func (r *receiver) serve(conn net.Conn) {
	sc := bufio.NewScanner(conn)
	var batch []string
	for sc.Scan() {
		if sc.Text() != "." {
			batch = append(batch, sc.Text())
			continue
		}
		r.mu.Lock()
		*r.store = append(*r.store, batch...)
		r.mu.Unlock()
		batch = nil
		if _, err := conn.Write([]byte("ok\n")); err != nil {
			return
		}
	}
}

// stop closes the listener and every connection, as a receiver restart does.
func (r *receiver) stop() {
	r.ln.Close()
	r.connMu.Lock()
	for _, c := range r.conns {
		c.Close()
	}
	r.connMu.Unlock()
	r.wg.Wait()
}

func TestTCPReceiverRestart(t *testing.T) {
	var mu sync.Mutex
	var stored []string
	r := listen(t, "127.0.0.1:0", &mu, &stored)
	addr := r.ln.Addr().String()
	c := &lineCarrier{addr: addr, acked: make(chan int, 100), failed: make(chan error, 1)}
	opt := spoolOptions(t.TempDir(), nil)
	opt.BackoffMax = 20 * time.Millisecond
	e := newEngine(t, c, opt)
	awaitAcked := func(n int) {
		t.Helper()
		for n > 0 {
			n -= receive(t, c.acked, "an acknowledged Send")
		}
	}

	for i := range 3 {
		send(t, e, testRecords(i*10, 10))
	}
	awaitAcked(30)
	r.stop() // between Sends: nothing is in flight

	for i := 3; i < 6; i++ {
		send(t, e, testRecords(i*10, 10))
	}
	if err := receive(t, c.failed, "a failed Send"); err == nil {
		t.Fatal("nil error")
	}
	r = listen(t, addr, &mu, &stored)
	defer r.stop()
	awaitAcked(30)
	closeEngine(t, e)

	mu.Lock()
	got := slices.Clone(stored)
	mu.Unlock()
	equal(t, "received", got, want(0, 60))
	cnt := e.Counters()
	if cnt.Sent != 60 || cnt.Dropped != 0 || cnt.Reconnects == 0 {
		t.Errorf("counters: %s", cnt)
	}
	checkBalance(t, cnt)
}
