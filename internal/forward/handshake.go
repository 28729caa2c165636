package forward

import (
	"bytes"
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/tinylib/msgp/msgp"

	"github.com/welfbridge/welfbridge/internal/netconn"
)

// Auth configures the secure-forward handshake of Forward Protocol v1
// (HELO, PING, PONG). The zero value means no handshake.
type Auth struct {
	// SharedKey is the receiver's shared_key. Empty with a Username means
	// an empty shared key (in_forward's empty_shared_key).
	SharedKey string
	// SelfHostname names this client in PING; the receiver's own name must
	// differ from it.
	SelfHostname string
	// Username and Password answer the receiver's security.users, when it
	// has any.
	Username, Password string
}

// enabled reports whether the receiver expects the handshake.
func (a Auth) enabled() bool { return a.SharedKey != "" || a.Username != "" }

// maxHandshakeSize bounds HELO and PONG. A PONG carries the receiver's
// hostname, a reason and a 128-byte digest; in_forward itself reads a PING
// of at most 1023 bytes.
const maxHandshakeSize = 2048

// errHandshakeClosed is how in_forward answers a PING whose shared key does
// not match: it closes the connection without a PONG.
var errHandshakeClosed = errors.New("handshake: the receiver closed the connection after PING; in_forward does this when the shared key does not match")

// handshake authenticates client and receiver to each other on a new
// connection: the receiver's HELO brings a nonce, the client's PING proves
// it knows the shared key (and the user's password), and the receiver's
// PONG proves it knows the shared key too. The caller bounds it with a
// deadline on conn: within, the time allowed to connect and shake hands.
func handshake(conn net.Conn, auth Auth, buf []byte, within time.Duration) error {
	helo, err := readReply(conn, buf)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("handshake: no HELO from the receiver within %v: is shared_key set on its in_forward?", within)
	case errors.Is(err, errClosedByReceiver):
		return errors.New("handshake: the receiver closed the connection before its HELO")
	case err != nil:
		return fmt.Errorf("handshake: wait for HELO: %w", netconn.Cause(err))
	}
	nonce, userSalt, err := parseHELO(helo)
	if err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	nonce = bytes.Clone(nonce) // PONG is read into buf too, and the nonce checks it
	var salt [16]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	// The salt goes out as a hex string: in_forward wants every PING field
	// as msgpack str and uses the salt's bytes as sent.
	sharedKeySalt := hex.EncodeToString(salt[:])
	if _, err := conn.Write(appendPING(nil, auth, sharedKeySalt, nonce, userSalt)); err != nil {
		return fmt.Errorf("handshake: send PING: %w", netconn.Cause(err))
	}
	pong, err := readReply(conn, buf)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("handshake: no PONG from the receiver within %v", within)
	case errors.Is(err, errClosedByReceiver):
		return errHandshakeClosed
	case err != nil:
		return fmt.Errorf("handshake: wait for PONG: %w", netconn.Cause(err))
	}
	return checkPONG(pong, auth, sharedKeySalt, nonce)
}

// parseHELO reads ["HELO", {"nonce": n, "auth": salt, ...}]. Fluent Bit
// sends nonce and salt as str, Fluentd as bin; both are taken as bytes.
func parseHELO(msg []byte) (nonce, userSalt []byte, err error) {
	rest, err := expectArray(msg, "HELO", 2)
	if err != nil {
		return nil, nil, err
	}
	size, rest, err := msgp.ReadMapHeaderBytes(rest)
	if err != nil {
		return nil, nil, fmt.Errorf("malformed HELO options: %w", err)
	}
	for range size {
		var key []byte
		if key, rest, err = msgp.ReadMapKeyZC(rest); err != nil {
			return nil, nil, fmt.Errorf("malformed HELO options: %w", err)
		}
		switch string(key) {
		case "nonce":
			nonce, rest, err = readBytes(rest)
		case "auth":
			userSalt, rest, err = readBytes(rest)
		default:
			rest, err = msgp.Skip(rest)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("malformed HELO option %q: %w", key, err)
		}
	}
	if len(nonce) == 0 {
		return nil, nil, errors.New("HELO without a nonce")
	}
	return nonce, userSalt, nil
}

// appendPING appends ["PING", self_hostname, shared_key_salt,
// hex(sha512(salt+self_hostname+nonce+shared_key)), username,
// hex(sha512(user_salt+username+password))], every field a str.
func appendPING(dst []byte, auth Auth, sharedKeySalt string, nonce, userSalt []byte) []byte {
	dst = msgp.AppendArrayHeader(dst, 6)
	dst = msgp.AppendString(dst, "PING")
	dst = msgp.AppendString(dst, auth.SelfHostname)
	dst = msgp.AppendString(dst, sharedKeySalt)
	dst = msgp.AppendString(dst, digest(sharedKeySalt, auth.SelfHostname, string(nonce), auth.SharedKey))
	if auth.Username == "" {
		dst = msgp.AppendString(dst, "")
		return msgp.AppendString(dst, "")
	}
	dst = msgp.AppendString(dst, auth.Username)
	return msgp.AppendString(dst, digest(string(userSalt), auth.Username, auth.Password))
}

// checkPONG reads ["PONG", ok, reason, receiver_hostname, digest] and
// checks that the receiver accepted the client and knows the shared key.
func checkPONG(msg []byte, auth Auth, sharedKeySalt string, nonce []byte) error {
	rest, err := expectArray(msg, "PONG", 5)
	if err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	ok, rest, err := msgp.ReadBoolBytes(rest)
	if err != nil {
		return fmt.Errorf("handshake: malformed PONG: %w", err)
	}
	reason, rest, err := readBytes(rest)
	if err != nil {
		return fmt.Errorf("handshake: malformed PONG: %w", err)
	}
	if !ok {
		return fmt.Errorf("handshake: the receiver refused: %q", reason)
	}
	hostname, rest, err := readBytes(rest)
	if err != nil {
		return fmt.Errorf("handshake: malformed PONG: %w", err)
	}
	got, _, err := readBytes(rest)
	if err != nil {
		return fmt.Errorf("handshake: malformed PONG: %w", err)
	}
	// With equal names the receiver's proof would equal the client's PING
	// digest, which anyone on the path could echo back.
	if string(hostname) == auth.SelfHostname {
		return fmt.Errorf("handshake: the receiver calls itself %q, as this client does: give welf another Forward_Self_Hostname", hostname)
	}
	want := digest(sharedKeySalt, string(hostname), string(nonce), auth.SharedKey)
	if subtle.ConstantTimeCompare(got, []byte(want)) != 1 {
		return errors.New("handshake: the receiver does not prove that it knows the shared key (PONG digest mismatch)")
	}
	return nil
}

// expectArray reads the header of [name, ...] with n elements and the name.
func expectArray(msg []byte, name string, n uint32) ([]byte, error) {
	size, rest, err := msgp.ReadArrayHeaderBytes(msg)
	if err != nil {
		return nil, fmt.Errorf("expected %s, got a message that is not an array: %w", name, err)
	}
	got, rest, err := readBytes(rest)
	if err != nil {
		return nil, fmt.Errorf("malformed %s: %w", name, err)
	}
	if string(got) != name {
		return nil, fmt.Errorf("expected %s, got %q", name, got)
	}
	if size != n {
		return nil, fmt.Errorf("malformed %s: %d elements, want %d", name, size, n)
	}
	return rest, nil
}

// readBytes reads a str or bin without copying.
func readBytes(b []byte) ([]byte, []byte, error) {
	if msgp.NextType(b) == msgp.BinType {
		return msgp.ReadBytesZC(b)
	}
	return msgp.ReadStringZC(b)
}

// digest is the lowercase hex SHA-512 of the concatenated parts.
func digest(parts ...string) string {
	h := sha512.New()
	for _, p := range parts {
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}
