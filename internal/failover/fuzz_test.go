package failover

import (
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/sink"
)

// script hands out the bytes that decide how the fake receivers fail; once
// it is used up, they all work.
type script struct{ b []byte }

func (s *script) next() (byte, bool) {
	if len(s.b) == 0 {
		return 0, false
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c, true
}

// fakeCarrier is a receiver with acknowledgements that fails as the script
// says: it keeps every record it got whole, acknowledges a prefix of them,
// and leaves the rest in doubt.
type fakeCarrier struct {
	s       *script
	got     []int // indexes of the records it holds, in arrival order
	inDoubt int
}

func (c *fakeCarrier) Send(recs []sink.Record) error {
	c.inDoubt = 0
	fail, ok := c.s.next()
	if !ok || fail%3 != 0 {
		c.keep(recs)
		return nil
	}
	a, _ := c.s.next()
	b, _ := c.s.next()
	sent := int(a) % len(recs) // a failure delivers less than everything
	doubt := int(b) % (len(recs) - sent + 1)
	c.keep(recs[:sent+doubt])
	c.inDoubt = doubt
	err := errors.New("scripted failure")
	if sent > 0 {
		return &sink.PartialError{Sent: sent, Err: err}
	}
	return err
}

func (c *fakeCarrier) keep(recs []sink.Record) {
	for _, r := range recs {
		i, _ := strconv.Atoi(string(r.Line))
		c.got = append(c.got, i)
	}
}

func (c *fakeCarrier) Connect() error { return nil }
func (c *fakeCarrier) Close() error   { return nil }
func (c *fakeCarrier) InDoubt() int   { return c.inDoubt }

// FuzzPool checks the promise of a Pool over receivers that fail in every
// way a carrier with acknowledgements can, driven like the delivery engine
// drives it (a failed Send is retried from its first record not
// delivered): every record is delivered, the delivered counts add up, each
// receiver gets records in order (a record it holds may come again), and
// the records held more than once are no more than the possible duplicates
// counted.
func FuzzPool(f *testing.F) {
	f.Add(byte(2), byte(0), byte(20), []byte{0, 3, 2, 0, 1, 5, 1, 0, 0, 0})
	f.Add(byte(3), byte(1), byte(40), []byte{0, 0, 9, 0, 4, 4, 0, 1, 1, 3, 0, 0, 0, 7, 7})
	f.Add(byte(1), byte(0), byte(5), []byte{0, 2, 2, 0, 0, 1, 1})
	f.Fuzz(func(t *testing.T, receivers, policy, records byte, failures []byte) {
		nrecv := int(receivers)%4 + 1
		n := int(records)%64 + 1
		s := &script{b: failures}
		var rs []Receiver
		var carriers []*fakeCarrier
		for i := range nrecv {
			c := &fakeCarrier{s: s}
			carriers = append(carriers, c)
			rs = append(rs, Receiver{Name: fmt.Sprintf("r%d", i), Carrier: c})
		}
		// No probes during the test: down receivers are tried only when
		// every one is down, so the script alone decides.
		p, err := New(rs, Options{Policy: Policy(policy % 2), ProbeMin: time.Hour, FailbackInterval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()

		recs := make([]sink.Record, n)
		for i := range recs {
			recs[i].Line = []byte(strconv.Itoa(i))
		}
		pending := recs
		for tries := 0; len(pending) > 0; tries++ {
			if tries > len(failures)+n/16+1 { // each failure takes a byte of the script
				t.Fatalf("%d records still pending after %d tries", len(pending), tries)
			}
			err := p.Send(pending[:min(len(pending), 16)])
			sent := min(len(pending), 16)
			if err != nil {
				sent = 0
				var pe *sink.PartialError
				if errors.As(err, &pe) {
					sent = pe.Sent
				}
			}
			pending = pending[sent:]
		}

		st := p.Stats()
		var delivered uint64
		for _, r := range st.Receivers {
			delivered += r.Sent
		}
		if delivered != uint64(n) {
			t.Errorf("delivered %d of %d: %s", delivered, n, st)
		}
		copies := make([]int, n)
		held := 0
		for k, c := range carriers {
			seen := make(map[int]bool)
			last := -1
			for _, i := range c.got {
				copies[i]++
				held++
				if seen[i] {
					continue // held again: resent after a failure
				}
				seen[i] = true
				if i < last {
					t.Errorf("receiver %d: record %d after %d: %v", k, i, last, c.got)
				}
				last = i
			}
		}
		for i, c := range copies {
			if c == 0 {
				t.Errorf("record %d lost", i)
			}
		}
		if dup := uint64(held - n); dup > st.PossibleDuplicates {
			t.Errorf("%d records held more than once, %d possible duplicates counted: %s", dup, st.PossibleDuplicates, st)
		}
	})
}
