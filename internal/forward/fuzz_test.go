package forward

import (
	"bytes"
	"testing"
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
