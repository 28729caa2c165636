package correlate

import (
	"strconv"
	"strings"
	"testing"
)

func TestRecent(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		add      string // keys added, in order, comma-separated
		want     string // keys remembered, sorted by name
	}{
		{"empty", 3, "", ""},
		{"under capacity", 3, "a,b", "a,b"},
		{"exactly full", 3, "a,b,c", "a,b,c"},
		{"one past full forgets the oldest", 3, "a,b,c,d", "b,c,d"},
		{"wraps around the ring", 3, "a,b,c,d,e,f,g", "e,f,g"},
		{"wraps exactly twice", 3, "a,b,c,d,e,f", "d,e,f"},
		{"re-adding does not refresh", 3, "a,b,c,a,d", "b,c,d"},
		{"re-adding takes no slot", 3, "a,a,a,b,c", "a,b,c"},
		{"capacity one", 1, "a,b,c", "c"},
		{"capacity zero remembers nothing", 0, "a,b", ""},
		{"negative capacity remembers nothing", -5, "a,b", ""},
	}
	universe := strings.Split("a,b,c,d,e,f,g", ",")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRecent(tt.capacity)
			if tt.add != "" {
				for _, k := range strings.Split(tt.add, ",") {
					r.Add([]byte(k))
				}
			}
			var got []string
			for _, k := range universe {
				if r.Contains([]byte(k)) {
					got = append(got, k)
				}
			}
			if g := strings.Join(got, ","); g != tt.want {
				t.Errorf("remembered %q, want %q", g, tt.want)
			}
			if want := len(got); len(r.set) != want {
				t.Errorf("%d keys remembered, want %d", len(r.set), want)
			}
		})
	}
}

func TestRecentBounded(t *testing.T) {
	const capacity = 1000
	r := NewRecent(capacity)
	for i := range 100_000 {
		r.Add([]byte(strconv.Itoa(i)))
		if len(r.set) > capacity {
			t.Fatalf("after %d adds: %d keys remembered, capacity %d", i+1, len(r.set), capacity)
		}
	}
	if len(r.set) != capacity {
		t.Errorf("%d keys remembered, want %d", len(r.set), capacity)
	}
	for _, tt := range []struct {
		key  int
		want bool
	}{{98_999, false}, {99_000, true}, {99_999, true}, {0, false}} {
		if got := r.Contains([]byte(strconv.Itoa(tt.key))); got != tt.want {
			t.Errorf("Contains(%d) = %v, want %v", tt.key, got, tt.want)
		}
	}
	key := []byte("99999")
	if n := testing.AllocsPerRun(100, func() { r.Contains(key); r.Add(key) }); n != 0 {
		t.Errorf("Contains and Add of a remembered key: %v allocations, want 0", n)
	}
}
