package replay

import "testing"

func TestEndWatch(t *testing.T) {
	files := []StagedFile{{Path: "/s/mwg/0/HTTP-1-C.txt"}, {Path: "/s/mwg/0/HTTP-1-S.txt"}}
	ended := func(path string) string {
		return "[2026/12/05 15:50:01.123] [ info] [input:tail:tail.0] inode=4711 file=" + path + " ended, stop"
	}
	w := NewEndWatch(files)
	for _, tt := range []struct {
		line string
		want bool
	}{
		{"[2026/12/05 15:50:01.000] [ info] [fluent bit] version=5.1.1", false},
		{ended("/s/mwg/0/HTTP-1-C.txt"), false},
		{ended("/s/mwg/0/HTTP-1-C.txt"), false}, // the same file again
		{ended("/s/other.txt"), false},
		{ended("/s/mwg/0/HTTP-1-S.txt"), true},
		{"[2026/12/05 15:50:01.300] [ info] [output:welf:welf.0] exit: events=2", true},
	} {
		if got := w.Observe(tt.line); got != tt.want {
			t.Errorf("after %q: %v, want %v", tt.line, got, tt.want)
		}
	}
	w = NewEndWatch(files)
	w.Observe(ended("/s/mwg/0/HTTP-1-C.txt"))
	w.Observe("[2026/12/05 15:50:01.200] [ info] [engine] service will shutdown in max 30 seconds")
	if w.Observe(ended("/s/mwg/0/HTTP-1-S.txt")) || !w.Stopping() {
		t.Error("an engine that is stopping is not to be stopped")
	}
}
