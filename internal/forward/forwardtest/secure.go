package forwardtest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/tinylib/msgp/msgp"
)

// Secure makes a Receiver require the secure-forward handshake, as Fluent
// Bit's in_forward does with shared_key (or empty_shared_key) set: a HELO
// whose nonce and user salt are 16 random bytes sent as msgpack str, a PING
// whose six fields must all be str, the connection closed without a PONG
// when the shared key does not match, and a PONG with false and
// "username/password mismatch" when Users has entries and none matches.
//
// The receiver's side is written here independently of the client's, from
// the protocol specification, so that the two check each other.
type Secure struct {
	SharedKey    string
	SelfHostname string            // the receiver's name in PONG; empty means "localhost", in_forward's default
	Users        map[string]string // security.users: name → password
	// AcceptAnyPING lets every client in without checking its digest, and
	// answers with a PONG digest made from SharedKey: an impostor that does
	// not know the client's shared key, for testing that the client checks
	// the PONG.
	AcceptAnyPING bool
}

// handshakeTimeout bounds each step of the receiver's handshake.
const handshakeTimeout = 5 * time.Second

// errRefused marks a handshake the receiver ended on purpose.
var errRefused = errors.New("refused")

// secureHandshake runs the receiver's side of the handshake on a new
// connection. A client that fails it is refused with an error wrapping
// errRefused; one that breaks the protocol gets another error.
func (r *Receiver) secureHandshake(stream net.Conn, reader *msgp.Reader) error {
	s := r.opts.Secure
	var nonce, userSalt [16]byte
	rand.Read(nonce[:])
	rand.Read(userSalt[:])
	helo := msgp.AppendArrayHeader(nil, 2)
	helo = msgp.AppendString(helo, "HELO")
	helo = msgp.AppendMapHeader(helo, 2)
	helo = msgp.AppendString(helo, "nonce")
	helo = msgp.AppendStringFromBytes(helo, nonce[:])
	helo = msgp.AppendString(helo, "auth")
	helo = msgp.AppendStringFromBytes(helo, userSalt[:])
	if err := stream.SetDeadline(time.Now().Add(handshakeTimeout)); err != nil {
		return err
	}
	if _, err := stream.Write(helo); err != nil {
		return fmt.Errorf("send HELO: %w", err)
	}
	var buf bytes.Buffer
	if _, err := reader.CopyNext(&buf); err != nil {
		return fmt.Errorf("read PING: %w", err)
	}
	ping, err := pingFields(buf.Bytes())
	if err != nil {
		return err
	}
	hostname, salt, keyDigest, user, userDigest := ping[1], ping[2], ping[3], ping[4], ping[5]
	if !s.AcceptAnyPING && keyDigest != hexSHA512(salt, hostname, string(nonce[:]), s.SharedKey) {
		return fmt.Errorf("%w: shared_key mismatch", errRefused) // in_forward closes without a PONG
	}
	selfHostname := s.SelfHostname
	if selfHostname == "" {
		selfHostname = "localhost"
	}
	pong := msgp.AppendArrayHeader(nil, 5)
	pong = msgp.AppendString(pong, "PONG")
	userOK := len(s.Users) == 0 || s.AcceptAnyPING
	if password, ok := s.Users[user]; ok && userDigest == hexSHA512(string(userSalt[:]), user, password) {
		userOK = true
	}
	if userOK {
		pong = msgp.AppendBool(pong, true)
		pong = msgp.AppendString(pong, "")
		pong = msgp.AppendString(pong, selfHostname)
		pong = msgp.AppendString(pong, hexSHA512(salt, selfHostname, string(nonce[:]), s.SharedKey))
	} else {
		pong = msgp.AppendBool(pong, false)
		pong = msgp.AppendString(pong, "username/password mismatch")
		pong = msgp.AppendString(pong, "")
		pong = msgp.AppendString(pong, "")
	}
	if _, err := stream.Write(pong); err != nil {
		return fmt.Errorf("send PONG: %w", err)
	}
	if !userOK {
		return fmt.Errorf("%w: user %q: username/password mismatch", errRefused, user)
	}
	return stream.SetDeadline(time.Time{})
}

// pingFields checks that msg is ["PING", hostname, shared_key_salt,
// shared_key_digest, username, password_digest], all str, and returns them.
func pingFields(msg []byte) ([6]string, error) {
	var f [6]string
	size, rest, err := msgp.ReadArrayHeaderBytes(msg)
	if err != nil {
		return f, fmt.Errorf("PING: %w", err)
	}
	if size != 6 {
		return f, fmt.Errorf("PING: array of %d elements, want 6", size)
	}
	for i := range f {
		if t := msgp.NextType(rest); t != msgp.StrType {
			return f, fmt.Errorf("PING: field %d is %v, in_forward wants str", i, t)
		}
		if f[i], rest, err = msgp.ReadStringBytes(rest); err != nil {
			return f, fmt.Errorf("PING: field %d: %w", i, err)
		}
	}
	if f[0] != "PING" {
		return f, fmt.Errorf("expected PING, got %q", f[0])
	}
	return f, nil
}

func hexSHA512(parts ...string) string {
	h := sha512.New()
	for _, p := range parts {
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}
