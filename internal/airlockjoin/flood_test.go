package airlockjoin

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/welfbridge/welfbridge/internal/airlock"
)

// TestFlood: a million requests that never complete, with tight caps. The
// caps hold after every record, every request is emitted exactly once,
// and the counters add up.
func TestFlood(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	const maxPending, maxBytes = 10_000, 4 << 20
	j := newJoiner(t, Config{MaxPending: maxPending, MaxPendingBytes: maxBytes, Conntrace: ConntraceOn})

	seen := make([]uint8, n)
	outputs := map[string]int{}
	bad := 0
	emit := func(o *Output) {
		id := string(o.Rec.Get(airlock.FieldReqID))
		i, err := strconv.Atoi(id[len(id)-7:])
		if err != nil || i >= n || o.Records != 1 || (o.Partial != "pressure" && o.Partial != "shutdown") {
			if bad++; bad <= 5 {
				t.Errorf("unexpected output: req_id %q, partial %q, records %d", id, o.Partial, o.Records)
			}
			return
		}
		seen[i]++
		outputs[o.Partial]++
	}

	var rec airlock.Record
	fields := conntraceFields("")
	id := []byte("X4asK6znLjlW-3ZhEhrC0000000")
	for i := range n {
		copy(id[len(id)-7:], fmt.Appendf(nil, "%07d", i))
		rec.Reset()
		for k := 0; k < len(fields); k += 2 {
			v := []byte(fields[k+1])
			if fields[k] == "req_id" {
				v = id
			}
			rec.Set([]byte(fields[k]), v)
		}
		j.Add(&rec, base, emit)
		if requests, _, bytes := j.Pending(); requests > maxPending || bytes > maxBytes {
			t.Fatalf("after record %d: %d requests, %d bytes pending; caps %d, %d", i, requests, bytes, maxPending, maxBytes)
		}
	}
	requests, _, bytes := j.Pending()
	t.Logf("pending at the end: %d requests, %d bytes (%d bytes/request)", requests, bytes, bytes/int64(requests))
	j.Drain(emit)

	for i, s := range seen {
		if s != 1 {
			t.Fatalf("request %d emitted %d times", i, s)
		}
	}
	if outputs["pressure"]+outputs["shutdown"] != n || outputs["shutdown"] != requests {
		t.Errorf("outputs %v, want %d in all and %d at shutdown", outputs, n, requests)
	}
	c := j.Counters()
	if c.In != uint64(n) || c.PartialPressure != uint64(n-requests) || c.PartialShutdown != uint64(requests) {
		t.Errorf("counters %s", c)
	}
	if err := c.Check(); err != nil {
		t.Error(err)
	}
}
