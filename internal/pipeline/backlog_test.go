package pipeline

import (
	"errors"
	"slices"
	"testing"

	"github.com/welfbridge/welfbridge/internal/sink"
)

// recordingSink keeps the lines it is sent, or refuses them with err.
type recordingSink struct {
	err   error
	lines []string
}

func (s *recordingSink) Send(recs []sink.Record) error {
	if s.err != nil {
		return s.err
	}
	for _, r := range recs {
		s.lines = append(s.lines, string(r.Line))
	}
	return nil
}

func (s *recordingSink) Close() error { return nil }

// TestBacklog checks that the backlog owns copies of the lines it keeps
// (the worker reuses its buffer for the next chunk), sends them in order
// once the destination takes them, and counts what is dropped.
func TestBacklog(t *testing.T) {
	var b backlog
	buf := []byte("onetwothree")
	batch := []sink.Record{{Severity: 6, Line: buf[0:3]}, {Severity: 4, Line: buf[3:6]}}
	if !b.keep(batch) {
		t.Error("first keep: the backlog was empty")
	}
	copy(buf, "XXXXXXXXXXX") // the worker's next chunk
	if b.keep([]sink.Record{{Line: []byte("three")}}) {
		t.Error("second keep: the backlog was not empty")
	}

	refusing := &recordingSink{err: errors.New("down")}
	if n, empty := b.send(refusing); n != 0 || empty {
		t.Errorf("send to a refusing sink = %d, %v; want 0, false", n, empty)
	}
	s := &recordingSink{}
	if n, empty := b.send(s); n != 3 || !empty {
		t.Errorf("send = %d, %v; want 3, true", n, empty)
	}
	if got, want := s.lines, []string{"one", "two", "three"}; !slices.Equal(got, want) {
		t.Errorf("lines sent = %q, want %q", got, want)
	}
	if n, empty := b.send(s); n != 0 || !empty {
		t.Errorf("send of an empty backlog = %d, %v; want 0, true", n, empty)
	}

	b.keep([]sink.Record{{Line: []byte("four")}, {Line: []byte("five")}})
	if n := b.drop(); n != 2 {
		t.Errorf("drop = %d, want 2", n)
	}
	if n, empty := b.send(s); n != 0 || !empty {
		t.Errorf("send after drop = %d, %v; want 0, true", n, empty)
	}
}
