package correlate

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// item is a pending value for tests: a name to tell versions apart and the
// size it claims.
type item struct {
	name string
	size int
}

func (v *item) Size() int { return v.size }

// base is the record time tests count seconds from.
var base = time.Date(2023, 12, 6, 15, 19, 35, 0, time.UTC)

func at(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }

// evictLog records evictions as key/name/reason.
type evictLog []string

func (l *evictLog) evict(key string, v *item, why Reason) {
	*l = append(*l, key+"/"+v.name+"/"+why.String())
}

func newTable(t testing.TB, cfg Config, log *evictLog) *Table[*item] {
	t.Helper()
	tb, err := NewTable(cfg, log.evict)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// dump lists the pending entries oldest first as key=name@seconds.
func dump(tb *Table[*item]) string {
	var b strings.Builder
	tb.Range(func(key string, v *item, updated time.Time) bool {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%s@%d", key, v.name, int(updated.Sub(base)/time.Second))
		return true
	})
	return b.String()
}

// step is one operation on a table. Results of get, delete and update are
// rendered as the value's name, "-" for absent, or "true"/"false".
type step struct {
	op   string // put, get, update, delete, advance, drain
	key  string
	name string // put: the new value's name; update: the name to set in place
	size int    // put, update: the value's size
	at   int    // put, update, advance: seconds after base
	want string // get, delete, update: the expected result
}

func TestTable(t *testing.T) {
	small := Config{Timeout: 10 * time.Second, MaxEntries: 100, MaxBytes: 1 << 20}
	tests := []struct {
		name      string
		cfg       Config
		steps     []step
		wantDump  string
		wantBytes int64
		wantEvict []string
	}{
		{
			name: "put and get",
			cfg:  small,
			steps: []step{
				{op: "put", key: "a", name: "a1", size: 10, at: 0},
				{op: "put", key: "b", name: "b1", size: 20, at: 1},
				{op: "get", key: "a", want: "a1"},
				{op: "get", key: "b", want: "b1"},
				{op: "get", key: "c", want: "-"},
			},
			wantDump:  "a=a1@0 b=b1@1",
			wantBytes: 105 + 10 + 105 + 20,
		},
		{
			name: "put replaces without evicting and moves to newest",
			cfg:  small,
			steps: []step{
				{op: "put", key: "a", name: "a1", size: 10, at: 0},
				{op: "put", key: "b", name: "b1", size: 20, at: 1},
				{op: "put", key: "a", name: "a2", size: 30, at: 2},
				{op: "get", key: "a", want: "a2"},
			},
			wantDump:  "b=b1@1 a=a2@2",
			wantBytes: 105 + 20 + 105 + 30,
		},
		{
			name: "update recounts size and moves to newest",
			cfg:  small,
			steps: []step{
				{op: "put", key: "a", name: "a1", size: 10, at: 0},
				{op: "put", key: "b", name: "b1", size: 20, at: 1},
				{op: "update", key: "a", name: "a2", size: 50, at: 5, want: "true"},
				{op: "update", key: "c", name: "c2", size: 50, at: 6, want: "false"},
			},
			wantDump:  "b=b1@1 a=a2@5",
			wantBytes: 105 + 20 + 105 + 50,
		},
		{
			name: "update of the newest entry keeps order",
			cfg:  small,
			steps: []step{
				{op: "put", key: "a", name: "a1", size: 10, at: 0},
				{op: "put", key: "b", name: "b1", size: 20, at: 1},
				{op: "update", key: "b", name: "b2", size: 5, at: 2, want: "true"},
			},
			wantDump:  "a=a1@0 b=b2@2",
			wantBytes: 105 + 10 + 105 + 5,
		},
		{
			name: "delete removes without evicting",
			cfg:  small,
			steps: []step{
				{op: "put", key: "a", name: "a1", size: 10, at: 0},
				{op: "put", key: "b", name: "b1", size: 20, at: 1},
				{op: "put", key: "c", name: "c1", size: 30, at: 2},
				{op: "delete", key: "b", want: "b1"},
				{op: "delete", key: "b", want: "-"},
				{op: "get", key: "b", want: "-"},
				{op: "drain"},
			},
			wantDump:  "",
			wantBytes: 0,
			wantEvict: []string{"a/a1/shutdown", "c/c1/shutdown"},
		},
		{
			name: "timeout evicts idle entries oldest first",
			cfg:  small,
			steps: []step{
				{op: "put", key: "a", name: "a1", at: 0},
				{op: "put", key: "b", name: "b1", at: 3},
				{op: "put", key: "c", name: "c1", at: 6},
				{op: "put", key: "d", name: "d1", at: 7},
				{op: "advance", at: 13}, // a idle 13s, b 10s: only a is idle longer than 10s
				{op: "advance", at: 17}, // b idle 14s, c 11s
			},
			wantDump:  "d=d1@7",
			wantBytes: 105,
			wantEvict: []string{"a/a1/timeout", "b/b1/timeout", "c/c1/timeout"},
		},
		{
			name: "update restarts the timeout",
			cfg:  small,
			steps: []step{
				{op: "put", key: "a", name: "a1", at: 0},
				{op: "put", key: "b", name: "b1", at: 1},
				{op: "update", key: "a", name: "a2", at: 5, want: "true"},
				{op: "advance", at: 12},
			},
			wantDump:  "a=a2@5",
			wantBytes: 105,
			wantEvict: []string{"b/b1/timeout"},
		},
		{
			name: "time never goes backwards",
			cfg:  small,
			steps: []step{
				{op: "put", key: "a", name: "a1", at: 10},
				{op: "put", key: "b", name: "b1", at: 5},
				{op: "advance", at: 0},
				{op: "put", key: "c", name: "c1", at: 2},
				{op: "advance", at: 20}, // 10s idle for all: none evicted
			},
			wantDump:  "a=a1@10 b=b1@10 c=c1@10",
			wantBytes: 3 * 105,
		},
		{
			name: "pressure by entries evicts the oldest",
			cfg:  Config{Timeout: time.Hour, MaxEntries: 3, MaxBytes: 1 << 20},
			steps: []step{
				{op: "put", key: "a", name: "a1", at: 0},
				{op: "put", key: "b", name: "b1", at: 1},
				{op: "put", key: "c", name: "c1", at: 2},
				{op: "put", key: "a", name: "a2", at: 3}, // replacing adds no entry
				{op: "put", key: "d", name: "d1", at: 4},
				{op: "put", key: "e", name: "e1", at: 5},
			},
			wantDump:  "a=a2@3 d=d1@4 e=e1@5",
			wantBytes: 3 * 105,
			wantEvict: []string{"b/b1/pressure", "c/c1/pressure"},
		},
		{
			name: "pressure by bytes evicts as many as needed",
			cfg:  Config{Timeout: time.Hour, MaxEntries: 100, MaxBytes: 500},
			steps: []step{
				{op: "put", key: "a", name: "a1", size: 50, at: 0},  // 155
				{op: "put", key: "b", name: "b1", size: 50, at: 1},  // 310
				{op: "put", key: "c", name: "c1", size: 150, at: 2}, // 565: a goes
				{op: "put", key: "d", name: "d1", size: 300, at: 3}, // 815: b and c go
			},
			wantDump:  "d=d1@3",
			wantBytes: 405,
			wantEvict: []string{"a/a1/pressure", "b/b1/pressure", "c/c1/pressure"},
		},
		{
			name: "update that grows an entry evicts for pressure",
			cfg:  Config{Timeout: time.Hour, MaxEntries: 100, MaxBytes: 500},
			steps: []step{
				{op: "put", key: "a", name: "a1", size: 50, at: 0},
				{op: "put", key: "b", name: "b1", size: 50, at: 1},
				{op: "update", key: "b", name: "b2", size: 300, at: 2, want: "true"}, // 560: a goes
			},
			wantDump:  "b=b2@2",
			wantBytes: 405,
			wantEvict: []string{"a/a1/pressure"},
		},
		{
			name: "an entry larger than max bytes alone is evicted too",
			cfg:  Config{Timeout: time.Hour, MaxEntries: 100, MaxBytes: 500},
			steps: []step{
				{op: "put", key: "a", name: "a1", size: 50, at: 0},
				{op: "put", key: "big", name: "big1", size: 1000, at: 1},
				{op: "get", key: "big", want: "-"},
				{op: "put", key: "b", name: "b1", size: 50, at: 2},
			},
			wantDump:  "b=b1@2",
			wantBytes: 155,
			wantEvict: []string{"a/a1/pressure", "big/big1/pressure"},
		},
		{
			name: "negative size counts as zero",
			cfg:  small,
			steps: []step{
				{op: "put", key: "a", name: "a1", size: -1000, at: 0},
			},
			wantDump:  "a=a1@0",
			wantBytes: 105,
		},
		{
			name: "drain evicts all oldest first",
			cfg:  small,
			steps: []step{
				{op: "put", key: "c", name: "c1", at: 0},
				{op: "put", key: "a", name: "a1", at: 1},
				{op: "put", key: "b", name: "b1", at: 2},
				{op: "update", key: "c", at: 3, want: "true"},
				{op: "drain"},
				{op: "drain"},
			},
			wantDump:  "",
			wantBytes: 0,
			wantEvict: []string{"a/a1/shutdown", "b/b1/shutdown", "c/c1/shutdown"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log evictLog
			tb := newTable(t, tt.cfg, &log)
			for i, s := range tt.steps {
				var got string
				switch s.op {
				case "put":
					tb.Put([]byte(s.key), &item{name: s.name, size: s.size}, at(s.at))
				case "get":
					got = render(tb.Get([]byte(s.key)))
				case "delete":
					got = render(tb.Delete([]byte(s.key)))
				case "update":
					if v, ok := tb.Get([]byte(s.key)); ok && s.name != "" {
						v.name, v.size = s.name, s.size
					}
					got = strconv.FormatBool(tb.Update([]byte(s.key), at(s.at)))
				case "advance":
					tb.Advance(at(s.at))
				case "drain":
					tb.Drain(ReasonShutdown)
				default:
					t.Fatalf("step %d: unknown op %q", i, s.op)
				}
				if got != s.want {
					t.Errorf("step %d: %s %s = %q, want %q", i, s.op, s.key, got, s.want)
				}
			}
			if got := dump(tb); got != tt.wantDump {
				t.Errorf("entries = %q, want %q", got, tt.wantDump)
			}
			if got := tb.Bytes(); got != tt.wantBytes {
				t.Errorf("Bytes() = %d, want %d", got, tt.wantBytes)
			}
			if got, want := tb.Len(), strings.Count(tt.wantDump, "="); got != want {
				t.Errorf("Len() = %d, want %d", got, want)
			}
			if got := strings.Join(log, " "); got != strings.Join(tt.wantEvict, " ") {
				t.Errorf("evicted %q, want %q", log, tt.wantEvict)
			}
			for _, why := range []Reason{ReasonTimeout, ReasonPressure, ReasonShutdown} {
				want := uint64(0)
				for _, e := range tt.wantEvict {
					if strings.HasSuffix(e, "/"+why.String()) {
						want++
					}
				}
				if got := tb.Evicted(why); got != want {
					t.Errorf("Evicted(%v) = %d, want %d", why, got, want)
				}
			}
		})
	}
}

func render(v *item, ok bool) string {
	if !ok {
		return "-"
	}
	return v.name
}

func TestNewTableErrors(t *testing.T) {
	good := Config{Timeout: time.Second, MaxEntries: 1, MaxBytes: 1}
	tests := []struct {
		name  string
		cfg   Config
		evict func(string, *item, Reason)
		want  string
	}{
		{"zero timeout", Config{MaxEntries: 1, MaxBytes: 1}, func(string, *item, Reason) {}, "correlate: invalid config: timeout 0s is not positive"},
		{"negative entries", Config{Timeout: time.Second, MaxEntries: -1, MaxBytes: 1}, func(string, *item, Reason) {}, "correlate: invalid config: max entries -1 is not positive"},
		{"zero bytes", Config{Timeout: time.Second, MaxEntries: 1}, func(string, *item, Reason) {}, "correlate: invalid config: max bytes 0 is not positive"},
		{"nil evict", good, nil, "correlate: nil evict callback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb, err := NewTable(tt.cfg, tt.evict)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("NewTable() error = %v, want %q", err, tt.want)
			}
			if tb != nil {
				t.Errorf("NewTable() returned a table with error %v", err)
			}
		})
	}
}

func TestReasonString(t *testing.T) {
	tests := []struct {
		why  Reason
		want string
	}{
		{ReasonTimeout, "timeout"},
		{ReasonPressure, "pressure"},
		{ReasonShutdown, "shutdown"},
		{0, "Reason(0)"},
		{9, "Reason(9)"},
	}
	for _, tt := range tests {
		if got := tt.why.String(); got != tt.want {
			t.Errorf("Reason(%d).String() = %q, want %q", uint8(tt.why), got, tt.want)
		}
	}
}

// TestEvictSeesConsistentTable checks that the evicted entry is gone, and
// accounted as gone, by the time the callback runs.
func TestEvictSeesConsistentTable(t *testing.T) {
	var tb *Table[*item]
	var problems []string
	evict := func(key string, v *item, why Reason) {
		if _, ok := tb.Get([]byte(key)); ok {
			problems = append(problems, key+" still present")
		}
		var sum int64
		n := 0
		tb.Range(func(k string, v *item, _ time.Time) bool {
			sum += int64(EntryOverhead + len(k) + v.size)
			n++
			return true
		})
		if sum != tb.Bytes() || n != tb.Len() {
			problems = append(problems, fmt.Sprintf("%s: Bytes()=%d Len()=%d, entries hold %d in %d", key, tb.Bytes(), tb.Len(), sum, n))
		}
	}
	tb, err := NewTable(Config{Timeout: 10 * time.Second, MaxEntries: 2, MaxBytes: 1 << 20}, evict)
	if err != nil {
		t.Fatal(err)
	}
	tb.Put([]byte("a"), &item{size: 1}, at(0))
	tb.Put([]byte("b"), &item{size: 2}, at(1))
	tb.Put([]byte("c"), &item{size: 3}, at(2)) // pressure: a
	tb.Advance(at(12))                         // timeout: b
	tb.Drain(ReasonShutdown)                   // c
	if len(problems) > 0 {
		t.Errorf("inconsistent table during evict: %q", problems)
	}
	if tb.Evicted(ReasonPressure) != 1 || tb.Evicted(ReasonTimeout) != 1 || tb.Evicted(ReasonShutdown) != 1 {
		t.Errorf("Evicted = %d/%d/%d, want 1/1/1", tb.Evicted(ReasonTimeout), tb.Evicted(ReasonPressure), tb.Evicted(ReasonShutdown))
	}
}

func TestRangeStops(t *testing.T) {
	var log evictLog
	tb := newTable(t, Config{Timeout: time.Hour, MaxEntries: 10, MaxBytes: 1 << 20}, &log)
	for _, k := range []string{"a", "b", "c"} {
		tb.Put([]byte(k), &item{name: k}, at(0))
	}
	var seen []string
	tb.Range(func(key string, _ *item, _ time.Time) bool {
		seen = append(seen, key)
		return key != "b"
	})
	if got := strings.Join(seen, ","); got != "a,b" {
		t.Errorf("Range visited %q, want %q", got, "a,b")
	}
}

func TestExtremeTimes(t *testing.T) {
	var log evictLog
	tb := newTable(t, Config{Timeout: time.Hour, MaxEntries: 10, MaxBytes: 1 << 20}, &log)
	tb.Put([]byte("zero"), &item{name: "z"}, time.Time{})
	tb.Advance(time.Time{}) // no time seen yet: nothing can be idle
	if got := strings.Join(log, " "); got != "" {
		t.Fatalf("evicted %q at the zero time", got)
	}
	tb.Put([]byte("far"), &item{name: "f"}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	tb.Advance(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)) // saturated: same instant as far
	if got, want := strings.Join(log, " "), "zero/z/timeout"; got != want {
		t.Errorf("evicted %q, want %q", got, want)
	}
	if got := tb.Len(); got != 1 {
		t.Errorf("Len() = %d, want 1", got)
	}
}

func TestLookupsDoNotAllocate(t *testing.T) {
	var log evictLog
	tb := newTable(t, Config{Timeout: time.Hour, MaxEntries: 10, MaxBytes: 1 << 20}, &log)
	key := []byte("X4asK6znLjlW-3ZhEhrCOgAAADY")
	v := &item{name: "v"}
	tb.Put(key, v, at(0))
	missing := []byte("ZXCC9-Ko6WsU10yuyRWf7wAAAIA")
	tests := []struct {
		name string
		fn   func()
	}{
		{"Get", func() { tb.Get(key) }},
		{"Get missing", func() { tb.Get(missing) }},
		{"Update", func() { tb.Update(key, at(1)) }},
		{"Put existing", func() { tb.Put(key, v, at(2)) }},
		{"Delete missing", func() { tb.Delete(missing) }},
	}
	for _, tt := range tests {
		if got := testing.AllocsPerRun(100, tt.fn); got != 0 {
			t.Errorf("%s: %v allocations, want 0", tt.name, got)
		}
	}
}

// TestFlood puts a million keys that never complete through a table and
// checks that the caps hold after every Put and that every key comes out
// exactly once.
func TestFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("flood of a million keys")
	}
	const (
		keys       = 1_000_000
		maxEntries = 10_000
		maxBytes   = 2 << 20
	)
	var (
		counters Counters
		seen     = make([]uint8, keys)
		bad      []string
	)
	tb, err := NewTable(Config{Timeout: 5 * time.Second, MaxEntries: maxEntries, MaxBytes: maxBytes},
		func(key string, v *floodValue, why Reason) {
			seen[v.id]++
			if key != floodKey(v.id) && len(bad) < 10 {
				bad = append(bad, fmt.Sprintf("key %q evicted with value %d", key, v.id))
			}
			counters.AddPartial(why, 1)
		})
	if err != nil {
		t.Fatal(err)
	}
	now := base
	key := make([]byte, 0, 32)
	for i := range keys {
		// Mostly a steady trickle, which the caps bound; every 50,000 records
		// a 10s gap, after which everything pending times out.
		if i%50_000 == 0 {
			now = now.Add(10 * time.Second)
		} else {
			now = now.Add(time.Microsecond)
		}
		key = append(key[:0], floodKey(i)...)
		counters.In++
		tb.Advance(now)
		// Sizes from 0 to 499 bytes: sometimes the entry cap binds, sometimes
		// the byte cap.
		tb.Put(key, &floodValue{id: i, size: (i * 7919) % 500}, now)
		if tb.Len() > maxEntries || tb.Bytes() > maxBytes {
			t.Fatalf("after put %d: Len() = %d, Bytes() = %d, caps %d and %d", i, tb.Len(), tb.Bytes(), maxEntries, maxBytes)
		}
	}
	pending := uint64(tb.Len())
	tb.Drain(ReasonShutdown)

	if len(bad) > 0 {
		t.Errorf("wrong keys: %q", bad)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("key %d emitted %d times, want once", id, n)
		}
	}
	if err := counters.Check(); err != nil {
		t.Error(err)
	}
	if counters.Partial != keys {
		t.Errorf("partial = %d, want %d", counters.Partial, keys)
	}
	if counters.PartialShutdown != pending || tb.Evicted(ReasonShutdown) != pending {
		t.Errorf("partial_shutdown = %d, Evicted(shutdown) = %d, want %d", counters.PartialShutdown, tb.Evicted(ReasonShutdown), pending)
	}
	// Both other reasons must have happened, or the flood did not test them.
	if counters.PartialTimeout == 0 || counters.PartialPressure == 0 {
		t.Errorf("counters %s: want timeouts and pressure evictions", counters)
	}
	if counters.PartialTimeout != tb.Evicted(ReasonTimeout) || counters.PartialPressure != tb.Evicted(ReasonPressure) {
		t.Errorf("counters %s disagree with Evicted: timeout %d, pressure %d", counters, tb.Evicted(ReasonTimeout), tb.Evicted(ReasonPressure))
	}
	if tb.Len() != 0 || tb.Bytes() != 0 {
		t.Errorf("after Drain: Len() = %d, Bytes() = %d", tb.Len(), tb.Bytes())
	}
}

type floodValue struct{ id, size int }

func (v *floodValue) Size() int { return v.size }

func floodKey(i int) string { return fmt.Sprintf("X4asK6znLjlW-3ZhEh%09d", i) }

func TestNonNegative(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{NonNegative("timeout", -time.Second), "timeout -1s is negative"},
		{NonNegative("max entries", -1), "max entries -1 is negative"},
		{NonNegative("max bytes", int64(-2)), "max bytes -2 is negative"},
		{NonNegative("timeout", time.Duration(0)), ""},
		{NonNegative("max entries", 1), ""},
	} {
		got := ""
		if tc.err != nil {
			got = tc.err.Error()
		}
		if got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
