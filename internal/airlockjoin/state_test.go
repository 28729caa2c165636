package airlockjoin

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/airlock"
	"github.com/welfbridge/welfbridge/internal/correlate"
)

// restart saves j's state to a file, loads it into a new Joiner with cfg
// and returns that, checking that restored entries were restored and the
// file removed.
func restart(t *testing.T, j *Joiner, cfg Config, restored int) *Joiner {
	t.Helper()
	path := filepath.Join(t.TempDir(), "welf.state")
	if err := j.Save(path); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("state file: %v, %v; want mode 0600: pending records are log data", info, err)
	}
	next := newJoiner(t, cfg)
	n, err := next.Load(path)
	if err != nil || n != restored {
		t.Fatalf("Load = %d, %v; want %d, nil", n, err, restored)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("state file still there after Load: %v", err)
	}
	return next
}

// TestRestart: a restart between two flushes changes nothing in the
// outputs, nor in the counters.
func TestRestart(t *testing.T) {
	// Event times a second apart: nothing times out.
	first := []step{addAt("request_conntrace", 1*time.Second), addAt("blocked_summary", 2*time.Second),
		addAt("blocked_block", 3*time.Second), addAt("session_start", 4*time.Second), addAt("backend_error", 5*time.Second), tick}
	second := []step{addAt("request_summary", 6*time.Second), addAt("blocked_conntrace", 7*time.Second),
		addAt("blocked_blockdet", 8*time.Second), addAt("session_end", 9*time.Second), tick, drain}
	// Requests go out before the sessions completed in the same Tick.
	want := []string{lineRequest, lineBlocked, lineSession,
		withPartial(lineBackendAlone, "shutdown")}
	const counters = "in=9 joined=8 partial=1 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=1"
	cfg := Config{Conntrace: ConntraceOn}

	j := newJoiner(t, cfg)
	got := append(run(t, j, first...), run(t, j, second...)...)
	diffLines(t, "without restart", got, want)
	checkCounters(t, j, counters)

	j = newJoiner(t, cfg)
	got = run(t, j, first...)
	// Pending: 3 requests (conntrace, block and summary, back-end error)
	// and 1 session.
	j = restart(t, j, cfg, 4)
	got = append(got, run(t, j, second...)...)
	diffLines(t, "with restart", got, want)
	checkCounters(t, j, counters)
}

// TestRestartKeepsWhatIsLearned: completed requests not yet emitted and
// where conntraces were seen survive a restart.
func TestRestartKeepsWhatIsLearned(t *testing.T) {
	t.Run("complete request", func(t *testing.T) {
		cfg := Config{Conntrace: ConntraceOff}
		j := newJoiner(t, cfg)
		run(t, j, add("request_summary")) // no Tick before the shutdown
		j = restart(t, j, cfg, 1)
		diffLines(t, "after restart", run(t, j, tick), []string{lineRequestSummary})
		checkCounters(t, j, "in=1 joined=1 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0")
	})
	t.Run("conntrace sources", func(t *testing.T) {
		cfg := Config{Conntrace: ConntraceAuto}
		j := newJoiner(t, cfg)
		run(t, j, add("request_conntrace"), tick)
		j = restart(t, j, cfg, 1)
		// gw01 writes conntraces for mapping shop: the summary waits for
		// its own.
		diffLines(t, "after restart", run(t, j, add("blocked_summary"), tick), nil)
		// The conntrace is older than the summary: the request waits for
		// late records until the clock moves on, or a shutdown.
		diffLines(t, "conntrace", run(t, j, add("blocked_conntrace"), tick, release), []string{lineBlockedUnblocked})
	})
	t.Run("smaller caps", func(t *testing.T) {
		j := newJoiner(t, Config{})
		run(t, j, addAt("request_conntrace", time.Second), addAt("blocked_summary", 2*time.Second), addAt("backend_error", 3*time.Second), tick)
		j = restart(t, j, Config{MaxPending: 2}, 3)
		// The oldest did not fit: it waits to be emitted, so it cannot be
		// saved.
		err := j.Save(filepath.Join(t.TempDir(), "state"))
		if want := "airlockjoin: saving state: 1 evicted requests or sessions are waiting to be emitted"; err == nil || err.Error() != want {
			t.Errorf("Save = %v, want %s", err, want)
		}
		diffLines(t, "first tick", run(t, j, tick), []string{withPartial(lineRequestConntrace, "pressure")})
		diffLines(t, "drained", run(t, j, drain), []string{withPartial(lineBlockedSummary, "shutdown"), withPartial(lineBackendAlone, "shutdown")})
		checkCounters(t, j, "in=3 joined=0 partial=3 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=1 partial_shutdown=2")
	})
}

func TestLoadMissingFile(t *testing.T) {
	j := newJoiner(t, Config{})
	if n, err := j.Load(filepath.Join(t.TempDir(), "none")); n != 0 || err != nil {
		t.Errorf("Load = %d, %v; want 0, nil", n, err)
	}
}

func TestLoadNotEmpty(t *testing.T) {
	j := newJoiner(t, Config{})
	run(t, j, add("request_conntrace"))
	path := filepath.Join(t.TempDir(), "state")
	if err := j.Save(path); err != nil {
		t.Fatal(err)
	}
	n, err := j.Load(path)
	if want := "airlockjoin: loading state: requests or sessions already pending"; n != 0 || err == nil || err.Error() != want {
		t.Errorf("Load = %d, %v; want 0, %s", n, err, want)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the file is gone: %v", err)
	}
}

// validState returns a state file with two requests and a session.
func validState(t testing.TB) []byte {
	t.Helper()
	j := newJoiner(t, Config{Conntrace: ConntraceOn})
	f := &feeder{t: t}
	c := newCollector()
	for _, name := range []string{"request_conntrace", "blocked_summary", "session_start"} {
		f.add(j, c, name)
	}
	path := filepath.Join(t.TempDir(), "state")
	if err := j.Save(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stateFile frames body as a state file of version 1 with a right
// checksum.
func stateFile(body []byte) []byte {
	b := append([]byte(stateMagic), stateVersion)
	b = binary.AppendUvarint(b, uint64(len(body)))
	b = append(b, body...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
}

// section returns a snapshot of one table holding values under keys.
func section(t *testing.T, keys []string, values ...pending) []byte {
	t.Helper()
	tb, err := correlate.NewTable(correlate.Config{Timeout: time.Hour, MaxEntries: 10, MaxBytes: 1 << 20},
		func(string, pending, correlate.Reason) {})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range values {
		tb.Put([]byte(keys[i]), v, base)
	}
	var b bytes.Buffer
	if err := correlate.WriteSnapshot(&b, tb, func(dst []byte, v pending) []byte { return append(dst, v...) }); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLoadRejects(t *testing.T) {
	valid := validState(t)
	var empty airlock.Record
	component := appendComponent(nil, &empty, airlock.KindConntrace, base)
	goodRequest := newPending(component, airlock.KindConntrace, 0)

	const limit = 2*1 + maxSources*(maxSourceLen+2) + 1<<10 // with MaxPendingBytes 1
	lengthPrefixed := func(b []byte) []byte { return append(binary.AppendUvarint(nil, uint64(len(b))), b...) }
	badSession := stateFile(bytes.Join([][]byte{
		lengthPrefixed(section(t, []string{"r"}, goodRequest)),
		lengthPrefixed(section(t, []string{"s"}, pending{0, 0, 0})),
		{0},
	}, nil))

	tests := []struct {
		name string
		file []byte
		cfg  Config
		want string // after "airlockjoin: ignoring state file P (moved to P.corrupt): "
	}{
		{"empty", []byte{}, Config{}, "truncated: 0 bytes"},
		{"truncated", valid[:len(valid)-10], Config{}, "truncated: " + strconv.Itoa(len(valid)-10) + " bytes, want " + strconv.Itoa(len(valid))},
		{"trailing bytes", append(valid[:len(valid):len(valid)], '\n'), Config{}, "corrupt: 1 bytes after the checksum"},
		{"flipped bit", flip(valid, len(valid)/2), Config{}, "corrupt: checksum mismatch"},
		{"other version", withByte(valid, len(stateMagic), 2), Config{}, "unsupported version 2 (want 1)"},
		{"other file", []byte("WBSNAP\x01\x00\x00\x00\x00\x00"), Config{}, `corrupt: not a welfbridge state file (magic "WBSNAP")`},
		{"bad value", badSession, Config{},
			`sessions: correlate: snapshot entry 1 (key "s"): decoding value: malformed pending value: no component of kinds 0x60`},
		{"too large", append(valid[:stateHeader:stateHeader], make([]byte, limit)...), Config{MaxPendingBytes: 1},
			"corrupt: larger than " + strconv.Itoa(limit) + " bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state")
			if err := os.WriteFile(path, tt.file, 0o600); err != nil {
				t.Fatal(err)
			}
			j := newJoiner(t, tt.cfg)
			n, err := j.Load(path)
			want := "airlockjoin: ignoring state file " + path + " (moved to " + path + ".corrupt): " + tt.want
			if n != 0 || err == nil || err.Error() != want {
				t.Errorf("Load = %d, %v\nwant 0, %s", n, err, want)
			}
			if requests, sessions, bytes := j.Pending(); requests+sessions != 0 || bytes != 0 || len(j.sources.set) != 0 {
				t.Errorf("state after a failed Load: %d requests, %d sessions, %d bytes, %d conntrace sources", requests, sessions, bytes, len(j.sources.set))
			}
			if moved, err := os.ReadFile(path + ".corrupt"); err != nil || !bytes.Equal(moved, tt.file) {
				t.Errorf("moved file: %v", err)
			}
			if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("state file still there: %v", err)
			}
			checkCounters(t, j, "in=0 joined=0 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0")
		})
	}
}

func flip(b []byte, i int) []byte { return withByte(b, i, b[i]^0x10) }

func withByte(b []byte, i int, v byte) []byte {
	b = bytes.Clone(b)
	b[i] = v
	return b
}

func TestSaveFails(t *testing.T) {
	j := newJoiner(t, Config{})
	run(t, j, add("request_conntrace"))
	dir := filepath.Join(t.TempDir(), "missing")
	// The error names a temporary file with a random name.
	err := j.Save(filepath.Join(dir, "state"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(errText(err), "airlockjoin: saving state: open "+dir+"/.state.") {
		t.Errorf("Save = %v", err)
	}
	// The state is still there to be drained.
	diffLines(t, "drained", run(t, j, drain), []string{withPartial(lineRequestConntrace, "shutdown")})
}

// TestRestartKeepsSessionsOutOfOrder: a session end waiting for its start,
// and a session ended but held for late records, survive a restart.
func TestRestartKeepsSessionsOutOfOrder(t *testing.T) {
	cfg := Config{}
	t.Run("end waiting for its start", func(t *testing.T) {
		j := newJoiner(t, cfg)
		diffLines(t, "before restart", run(t, j, add("session_end"), tick), nil)
		j = restart(t, j, cfg, 1)
		diffLines(t, "after restart", run(t, j, add("session_start"), tick, release), []string{lineSession})
		checkCounters(t, j, "in=2 joined=2 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0")
	})
	t.Run("ended session held", func(t *testing.T) {
		j := newJoiner(t, cfg)
		// The start comes a flush late: the session waits for late records.
		diffLines(t, "before restart", run(t, j, add("session_end"), tick, add("session_start"), tick), nil)
		j = restart(t, j, cfg, 1)
		diffLines(t, "after restart", run(t, j, tick), []string{lineSession})
		checkCounters(t, j, "in=2 joined=2 partial=0 duplicate=0 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0")
	})
}
