package airlockjoin

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to Load as a state file: Load must not
// panic nor use more memory than the caps allow, and whatever it restores
// must be emitted, survive another Save and Load, and add up. If body is
// set, data is framed as a state file's body with a right checksum, so
// that mutations reach the sections behind it.
func FuzzLoad(f *testing.F) {
	valid := validState(f)
	f.Add(valid, false)
	f.Add(valid[:len(valid)/2], false)
	f.Add([]byte{}, false)
	f.Add([]byte("WBJOIN\x02"), false)
	f.Add(valid[stateHeader+2:len(valid)-crcLen], true) // the body: its length takes 2 bytes
	f.Add([]byte("\x00\x00\x00"), true)
	cfg := Config{MaxPending: 100, MaxPendingBytes: 1 << 20}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, body bool) {
		if body {
			data = stateFile(data)
		}
		path := filepath.Join(dir, "state")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		j := newJoiner(t, cfg)
		n, err := j.Load(path)
		if err != nil {
			if n != 0 {
				t.Fatalf("Load = %d, %v: restored something and failed", n, err)
			}
			if requests, sessions, _ := j.Pending(); requests+sessions != 0 {
				t.Fatalf("failed Load left %d requests, %d sessions", requests, sessions)
			}
			return
		}
		requests, sessions, bytes := j.Pending()
		if requests > cfg.MaxPending || sessions > cfg.MaxPending || bytes > cfg.MaxPendingBytes {
			t.Fatalf("after Load: %d requests, %d sessions, %d bytes", requests, sessions, bytes)
		}

		// What was restored saves and restores again the same: both give
		// the same outputs, and the counters add up.
		c := newCollector()
		j.Tick(c.emit) // emits what Load evicted: a snapshot is refused while it waits
		requests, sessions, _ = j.Pending()
		snapshot, err := j.snapshot()
		if err != nil {
			t.Fatal(err)
		}
		k := newJoiner(t, cfg)
		if m, err := k.restore(snapshot); err != nil || m != requests+sessions {
			t.Fatalf("restoring the saved state = %d, %v; want %d, nil", m, err, requests+sessions)
		}
		fromK := newCollector()
		j.Drain(c.emit)
		k.Drain(fromK.emit)
		fromJ := c.take()
		diffLines(t, "drained", fromK.take(), fromJ[len(fromJ)-requests-sessions:])
		for _, x := range []*Joiner{j, k} {
			if err := x.Counters().Check(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
