package mwgjoin

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/mwg"
)

func TestIdleTimeoutRecordTime(t *testing.T) {
	f := newFeeder(t, recordTime())
	f.feed(traceRecords(t, false, "HTTP-1a2b3c-C.txt", "HTTP-1a2b3c-S.txt")) // event times t0 … t0+36s
	f.j.Tick(f.c.emit)
	if got := f.c.take(); got != "" {
		t.Fatalf("Tick 36s after the connection's start flushed:\n%s", got)
	}

	// Another connection's record moves record time on: the first
	// connection has now been idle for longer than 60s.
	f.add(traceDir+"HTTP-1a2b40-C.txt", 0, []byte(">>>"), t0.Add(97*time.Second))
	if got := f.c.take(); got != "" {
		t.Fatalf("Add flushed before Tick:\n%s", got)
	}
	f.j.Tick(f.c.emit)
	want := joinLines(
		`id=firewall time="2024-03-05 09:00:22" fw=mwg01 pri=6 proto=http dstport=80 dstname=www.example.com op=GET arg=http://www.example.com/index.html result=407 sent=165 rcvd=87 agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64)" conn=1a2b3c view=client`,
		`id=firewall time="2024-03-05 09:00:36" fw=mwg01 pri=4 proto=http dstport=80 dstname=www.example.com op=GET arg=http://www.example.com/index.html result=200 sent=153 rcvd=147 msg="incomplete (idle): response body 35 of 45 bytes" agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64)" conn=1a2b3c upstream_sent=140 upstream_rcvd=95 partial=timeout`,
	)
	if got := f.c.take(); got != want {
		t.Errorf("Tick after the idle timeout, got:\n%s\nwant:\n%s", got, want)
	}
	cs := f.j.Counters()
	if cs.ConnsOpen != 1 || cs.ConnsTimeout != 1 || cs.PartialTimeout != 1 || cs.Joined != 1 || cs.ClientOnly != 1 {
		t.Errorf("counters: %s", cs)
	}
	if got := f.drain(); got != "" {
		t.Errorf("Drain of a connection without transactions emitted:\n%s", got)
	}
}

func TestIdleTimeoutWallTime(t *testing.T) {
	f := newFeeder(t, Config{}) // wall time, 60s
	f.feed(traceRecords(t, false, "HTTP-2c0001-C.txt"))
	f.j.Tick(f.c.emit)
	if got := f.c.take(); got != "" {
		t.Errorf("Tick flushed a connection active just now:\n%s", got)
	}
	if cs := f.j.Counters(); cs.ConnsOpen != 1 {
		t.Errorf("counters: %s", cs)
	}
}

func TestPressureMaxConnections(t *testing.T) {
	cfg := recordTime()
	cfg.MaxConnections = 2
	f := newFeeder(t, cfg)
	f.feed(traceRecords(t, false, "HTTP-2c0003-C.txt"))
	f.feed(traceRecords(t, false, "HTTP-2c000d-C.txt"))
	if got := f.c.take(); got != "" {
		t.Fatalf("two connections within the cap, yet:\n%s", got)
	}
	// A third connection evicts the least recently active one.
	f.add(traceDir+"HTTP-2c000c-C.txt", -1, []byte(">>>"), t0)
	want := joinLines(
		`id=firewall time="2024-03-05 09:00:11" fw=mwg01 pri=6 proto=http dstport=80 dstname=static.example.com op=GET arg=http://static.example.com/a.css result=200 sent=71 rcvd=37 conn=2c0003 view=client partial=pressure`,
		`id=firewall time="2024-03-05 09:00:14" fw=mwg01 pri=6 proto=http dstport=80 dstname=static.example.com op=GET arg=http://static.example.com/b.js result=404 sent=70 rcvd=51 conn=2c0003 view=client partial=pressure`,
	)
	if got := f.c.take(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if cs := f.j.Counters(); cs.ConnsOpen != 2 || cs.ConnsPressure != 1 || cs.PartialPressure != 2 {
		t.Errorf("counters: %s", cs)
	}
}

func TestPressureMaxBytes(t *testing.T) {
	for _, maxBytes := range []int64{1, 12 << 10} {
		t.Run(fmt.Sprint(maxBytes), func(t *testing.T) {
			cfg := recordTime()
			cfg.MaxBytes = maxBytes
			f := newFeeder(t, cfg) // feeder.add checks PendingBytes <= MaxBytes after each record
			f.feed(traceRecords(t, false, "HTTP-2c0004-C.txt", "HTTP-2c0004-S.txt", "HTTP-3e0001-C.txt", "HTTP-3e0001-S.txt", "FTP-2c0007-CC.txt", "FTP-2c0007-SC.txt"))
			f.drain()
			cs := f.j.Counters()
			if cs.ConnsPressure == 0 || cs.ConnsOpen != 0 {
				t.Errorf("counters: %s", cs)
			}
		})
	}
}

// TestPressurePerConnection: a connection whose transactions never pair
// holds at most Stream.MaxHeaderBytes of them; the oldest go alone.
func TestPressurePerConnection(t *testing.T) {
	const requests = 60
	tests := []struct {
		name, file string
		exchange   func(i int) string
		want       func(i int, partial string) string
	}{
		{
			name: "HTTP client side", file: "HTTP-4a-C.txt",
			exchange: func(i int) string {
				return fmt.Sprintf(">>>\nGET http://www.example.com/%d HTTP/1.1\nHost: www.example.com\n\n<<<\nHTTP/1.1 204 No Content\n\n", i)
			},
			want: func(i int, partial string) string {
				return fmt.Sprintf(`id=firewall time="2024-03-05 09:00:00" fw=mwg01 pri=6 proto=http dstport=80 dstname=www.example.com op=GET arg=http://www.example.com/%d result=204 sent=%d rcvd=25 conn=4a view=client partial=%s`,
					i, 60+len(fmt.Sprint(i)), partial)
			},
		},
		{
			name: "HTTP server side", file: "HTTP-4b-S.txt",
			exchange: func(i int) string {
				return fmt.Sprintf(">>>\nGET /%d HTTP/1.1\nHost: www.example.com\n\n<<<\nHTTP/1.1 204 No Content\n\n", i)
			},
			want: func(i int, partial string) string {
				return fmt.Sprintf(`id=firewall time="2024-03-05 09:00:00" fw=mwg01 pri=6 proto=http dstport=80 dstname=www.example.com op=GET arg=http://www.example.com/%d result=204 sent=%d rcvd=25 conn=4b view=server partial=%s`,
					i, 38+len(fmt.Sprint(i)), partial)
			},
		},
		{
			name: "FTP client control", file: "FTP-4c-CC.txt",
			exchange: func(i int) string {
				return fmt.Sprintf(">>>\nDELE /tmp/%d.txt\n<<<\n250 Deleted\n", i)
			},
			want: func(i int, partial string) string {
				return fmt.Sprintf(`id=firewall time="2024-03-05 09:00:00" fw=mwg01 pri=6 proto=ftp op=DELE arg=/tmp/%d.txt result=250 sent=%d rcvd=12 conn=4c view=client partial=%s`,
					i, 15+len(fmt.Sprint(i)), partial)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var trace strings.Builder
			for i := range requests {
				trace.WriteString(tt.exchange(i))
			}
			cfg := recordTime()
			cfg.Stream = mwg.DefaultOptions()
			cfg.Stream.MaxHeaderBytes = mwg.MinMaxHeaderBytes
			f := newFeeder(t, cfg)
			for _, r := range tailLines(traceDir+tt.file, []byte(trace.String()), false) {
				f.add(r.path, r.offset, r.line, t0)
				f.j.conns.Range(func(_ string, c *conn, _ time.Time) bool {
					if c.waiting() > mwg.MinMaxHeaderBytes {
						t.Fatalf("connection holds %d bytes of transactions, cap %d", c.waiting(), mwg.MinMaxHeaderBytes)
					}
					return true
				})
			}
			live := strings.Split(strings.TrimSuffix(f.c.take(), "\n"), "\n")
			drained := strings.Split(strings.TrimSuffix(f.drain(), "\n"), "\n")
			if len(live) < requests/2 || len(live)+len(drained) != requests {
				t.Fatalf("%d outputs while feeding, %d at Drain, want most of %d while feeding", len(live), len(drained), requests)
			}
			for i, l := range append(live, drained...) {
				partial := "pressure"
				if i >= len(live) {
					partial = "shutdown"
				}
				if want := tt.want(i, partial); l != want {
					t.Fatalf("output %d:\ngot:  %s\nwant: %s", i, l, want)
				}
			}
		})
	}
}

// TestFTPData: data counts without a transfer are emitted alone; a data
// file restarted (two runs) adds both runs to the transfer.
func TestFTPData(t *testing.T) {
	t.Run("no control connection", func(t *testing.T) {
		f := newFeeder(t, recordTime())
		f.feed(traceRecords(t, false, "FTP-2c0007-CL.txt", "FTP-2c0007-SD.txt"))
		want := joinLines(
			`id=firewall time="2024-03-05 09:00:05" fw=mwg01 pri=6 proto=ftp sent=0 rcvd=58 conn=2c0007 view=client partial=shutdown`,
			`id=firewall time="2024-03-05 09:00:05" fw=mwg01 pri=6 proto=ftp sent=0 rcvd=58 conn=2c0007 view=server partial=shutdown`,
		)
		if got := f.drain(); got != want {
			t.Errorf("got:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("data file restarted", func(t *testing.T) {
		f := newFeeder(t, recordTime())
		f.feed(traceRecords(t, false, "FTP-2c0007-CC.txt", "FTP-2c0007-CL.txt", "FTP-2c0007-SC.txt"))
		f.feed(traceRecords(t, false, "FTP-2c0007-CL.txt"))
		want := joinLines(
			`id=firewall time="2024-03-05 09:00:21" fw=mwg01 pri=6 proto=ftp dstport=21 dstname=ftp.example.net user=anonymous op=PASS result=530 sent=16 rcvd=20 conn=2c0007 view=client`,
			`id=firewall time="2024-03-05 09:01:12" fw=mwg01 pri=4 proto=ftp dstport=21 dstname=ftp.example.net user=anonymous op=RETR arg=/pub/readme.txt result=226 sent=16 rcvd=204 conn=2c0007 upstream_sent=16 upstream_rcvd=90 data_msg="incomplete (truncated): data connection still open"`,
		)
		if got := f.drain(); got != want {
			t.Errorf("got:\n%s\nwant:\n%s", got, want)
		}
		if cs := f.j.Counters(); cs.Attached != 2 || cs.Truncations != 1 {
			t.Errorf("counters: %s", cs)
		}
	})
	t.Run("data file restarted again and again", func(t *testing.T) {
		cfg := recordTime()
		cfg.Stream = mwg.DefaultOptions()
		cfg.Stream.MaxHeaderBytes = mwg.MinMaxHeaderBytes
		f := newFeeder(t, cfg)
		const restarts = 40
		for range restarts {
			f.feed(traceRecords(t, false, "FTP-2c0007-SD.txt"))
		}
		live := f.c.take()
		// Each restart flushes one run of counts into the session; the
		// oldest go alone once the session holds too many.
		const want = `id=firewall time="2024-03-05 09:00:03" fw=mwg01 pri=4 proto=ftp sent=0 rcvd=58 msg="incomplete (truncated): data connection still open" conn=2c0007 view=server partial=pressure` + "\n"
		if n := strings.Count(live, "\n"); n < restarts/2 || !strings.HasPrefix(live, want) {
			t.Errorf("%d outputs while feeding:\n%s", n, live)
		}
		f.drain()
		if cs := f.j.Counters(); cs.ServerOnly != restarts || cs.Truncations != restarts-1 {
			t.Errorf("counters: %s", cs)
		}
	})
}

func TestCountersCheck(t *testing.T) {
	c := Counters{Transactions: 3, Joined: 1}
	want := "mwgjoin: counters do not add up: transactions=3 but 2*joined+client_only+server_only+attached=2 (records=0 lines=0 bytes=0 bad_names=0 truncations=0 transactions=3 joined=1 client_only=0 server_only=0 attached=0 incomplete=0" +
		" partial_timeout=0 partial_pressure=0 partial_shutdown=0 conns_open=0 conns_timeout=0 conns_pressure=0 conns_shutdown=0 pending_bytes=0)"
	if err := c.Check(); err == nil || err.Error() != want {
		t.Errorf("Check() = %v, want %s", err, want)
	}
	c.ClientOnly = 1
	if err := c.Check(); err != nil {
		t.Errorf("Check() = %v", err)
	}
}

func TestDrainEmitsEverythingOnce(t *testing.T) {
	f := newFeeder(t, recordTime())
	all := traceRecords(t, false, "HTTP-3e0001-C.txt", "HTTP-3e0001-S.txt", "FTP-2c0007-CC.txt", "FTP-2c0007-CL.txt",
		"FTP-2c0007-SC.txt", "FTP-2c0007-SD.txt", "ICAP-2c0008-S.txt", "HTTP-1a2b40-C.txt", "HTTP-2c000a-C.txt")
	f.feed(all)
	f.drain()
	cs := f.j.Counters()
	want := Counters{
		Records: uint64(len(all)), Lines: uint64(len(all)), Bytes: cs.Bytes,
		Transactions: 20, Joined: 5, ClientOnly: 5, ServerOnly: 3, Attached: 2, Incomplete: 1,
		PartialShutdown: 3, ConnsShutdown: 5,
	}
	if cs != want {
		t.Errorf("counters:\ngot:  %s\nwant: %s", cs, want)
	}
	f.j.Drain(f.c.emit)
	if got := f.c.take(); got != "" {
		t.Errorf("second Drain emitted:\n%s", got)
	}
}

func TestBadNamesReportedOnce(t *testing.T) {
	j, err := New(recordTime())
	if err != nil {
		t.Fatal(err)
	}
	c := newCollector(t)
	steps := []struct {
		path  string
		first bool
		msg   string
	}{
		{"/x/access.log", true, `mwgjoin: /x/access.log: mwg: trace file name "access.log": no .txt suffix`},
		{"/x/access.log", false, ""},
		{"/x/HTTP-1-c.txt", true, `mwgjoin: /x/HTTP-1-c.txt: mwg: trace file name "HTTP-1-c.txt": side "c" is not 1 to 3 upper-case letters`},
		{"/x/access.log", false, ""},
		{"/x/HTTP-1-c.txt", false, ""},
		{"/x/HTTP-1-C.txt", false, "ok"},
		{"/x/HTTP-1-c.txt", false, ""},
		{"", true, `mwgjoin: : mwg: trace file name "": no .txt suffix`},
		{"/x/HTTP--C.txt", true, `mwgjoin: /x/HTTP--C.txt: mwg: trace file name "HTTP--C.txt": connection id "" is not letters and digits`},
	}
	for i, s := range steps {
		err := j.Add([]byte(s.path), -1, []byte(">>>"), t0, c.emit)
		if s.msg == "ok" {
			if err != nil {
				t.Errorf("step %d: %v", i, err)
			}
			continue
		}
		var ne *NameError
		if !errors.As(err, &ne) {
			t.Fatalf("step %d: Add(%q) = %v, want a *NameError", i, s.path, err)
		}
		if ne.First != s.first || ne.Path != s.path || errors.Unwrap(ne) != ne.Err {
			t.Errorf("step %d: %+v, want path %q first %v", i, ne, s.path, s.first)
		}
		if s.msg != "" && err.Error() != s.msg {
			t.Errorf("step %d: %q, want %q", i, err, s.msg)
		}
	}
	if cs := j.Counters(); cs.BadNames != 8 || cs.Records != 1 || cs.ConnsOpen != 1 {
		t.Errorf("counters: %s", cs)
	}
}

// TestUnknownSides: files with sides MWG does not write for their protocol
// are refused, each reported once, and never keep the real files of the
// connection out, however many there are.
func TestUnknownSides(t *testing.T) {
	j, err := New(recordTime())
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for c := 'A'; c <= 'Z'; c++ {
		if c != 'C' && c != 'S' {
			paths = append(paths, fmt.Sprintf("/x/HTTP-7-%c.txt", c))
		}
	}
	paths = append(paths, "/x/HTTP-7-CC.txt", "/x/HTTP-7-SD.txt", "/x/FTP-7-C.txt", "/x/FTP-7-S.txt", "/x/FTP-7-CD.txt", "/x/ICAP-7-SC.txt")
	for round := range 2 {
		for _, path := range paths {
			err := j.Add([]byte(path), -1, []byte(">>>"), t0, nil)
			var ne *NameError
			if !errors.As(err, &ne) || ne.First != (round == 0) || !strings.Contains(err.Error(), "is not a trace side of") {
				t.Errorf("round %d: %s: %v", round, path, err)
			}
		}
	}
	for _, path := range []string{"/x/HTTP-7-C.txt", "/x/HTTP-7-S.txt", "/x/FTP-7-CC.txt", "/x/FTP-7-CL.txt", "/x/FTP-7-SC.txt", "/x/FTP-7-SD.txt", "/x/ICAP-7-C.txt", "/x/ICAP-7-S.txt", "/x/TCP-7-C.txt"} {
		if err := j.Add([]byte(path), -1, []byte(">>>"), t0, nil); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
	const want = `mwgjoin: /x/HTTP-7-A.txt: side "A" is not a trace side of HTTP (C, S)`
	if err := j.Add([]byte("/x/HTTP-7-A.txt"), -1, nil, t0, nil); err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if cs := j.Counters(); cs.BadNames != uint64(2*len(paths)+1) || cs.Records != 9 || cs.ConnsOpen != 4 {
		t.Errorf("counters: %s", cs)
	}
}

// TestOffsetBackwards: a file that restarts at a lower offset was
// truncated or replaced; what was pending in it is emitted first.
func TestOffsetBackwards(t *testing.T) {
	f := newFeeder(t, recordTime())
	recs := traceRecords(t, false, "HTTP-2c0003-C.txt")
	f.feed(recs[:9]) // the two pipelined requests and the first status line
	f.feed(recs)     // the file again from offset 0
	want := joinLines(
		`id=firewall time="2024-03-05 09:00:09" fw=mwg01 pri=4 proto=http dstport=80 dstname=static.example.com op=GET arg=http://static.example.com/a.css result=200 sent=71 rcvd=16 msg="incomplete (truncated): response headers truncated" conn=2c0003 view=client partial=shutdown`,
		`id=firewall time="2024-03-05 09:00:09" fw=mwg01 pri=4 proto=http dstport=80 dstname=static.example.com op=GET arg=http://static.example.com/b.js sent=70 rcvd=0 msg="incomplete (truncated): no response" conn=2c0003 view=client partial=shutdown`,
		`id=firewall time="2024-03-05 09:00:20" fw=mwg01 pri=6 proto=http dstport=80 dstname=static.example.com op=GET arg=http://static.example.com/a.css result=200 sent=71 rcvd=37 conn=2c0003 view=client partial=shutdown`,
		`id=firewall time="2024-03-05 09:00:23" fw=mwg01 pri=6 proto=http dstport=80 dstname=static.example.com op=GET arg=http://static.example.com/b.js result=404 sent=70 rcvd=51 conn=2c0003 view=client partial=shutdown`,
	)
	if got := f.drain(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if cs := f.j.Counters(); cs.Truncations != 1 {
		t.Errorf("counters: %s", cs)
	}
}

// TestMultilineRecords: records carrying several lines joined by LF give
// the same outputs as one record per line.
func TestMultilineRecords(t *testing.T) {
	perLine := newFeeder(t, recordTime())
	perLine.feed(traceRecords(t, false, "HTTP-2c0004-C.txt", "HTTP-2c0004-S.txt"))
	want := perLine.c.take() + perLine.drain()

	f := newFeeder(t, recordTime())
	lines, records := 0, 0
	for _, name := range []string{"HTTP-2c0004-C.txt", "HTTP-2c0004-S.txt"} {
		recs := tailLines(traceDir+name, readTrace(t, name), false)
		// Records of 3 lines, the last one shorter.
		for i := 0; i < len(recs); i += 3 {
			var b bytes.Buffer
			for k, r := range recs[i:min(i+3, len(recs))] {
				if k > 0 {
					b.WriteByte('\n')
				}
				b.Write(r.line)
				lines++
			}
			f.add(traceDir+name, recs[i].offset, b.Bytes(), t0)
			records++
		}
	}
	// The event times differ between the two feeds: compare without them.
	if got := f.c.take() + f.drain(); stripTime(got) != stripTime(want) || want == "" {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if cs := f.j.Counters(); cs.Lines != uint64(lines) || cs.Records != uint64(records) {
		t.Errorf("counters: %s, want %d lines", cs, lines)
	}
}

// stripTime removes the WELF time fields.
func stripTime(welfLines string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(welfLines, "\n") {
		if i := strings.Index(l, ` time="`); i >= 0 {
			l = l[:i] + l[i+len(` time="2024-03-05 09:00:00"`):]
		}
		b.WriteString(l)
	}
	return b.String()
}

// TestDirectoriesKeepConnectionsApart: the same id in two trace
// directories (two appliances) is two connections.
func TestDirectoriesKeepConnectionsApart(t *testing.T) {
	f := newFeeder(t, recordTime())
	c := tailLines("/a/HTTP-1a2b3c-C.txt", readTrace(t, "HTTP-1a2b3c-C.txt"), false)
	s := tailLines("/b/HTTP-1a2b3c-S.txt", readTrace(t, "HTTP-1a2b3c-S.txt"), false)
	f.feed(roundRobin(c, s))
	f.drain()
	if cs := f.j.Counters(); cs.Joined != 0 || cs.ClientOnly != 2 || cs.ServerOnly != 1 || cs.ConnsShutdown != 2 {
		t.Errorf("counters: %s", cs)
	}
}

func TestNilEmit(t *testing.T) {
	j, err := New(recordTime())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range traceRecords(t, false, "HTTP-2c0004-C.txt", "HTTP-2c0004-S.txt") {
		if err := j.Add([]byte(r.path), r.offset, r.line, t0, nil); err != nil {
			t.Fatal(err)
		}
	}
	j.Tick(nil)
	j.Drain(nil)
	if cs := j.Counters(); cs.Joined != 2 || cs.ClientOnly != 1 {
		t.Errorf("counters: %s", cs)
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{IdleTimeout: -time.Second}, "mwgjoin: invalid config: idle timeout -1s is negative"},
		{Config{MaxConnections: -1}, "mwgjoin: invalid config: max connections -1 is negative"},
		{Config{MaxBytes: -1}, "mwgjoin: invalid config: max bytes -1 is negative"},
		{Config{Stream: mwg.Options{MaxHeaderBytes: -1}}, "mwgjoin: invalid config: max header bytes -1 is negative"},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg); err == nil || err.Error() != tt.want {
			t.Errorf("New(%+v) = %v, want %s", tt.cfg, err, tt.want)
		}
	}

	j, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Stream: mwg.DefaultOptions(), IdleTimeout: 60 * time.Second, MaxConnections: 10000, MaxBytes: 64 << 20}
	if j.cfg != want {
		t.Errorf("defaults: %+v, want %+v", j.cfg, want)
	}
	j, err = New(Config{Stream: mwg.Options{MarkerMode: mwg.MarkerRegion, MaxHeaderBytes: 100}})
	if err != nil {
		t.Fatal(err)
	}
	if want := (mwg.Options{MarkerMode: mwg.MarkerRegion, MaxHeaderBytes: mwg.MinMaxHeaderBytes}); j.cfg.Stream != want {
		t.Errorf("stream options: %+v, want %+v", j.cfg.Stream, want)
	}
}
