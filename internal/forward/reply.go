package forward

import (
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/tinylib/msgp/msgp"
)

// maxReplySize bounds a receiver's reply. An ack {"ack": "<24-byte id>"}
// takes 30 bytes.
const maxReplySize = 256

// errClosedByReceiver is the error for a connection the receiver closed
// while an ack was due.
var errClosedByReceiver = errors.New("connection closed by the receiver")

// readReply reads one msgpack object from conn into buf and returns it. The
// receiver sends exactly one reply per message, so bytes beyond the object
// are an error, as is an object larger than buf.
func readReply(conn net.Conn, buf []byte) ([]byte, error) {
	n := 0
	for {
		if n > 0 {
			rest, err := msgp.Skip(buf[:n])
			switch {
			case err == nil && len(rest) > 0:
				return nil, fmt.Errorf("%d unexpected bytes after the reply", len(rest))
			case err == nil:
				return buf[:n], nil
			case !errors.Is(err, msgp.ErrShortBytes):
				return nil, fmt.Errorf("malformed reply: %w", err)
			}
		}
		if n == len(buf) {
			return nil, fmt.Errorf("reply longer than %d bytes", len(buf))
		}
		m, err := conn.Read(buf[n:])
		n += m
		switch {
		case m > 0:
			// Look at the bytes first; a lasting error comes back on the
			// next read.
		case errors.Is(err, io.EOF):
			return nil, errClosedByReceiver
		case err != nil:
			return nil, err
		}
	}
}

// ackedChunk returns the chunk id of the ack {"ack": id}; other keys are
// ignored.
func ackedChunk(reply []byte) ([]byte, error) {
	if _, err := expectArray(reply, "HELO", 2); err == nil {
		return nil, errors.New("the receiver asks for the secure-forward handshake (HELO): set Forward_Shared_Key (and Forward_Username, Forward_Password when it has users)")
	}
	size, rest, err := msgp.ReadMapHeaderBytes(reply)
	if err != nil {
		return nil, fmt.Errorf("reply is not an ack map: %w", err)
	}
	for range size {
		var key []byte
		if key, rest, err = msgp.ReadMapKeyZC(rest); err != nil {
			return nil, fmt.Errorf("malformed ack: %w", err)
		}
		if string(key) != "ack" {
			if rest, err = msgp.Skip(rest); err != nil {
				return nil, fmt.Errorf("malformed ack: %w", err)
			}
			continue
		}
		id, _, err := msgp.ReadStringZC(rest)
		if err != nil {
			return nil, fmt.Errorf("malformed ack: %w", err)
		}
		return id, nil
	}
	return nil, errors.New(`reply without "ack"`)
}
