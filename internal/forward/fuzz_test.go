package forward

import (
	"bytes"
	"testing"

	"github.com/tinylib/msgp/msgp"
)

// FuzzAckedChunk feeds arbitrary replies, as a hostile receiver could send
// them, to the ack parser: it must return an id or an error, never panic,
// and an id must be bytes of the reply (a string value, in whatever msgpack
// string encoding: an empty str32 is valid msgpack too).
func FuzzAckedChunk(f *testing.F) {
	f.Add([]byte("\x81\xa3ack\xa2id"))
	f.Add([]byte("\x82\xa1x\x01\xa3ack\xa2id"))
	f.Add([]byte("\x81\xa3ack\xc4\x02id"))
	f.Add([]byte("\x91\x01"))
	f.Add([]byte("\xdf\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, reply []byte) {
		id, err := ackedChunk(reply)
		if err != nil {
			return
		}
		if !bytes.Contains(reply, id) || len(id) >= len(reply) {
			t.Errorf("id %q is not a string inside reply %x", id, reply)
		}
	})
}

// FuzzHandshake feeds arbitrary HELO and PONG messages, as a hostile
// receiver could send them, to the handshake parsers: they must return a
// result or an error, never panic; a nonce must be bytes of the HELO; and a
// PONG is accepted only with the digest of the shared key.
func FuzzHandshake(f *testing.F) {
	auth := Auth{SharedKey: "k", SelfHostname: "client"}
	const salt = "00112233445566778899aabbccddeeff"
	nonce := []byte("0123456789abcdef")
	helo := []byte("\x92\xa4HELO\x82\xa5nonce\xb00123456789abcdef\xa4auth\xa0")
	validPONG := []byte("\x95\xa4PONG\xc3\xa0\xa6server\xd9\x80" + digest(salt, "server", string(nonce), "k"))
	f.Add(helo, validPONG)
	f.Add([]byte("\x92\xa4HELO\x83\xa5nonce\xc4\x10"+string(nonce)+"\xa4auth\xc4\x00\xa9keepalive\xc3"), []byte("\x95\xa4PONG\xc2\xbausername/password mismatch\xa0\xa0"))
	f.Add([]byte("\x92\xa4HELO\xdf\xff\xff\xff\xff"), []byte("\x95\xa4PONG\xc3\xa0\xa6client\xa0"))
	f.Fuzz(func(t *testing.T, helo, pong []byte) {
		if n, _, err := parseHELO(helo); err == nil && !bytes.Contains(helo, n) {
			t.Errorf("nonce %q is not inside HELO %x", n, helo)
		}
		err := checkPONG(pong, auth, salt, nonce)
		if err != nil && bytes.Equal(pong, validPONG) {
			t.Errorf("valid PONG refused: %v", err)
		}
		if err == nil && !bytes.Contains(pong, []byte(digest(salt, string(extractHost(pong)), string(nonce), "k"))) {
			t.Errorf("PONG %x accepted without the shared key's digest", pong)
		}
	})
}

// extractHost returns the hostname of a well-formed PONG.
func extractHost(pong []byte) []byte {
	rest, _ := expectArray(pong, "PONG", 5)
	_, rest, _ = msgp.ReadBoolBytes(rest)
	_, rest, _ = readBytes(rest)
	host, _, _ := readBytes(rest)
	return host
}
