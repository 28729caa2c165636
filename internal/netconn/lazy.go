package netconn

import (
	"context"
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

	mu     sync.Mutex
	conn   net.Conn
	closed bool
}

// NewLazy returns a Lazy with no connection yet.
func NewLazy() *Lazy {
	ctx, cancel := context.WithCancel(context.Background())
	return &Lazy{ctx: ctx, cancel: cancel}
}

// Get returns the connection, if there is one and alive says it is still
// open, or else one made by dial with a context Close cancels; fresh tells
// which. After Close it returns net.ErrClosed.
func (l *Lazy) Get(alive func(net.Conn) bool, dial func(ctx context.Context) (net.Conn, error)) (conn net.Conn, fresh bool, err error) {
	l.mu.Lock()
	conn, closed := l.conn, l.closed
	l.mu.Unlock()
	if closed {
		return nil, false, net.ErrClosed
	}
	if conn != nil {
		if alive(conn) {
			return conn, false, nil
		}
		l.Drop(conn)
	}
	conn, err = dial(l.ctx)
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
