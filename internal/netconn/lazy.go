package netconn

import (
	"context"
	"fmt"
	"net"
	"sync"
)

// Lazy is a carrier's connection: made on first use, made again after it
// was dropped or the peer closed it, and ended by Close at any time — even
// while a dial is under way (its context is cancelled) or a read or write
// blocks (the connection is closed under it).
type Lazy struct {
	ctx    context.Context
	cancel context.CancelFunc
	alive  func(net.Conn) bool
	dial   func(ctx context.Context) (net.Conn, error)

	mu     sync.Mutex
	conn   net.Conn
	closed bool
}

// NewLazy returns a Lazy with no connection yet. Get makes one with dial,
// passing a context Close cancels, and keeps using it while alive says the
// peer still holds it open.
func NewLazy(alive func(net.Conn) bool, dial func(ctx context.Context) (net.Conn, error)) *Lazy {
	ctx, cancel := context.WithCancel(context.Background())
	return &Lazy{ctx: ctx, cancel: cancel, alive: alive, dial: dial}
}

// Get returns the connection, if there is one and it is alive, or else a
// new one; fresh tells which. After Close it returns net.ErrClosed.
func (l *Lazy) Get() (conn net.Conn, fresh bool, err error) {
	l.mu.Lock()
	conn, closed := l.conn, l.closed
	l.mu.Unlock()
	if closed {
		return nil, false, net.ErrClosed
	}
	if conn != nil {
		if l.alive(conn) {
			return conn, false, nil
		}
		l.Drop(conn)
	}
	conn, err = l.dial(l.ctx)
	if err != nil {
		return nil, false, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		conn.Close() // Close came first; nobody will use it
		return nil, false, net.ErrClosed
	}
	l.conn = conn
	return conn, true, nil
}

// Drop closes conn and forgets it, unless Close already took it.
func (l *Lazy) Drop(conn net.Conn) {
	l.mu.Lock()
	if l.conn == conn {
		l.conn = nil
	}
	l.mu.Unlock()
	conn.Close() // the connection failed already; closing it cannot fail more usefully
}

// Close ends the Lazy: later Gets fail, a dial under way is cancelled. It
// returns the connection for the caller to close (and perhaps say goodbye
// on first), nil if there is none or Close was called before.
func (l *Lazy) Close() net.Conn {
	l.mu.Lock()
	conn, closed := l.conn, l.closed
	l.conn, l.closed = nil, true
	l.mu.Unlock()
	if closed {
		return nil
	}
	l.cancel()
	return conn
}

// Shut ends the Lazy as Close does and closes the connection, for a carrier
// with nothing to say before it hangs up. Its error reads "close: …".
func (l *Lazy) Shut() error {
	conn := l.Close()
	if conn == nil {
		return nil
	}
	if err := conn.Close(); err != nil {
		return fmt.Errorf("close: %w", Cause(err))
	}
	return nil
}
