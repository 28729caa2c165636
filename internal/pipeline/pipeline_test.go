package pipeline

import (
	"bytes"
	"fmt"
	"github.com/welfbridge/welfbridge/internal/airlockjoin"
	"github.com/welfbridge/welfbridge/internal/correlate"
	"github.com/welfbridge/welfbridge/internal/mwgjoin"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/config"
	"github.com/welfbridge/welfbridge/internal/destination"
	"github.com/welfbridge/welfbridge/internal/event"
	"github.com/welfbridge/welfbridge/internal/event/eventtest"
	"github.com/welfbridge/welfbridge/internal/flblog"
	"github.com/welfbridge/welfbridge/internal/sink"
)

var evTime = time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC)

// summaryLine is an Airlock request summary as the appliance writes it.
const summaryLine = `2024-03-05T09:12:44.331+01:00 gw01 {"@timestamp":"2024-03-05T09:12:44.331+01:00","host":"gw01","program":"SG_child","pid":"20417","priority":"info","facility":"user","log_id":"WR-SG-SUMMARY","log_cat":"X","req_id":"ZebVfGq3rXx9Qm2kYcE1HwAAAEk","sess_id":"3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4","corr_id":"<n/a>","mapping":"shop","audit_token":"<n/a>","sess_auth":"false","client_ip":"198.51.100.23","vhost":"shop.example.com","vhost_ip":"203.0.113.10","vhost_port":"443","vhost_proto":"https","vhost_proto_vers":"HTTP/2","http_method":"GET","entry_url":"https://shop.example.com/cart?item=42","entry_path":"/cart","entry_query":"item=42","backend_url":"http://10.20.1.17:8080/cart?item=42","back_host":"app1.internal","back_host_ip":"10.20.1.17","back_host_port":"8080","back_host_proto":"http","http_status":"200","http_redirect_url":"<n/a>","http_referrer":"https://shop.example.com/","http_user_agent":"Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0","http_accept_lang":"de-CH","req_size":"612","resp_size":"18342"}`

// summaryWELF is what summaryLine becomes with Time_Zone UTC.
const summaryWELF = `id=firewall time="2024-03-05 08:12:44" fw=gw01 pri=6 proto=https src=198.51.100.23 dst=10.20.1.17 dstport=8080 dstname=shop.example.com op=GET arg=/cart?item=42 result=200 sent=612 rcvd=18342 ref=https://shop.example.com/ agent="Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0" log_id=WR-SG-SUMMARY req_id=ZebVfGq3rXx9Qm2kYcE1HwAAAEk sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4 mapping=shop sess_auth=false vhost_addr=203.0.113.10:443 back_host=app1.internal back_host_proto=http backend_url=http://10.20.1.17:8080/cart?item=42 vhost_proto_vers=HTTP/2 http_accept_lang=de-CH`

func testConfig(mutate ...func(*config.Config)) *config.Config {
	c := &config.Config{
		Destination: config.DestinationURL{Scheme: "stdout"}, LogKey: "log", WELFID: "firewall",
		Location: time.UTC, Hostname: "collector",
	}
	for _, m := range mutate {
		m(c)
	}
	return c
}

// newTest returns a pipeline writing LF-terminated records to out and
// logging to logs.
func newTest(t testing.TB, cfg *config.Config, out, logs *bytes.Buffer) *Pipeline {
	t.Helper()
	log := flblog.New(logs, "welf", "welf.0", flblog.Info).WithClock(func() time.Time { return evTime })
	p, err := New(cfg, &destination.Destination{Sink: sink.NewWriter(out, false)}, log)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFlushRawLineAndMap(t *testing.T) {
	var chunk []byte
	chunk = eventtest.AppendV2(chunk, evTime, map[string]any{"log": summaryLine, "file": "/var/log/airlock.log"})
	// The same record as Fluent Bit's json parser hands it over: a map.
	chunk = eventtest.AppendV2(chunk, evTime, map[string]any{
		"@timestamp": "2024-03-05T09:12:44.331+01:00", "host": "gw01", "priority": "warning", "log_id": "WR-SG-SUMMARY",
		"client_ip": "198.51.100.23", "http_method": "POST", "entry_path": "/login", "http_status": 403, "req_size": 77,
	})
	var out, logs bytes.Buffer
	p := newTest(t, testConfig(func(c *config.Config) { c.MWG.PathKey = "file" }), &out, &logs)
	res, err := p.Flush(chunk, "airlock")
	if err != nil {
		t.Fatal(err)
	}
	want := summaryWELF + "\n" +
		`id=firewall time="2024-03-05 08:12:44" fw=gw01 pri=4 src=198.51.100.23 op=POST arg=/login result=403 sent=77 log_id=WR-SG-SUMMARY` + "\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if res != (Result{Events: 2, Written: 2}) {
		t.Errorf("result %+v", res)
	}
	if logs.Len() != 0 {
		t.Errorf("unexpected log lines:\n%s", logs.String())
	}
}

func TestFlushBadRecordsGoOn(t *testing.T) {
	var chunk []byte
	chunk = eventtest.AppendV2(chunk, evTime, map[string]any{"log": "not json"})
	chunk = eventtest.AppendV2(chunk, evTime, map[string]any{"log": " \t"})         // blank: skipped silently
	chunk = append(chunk, 0x92, 0x01, 0x02)                                         // a well-formed msgpack array that is no event
	chunk = eventtest.AppendV2(chunk, evTime, map[string]any{"other": "x", "n": 1}) // no Airlock fields, no line
	chunk = eventtest.AppendV2(chunk, evTime, map[string]any{"log": summaryLine})
	chunk = append(chunk, 0x92, 0x92, 0xd7) // truncated: the rest of the chunk is lost

	for _, tt := range []struct {
		mode    config.Unparsed
		out     string
		written int
	}{
		{config.UnparsedEmit,
			`id=firewall time="2024-03-05 08:00:00" fw=collector pri=4 tag=airlock msg="welfbridge: record not decoded: no JSON object in line" raw="not json"` + "\n" +
				`id=firewall time="2024-03-05 08:00:00" fw=collector pri=4 tag=airlock msg="welfbridge: record not decoded: no Airlock log_id and no \x22log\x22 line in record" raw={\x22n\x22:1,\x22other\x22:\x22x\x22}` + "\n" +
				summaryWELF + "\n", 3},
		{config.UnparsedDrop, summaryWELF + "\n", 1},
	} {
		var out, logs bytes.Buffer
		p := newTest(t, testConfig(func(c *config.Config) { c.Unparsed = tt.mode }), &out, &logs)
		res, err := p.Flush(chunk, "airlock")
		if err != nil {
			t.Fatal(err)
		}
		if out.String() != tt.out {
			t.Errorf("mode %d output:\n%s\nwant:\n%s", tt.mode, out.String(), tt.out)
		}
		if want := (Result{Events: 4, Written: tt.written, Unparsed: 2, Malformed: 2}); res != want {
			t.Errorf("result %+v want %+v", res, want)
		}
		if got := logs.String(); got != wantBadLogs {
			t.Errorf("mode %d logs:\n%s\nwant:\n%s", tt.mode, got, wantBadLogs)
		}
		if c := p.Counters(); c.Events != 4 || c.Unparsed != 2 || c.Malformed != 2 || int(c.Written) != tt.written {
			t.Errorf("counters %s", c)
		}
	}
}

// wantBadLogs are the reports of TestFlushBadRecordsGoOn: one per bad
// record, each with its reason.
const wantBadLogs = `[2024/03/05 08:00:00] [ warn] [output:welf:welf.0] record not decoded (no JSON object in line): "not json"
[2024/03/05 08:00:00] [ warn] [output:welf:welf.0] malformed event dropped: event #2 at offset 48: record is not a map (got int)
[2024/03/05 08:00:00] [ warn] [output:welf:welf.0] record not decoded (no Airlock log_id and no "log" line in record): "{\"n\":1,\"other\":\"x\"}"
[2024/03/05 08:00:00] [ warn] [output:welf:welf.0] chunk decoding stopped, rest of the chunk lost: event #5 at offset 1134: truncated msgpack object at offset 1136 (3 bytes abandoned)
`

func TestFlushReportsAreBounded(t *testing.T) {
	var chunk []byte
	for i := 0; i < 40; i++ {
		chunk = eventtest.AppendV2(chunk, evTime, map[string]any{"log": "garbage"})
	}
	var out, logs bytes.Buffer
	p := newTest(t, testConfig(func(c *config.Config) { c.Unparsed = config.UnparsedDrop }), &out, &logs)
	if _, err := p.Flush(chunk, "t"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(logs.String(), "\n"), "\n")
	if len(lines) != reportsPerChunk+1 {
		t.Fatalf("want %d log lines, got %d:\n%s", reportsPerChunk+1, len(lines), logs.String())
	}
	if want := `[2024/03/05 08:00:00] [ warn] [output:welf:welf.0] 35 more bad records in this chunk (tag "t") not reported one by one`; lines[reportsPerChunk] != want {
		t.Errorf("got  %s\nwant %s", lines[reportsPerChunk], want)
	}
}

// TestDestinationErrorKeepsBacklog: a write that fails after the chunk was
// processed keeps the records; following chunks get ErrBusy (FLB_RETRY)
// without being looked at until the destination works again.
func TestDestinationErrorKeepsBacklog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sub")
	path := filepath.Join(dir, "out.welf")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := sink.OpenFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := flblog.New(&logs, "welf", "welf.0", flblog.Info).WithClock(func() time.Time { return evTime })
	p, err := New(testConfig(), &destination.Destination{Sink: f}, log)
	if err != nil {
		t.Fatal(err)
	}
	chunk := eventtest.AppendV2(nil, evTime, map[string]any{"log": summaryLine})
	if err := os.RemoveAll(dir); err != nil { // the file and its directory vanish
		t.Fatal(err)
	}
	if res, err := p.Flush(chunk, "t"); err != nil || res.Events != 1 {
		t.Fatalf("the failing write: %+v, %v (the chunk is processed and acknowledged)", res, err)
	}
	if res, err := p.Flush(chunk, "t"); err != ErrBusy || res != (Result{}) {
		t.Fatalf("with a backlog: %+v, %v; want ErrBusy before anything is done", res, err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Flush(chunk, "t"); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if got, want := readAll(t, path), summaryWELF+"\n"+summaryWELF+"\n"; got != want {
		t.Errorf("file:\n%s\nwant the kept record, then the new one:\n%s", got, want)
	}
	wantLogs := "[2024/03/05 08:00:00] [ warn] [output:welf:welf.0] destination stdout: file destination: open " + path + ": no such file or directory; records are kept in memory and new chunks wait (FLB_RETRY) until it takes them\n" +
		"[2024/03/05 08:00:00] [ info] [output:welf:welf.0] destination stdout takes records again: 1 kept records written\n" +
		"[2024/03/05 08:00:00] [ info] [output:welf:welf.0] records: in=2 written=2 unparsed_dropped=0 blank=0 failed=0 joined=0 saved=0\n"
	if logs.String() != wantLogs {
		t.Errorf("logs:\n%s\nwant:\n%s", logs.String(), wantLogs)
	}
}

func readAll(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFlushCorrelated joins a request's conntrace, block and summary (in
// that order, in one chunk) into one WELF record, and replays the chunk as
// Fluent Bit would after a retry: no second record.
func TestFlushCorrelated(t *testing.T) {
	conntrace := `{"@timestamp":"2024-03-05T09:13:02.900+01:00","host":"gw01","priority":"info","log_id":"WR-SG-CONNTRACE","req_id":"R2","sess_id":"S1","mapping":"shop","client_ip":"198.51.100.23","front_src_ip":"198.51.100.23","front_src_port":"51544","front_dst_ip":"203.0.113.10","front_dst_port":"443","back_src_ip":"10.20.0.5","back_src_port":"40118","back_dst_ip":"10.20.1.17","back_dst_port":"8080"}`
	block := `{"@timestamp":"2024-03-05T09:13:02.907+01:00","host":"gw01","priority":"info","log_id":"WR-SG-BLOCK-110-01","req_id":"R2","sess_id":"S1","mapping":"shop","block_type":"deny rule","attack_type":"SQL injection","constraint":"(default) SQL Injection","message":"Blocked parameter"}`
	summary := `{"@timestamp":"2024-03-05T09:13:02.911+01:00","host":"gw01","priority":"info","log_id":"WR-SG-SUMMARY","req_id":"R2","sess_id":"S1","mapping":"shop","client_ip":"198.51.100.23","vhost":"shop.example.com","vhost_proto":"https","http_method":"GET","entry_path":"/search","entry_query":"s=x","http_status":"400","req_size":"233","resp_size":"512"}`
	var chunk []byte
	for _, l := range []string{conntrace, block, summary} {
		chunk = eventtest.AppendV2(chunk, evTime, map[string]any{"log": l})
	}
	var out, logs bytes.Buffer
	p := newTest(t, testConfig(func(c *config.Config) {
		c.Correlation = config.Correlation{Enabled: true, Join: airlockjoin.Config{Timeout: 30 * time.Second, SessionTimeout: time.Hour, MaxPending: 1000, MaxPendingBytes: 1 << 20}}
	}), &out, &logs)
	for i := 0; i < 2; i++ { // the second time is Fluent Bit replaying the chunk
		if _, err := p.Flush(chunk, "airlock"); err != nil {
			t.Fatal(err)
		}
	}
	p.Close()
	want := `id=firewall time="2024-03-05 08:13:02" fw=gw01 pri=4 rule="deny rule/(default) SQL Injection" proto=https src=198.51.100.23 srcport=51544 dst=10.20.1.17 dstport=8080 dstname=shop.example.com op=GET arg=/search?s=x result=400 sent=233 rcvd=512 cat="SQL injection" cat_action=block msg="Blocked parameter" log_id=WR-SG-BLOCK-110-01 req_id=R2 sess_id=S1 mapping=shop front_dst=203.0.113.10:443 back_src=10.20.0.5:40118` + "\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if !strings.Contains(logs.String(), "correlation: in=6 joined=3 partial=0 duplicate=3 orphan=0") {
		t.Errorf("counters:\n%s", logs.String())
	}
}

func TestConcurrentFlushes(t *testing.T) {
	var chunk []byte
	for i := 0; i < 50; i++ {
		chunk = eventtest.AppendV2(chunk, evTime, map[string]any{"log": summaryLine})
	}
	var out, logs bytes.Buffer
	p := newTest(t, testConfig(), &out, &logs)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if _, err := p.Flush(chunk, "t"); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	want := strings.Repeat(summaryWELF+"\n", 4*20*50)
	if out.String() != want {
		t.Errorf("concurrent output differs: %d bytes, want %d", out.Len(), len(want))
	}
	if c := p.Counters(); c.Events != 4000 || c.Written != 4000 {
		t.Errorf("counters %s", c)
	}
}

// traceChunk builds a chunk of trace lines as Fluent Bit's tail hands them
// over with Path_Key file: the files' lines interleaved one by one, CRs
// stripped, empty lines kept (Skip_Empty_Lines is off by default). It also
// returns the bytes of all lines.
func traceChunk(t testing.TB, paths ...string) ([]byte, int) {
	chunk, n, _ := traceChunkCopies(t, 1, 1, paths...)
	return chunk, n
}

// traceChunkCopies is traceChunk with the files repeated under copies
// different connection ids, interleaved in runs of up to run lines per file
// (tail reads a buffer of each file in turn).
func traceChunkCopies(t testing.TB, copies, run int, paths ...string) (chunk []byte, lineBytes, lines int) {
	t.Helper()
	var files [][]string
	var names []string
	for c := 0; c < copies; c++ {
		for _, path := range paths {
			name := filepath.Base(path)
			if copies > 1 { // PROTO-ID-SIDE.txt → PROTO-IDcN-SIDE.txt
				parts := strings.SplitN(name, "-", 3)
				name = fmt.Sprintf("%s-%sc%d-%s", parts[0], parts[1], c, parts[2])
			}
			names = append(names, name)
		}
	}
	for i := range names {
		path := paths[i%len(paths)]
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, l := range strings.SplitAfter(string(data), "\n") {
			if l != "" { // the end of the file after its last LF
				lines = append(lines, strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r"))
			}
		}
		files = append(files, lines)
	}
	for i := 0; ; i += run {
		more := false
		for f, fileLines := range files {
			for j := i; j < i+run && j < len(fileLines); j++ {
				more = true
				chunk = eventtest.AppendV2(chunk, evTime, map[string]any{"log": fileLines[j], "file": "/opt/mwg/log/debug/connection_tracing/" + names[f]})
				lineBytes += len(fileLines[j])
				lines++
			}
		}
		if !more {
			return chunk, lineBytes, lines
		}
	}
}

func TestFlushMWG(t *testing.T) {
	chunk, _ := traceChunk(t, "../mwg/testdata/traces/HTTP-1a2b3c-C.txt", "../mwg/testdata/traces/HTTP-1a2b3c-S.txt")
	var out, logs bytes.Buffer
	p := newTest(t, testConfig(func(c *config.Config) {
		c.FW = "mwg01"
		c.MWG = config.MWG{PathKey: "file", Join: mwgjoin.Config{IdleTimeout: time.Minute, MaxConnections: 100, MaxBytes: 1 << 20, Clock: correlate.ClockRecord}}
	}), &out, &logs)
	res, err := p.Flush(chunk, "mwg")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	// The 407 came from the proxy itself, so only the client side has it;
	// the 200 joins both sides. mwg.md's sample declares Content-Length 45
	// for a 34-byte body, hence "incomplete".
	want := `id=firewall time="2024-03-05 08:00:00" fw=mwg01 pri=6 proto=http dstport=80 dstname=www.example.com op=GET arg=http://www.example.com/index.html result=407 sent=165 rcvd=87 agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64)" conn=1a2b3c view=client` + "\n" +
		`id=firewall time="2024-03-05 08:00:00" fw=mwg01 pri=4 proto=http dstport=80 dstname=www.example.com op=GET arg=http://www.example.com/index.html result=200 sent=153 rcvd=147 msg="incomplete (shutdown): response body 35 of 45 bytes" agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64)" conn=1a2b3c upstream_sent=140 upstream_rcvd=95 partial=shutdown` + "\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if res != (Result{Events: 37}) { // the joined records come at Close
		t.Errorf("result %+v", res)
	}
}

// TestMWGIdleTimeoutOnRecordTime: with Correlation_Clock record, a
// connection whose files get no line for Idle_Timeout, by the records'
// times, is finished at the end of the chunk that shows it.
func TestMWGIdleTimeoutOnRecordTime(t *testing.T) {
	first, _ := traceChunk(t, "../mwg/testdata/traces/HTTP-1a2b3c-C.txt")
	later := eventtest.AppendV2(nil, evTime.Add(2*time.Minute), map[string]any{"log": ">>>", "file": "/opt/mwg/log/debug/connection_tracing/HTTP-99-C.txt"})
	var out, logs bytes.Buffer
	p := newTest(t, testConfig(func(c *config.Config) {
		c.FW = "mwg01"
		c.MWG = config.MWG{PathKey: "file", Join: mwgjoin.Config{IdleTimeout: time.Minute, MaxConnections: 100, MaxBytes: 1 << 20, Clock: correlate.ClockRecord}}
	}), &out, &logs)
	if _, err := p.Flush(first, "mwg"); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Fatalf("written before the connection went idle:\n%s", out.String())
	}
	if _, err := p.Flush(later, "mwg"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "conn=1a2b3c"); got != 2 || !strings.Contains(out.String(), "partial=timeout") {
		t.Errorf("after two idle minutes, want the connection's two transactions, the open one partial=timeout:\n%s", out.String())
	}
	p.Close()
}

// BenchmarkFlushMWG runs MWG connection traces through the whole flush
// path — chunk decoding, trace decoding, client/server join, WELF encoding —
// and reports the rate in bytes of trace lines.
func BenchmarkFlushMWG(b *testing.B) {
	dir := "../mwg/testdata/traces/"
	chunk, lineBytes, lines := traceChunkCopies(b, 150, 64, dir+"HTTP-2c0001-C.txt", dir+"HTTP-1a2b3c-C.txt", dir+"HTTP-1a2b3c-S.txt", dir+"HTTP-1a2b40-C.txt",
		dir+"HTTP-2c0004-C.txt", dir+"HTTP-2c0004-S.txt", dir+"HTTP-2c0003-C.txt")
	var logs bytes.Buffer
	p := newTest(b, testConfig(func(c *config.Config) {
		c.MWG = config.MWG{PathKey: "file", Join: mwgjoin.Config{IdleTimeout: time.Minute, MaxConnections: 10000, MaxBytes: 64 << 20, Clock: correlate.ClockRecord}}
	}), new(bytes.Buffer), &logs)
	p.sink = sink.NewWriter(discard{}, false)
	b.SetBytes(int64(lineBytes))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Flush(chunk, "mwg"); err != nil {
			b.Fatal(err)
		}
		p.mwgJoin.j.Drain(nil) // the same connection ids come again: start clean
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkFlush runs the whole flush path — chunk decoding, Airlock
// decoding, WELF encoding, handing the batch to a destination — on a
// realistic 1 MiB chunk of raw Airlock lines.
func BenchmarkFlush(b *testing.B) {
	var chunk []byte
	n := 0
	for len(chunk) < 1<<20 {
		chunk = eventtest.AppendV2(chunk, evTime, map[string]any{"log": summaryLine})
		n++
	}
	var logs bytes.Buffer
	p := newTest(b, testConfig(), new(bytes.Buffer), &logs)
	p.sink = sink.NewWriter(discard{}, false)
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Flush(chunk, "airlock"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(n), "records/chunk")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestFlushBusyTouchesNothing(t *testing.T) {
	var out, logs bytes.Buffer
	log := flblog.New(&logs, "welf", "welf.0", flblog.Info).WithClock(func() time.Time { return evTime })
	admit := false
	p, err := New(testConfig(), &destination.Destination{Sink: sink.NewWriter(&out, false), Admit: func() bool { return admit }}, log)
	if err != nil {
		t.Fatal(err)
	}
	chunk := eventtest.AppendV2(nil, evTime, map[string]any{"log": summaryLine})
	for i := 0; i < 3; i++ {
		if res, err := p.Flush(chunk, "t"); err != ErrBusy || res != (Result{}) {
			t.Fatalf("busy flush %d: %+v, %v", i, res, err)
		}
	}
	if c := p.Counters(); c != (Counters{}) || out.Len() != 0 {
		t.Fatalf("a refused chunk changed state: %s, output %q", c, out.String())
	}
	admit = true
	if _, err := p.Flush(chunk, "t"); err != nil {
		t.Fatal(err)
	}
	want := "[2024/03/05 08:00:00] [ warn] [output:welf:welf.0] destination stdout is not keeping up: no room within Flush_Wait (0s), chunks go back to Fluent Bit with FLB_RETRY; " +
		"Fluent Bit drops a chunk after Retry_Limit retries (default 1, \"chunk ... cannot be retried\"): set Retry_Limit no_limits on this output, or raise Flush_Wait, Spool_Max_Bytes or Queue_Max_Bytes\n" +
		"[2024/03/05 08:00:00] [ info] [output:welf:welf.0] destination stdout takes chunks again\n"
	if logs.String() != want || out.String() != summaryWELF+"\n" {
		t.Errorf("logs:\n%s\noutput:\n%s", logs.String(), out.String())
	}
}

// BenchmarkFlushCorrelated runs a correlated Airlock stream — conntrace and
// summary of every request, a block for every fifth: 2.2 records per
// request — through the whole flush path with correlation on. Request ids
// are renumbered in the chunk between iterations (outside the timer), so
// every iteration joins new requests rather than meeting duplicates.
func BenchmarkFlushCorrelated(b *testing.B) {
	conntrace := `{"@timestamp":"2024-03-05T09:12:44.318+01:00","host":"gw01","program":"SG_child","pid":"20417","priority":"info","facility":"user","log_id":"WR-SG-CONNTRACE","log_cat":"U","message":"Connection Trace","rcpt_id":"5530021","req_id":"Q0000000000","sess_id":"3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4","mapping":"shop","client_ip":"198.51.100.23","front_src_ip":"198.51.100.23","front_src_port":"51544","front_dst_ip":"203.0.113.10","front_dst_port":"443","back_src_ip":"10.20.0.5","back_src_port":"40118","back_dst_ip":"10.20.1.17","back_dst_port":"8080"}`
	block := `{"@timestamp":"2024-03-05T09:12:44.320+01:00","host":"gw01","program":"SG_child","pid":"20417","priority":"info","log_id":"WR-SG-BLOCK-110-01","req_id":"Q0000000000","sess_id":"3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4","mapping":"shop","th_mode":"block","block_type":"deny rule","attack_type":"SQL injection","constraint":"(default) SQL Injection","position":"query parameter 's'","message":"Blocked parameter: \"s=' or 1=1--\""}`
	summary := strings.Replace(summaryLine[strings.IndexByte(summaryLine, '{'):], "ZebVfGq3rXx9Qm2kYcE1HwAAAEk", "Q0000000000", 1)
	var chunk []byte
	records, requests := 0, 0
	for len(chunk) < 1<<20 {
		lines := []string{conntrace, summary}
		if requests%5 == 0 {
			lines = []string{conntrace, block, summary}
		}
		for _, l := range lines {
			chunk = eventtest.AppendV2(chunk, evTime, map[string]any{"log": strings.Replace(l, "Q0000000000", fmt.Sprintf("Q%010d", requests), 1)})
			records++
		}
		requests++
	}
	var out, logs bytes.Buffer
	p := newTest(b, testConfig(func(c *config.Config) {
		c.Correlation = config.Correlation{Enabled: true, Join: airlockjoin.Config{Timeout: 30 * time.Second, SessionTimeout: time.Hour, MaxPending: 100000, MaxPendingBytes: 64 << 20}}
	}), &out, &logs)
	p.sink = sink.NewWriter(discard{}, false)
	ids := regexp.MustCompile(`Q\d{10}`)
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Flush(chunk, "airlock"); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		gen := (i + 1) * requests
		chunk = ids.ReplaceAllFunc(chunk, func(id []byte) []byte {
			n, _ := strconv.Atoi(string(id[1:]))
			return fmt.Appendf(id[:1], "%010d", n%requests+gen)
		})
		b.StartTimer()
	}
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	p.airlockJoin.j.Release(nil) // complete requests still held for late records (the first chunks)
	if c := p.airlockJoin.j.Counters(); c.Joined != uint64(records*b.N) {
		b.Fatalf("joined %d of %d records: %s", c.Joined, records*b.N, c)
	}
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestConcurrentMWGFlushesWarn: a flush with trace lines that meets
// another one (Fluent Bit's workers > 1) warns once, and both go on.
func TestConcurrentMWGFlushesWarn(t *testing.T) {
	var out bytes.Buffer
	var logs lockedBuffer
	cfg := testConfig(func(c *config.Config) {
		c.MWG = config.MWG{PathKey: "file", Join: mwgjoin.Config{IdleTimeout: time.Minute, MaxConnections: 100, MaxBytes: 1 << 20, Clock: correlate.ClockRecord}}
	})
	log := flblog.New(&logs, "welf", "welf.0", flblog.Info).WithClock(func() time.Time { return evTime })
	p, err := New(cfg, &destination.Destination{Sink: sink.NewWriter(&out, false)}, log)
	if err != nil {
		t.Fatal(err)
	}
	line := func(conn string) []byte {
		return eventtest.AppendV2(nil, evTime, map[string]any{"log": ">>>", "file": "/t/HTTP-" + conn + "-C.txt"})
	}
	// The first flush is held in the middle of its chunk.
	first := p.workers.Get().(*worker)
	first.reset("mwg")
	if !first.processMWG(&event.Event{Time: evTime}, traceRecord{path: []byte("/t/HTTP-1-C.txt"), line: []byte(">>>"), offset: -1}) {
		t.Fatal("trace line not taken")
	}
	// A chunk without trace lines neither waits for it nor counts.
	if _, err := p.Flush(eventtest.AppendV2(nil, evTime, map[string]any{"log": summaryLine}), "t"); err != nil {
		t.Fatal(err)
	}
	if logs.String() != "" {
		t.Fatalf("logs after an Airlock chunk:\n%s", logs.String())
	}
	done := make(chan error)
	for range 2 {
		go func() {
			_, err := p.Flush(line("2"), "mwg")
			done <- err
		}()
	}
	const warning = "[ warn] [output:welf:welf.0] MWG trace lines arrive in concurrent flushes (workers > 1 on this output): " +
		"Fluent Bit can then hand a file's lines over out of order, which splits and garbles transactions; set workers 1\n"
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), warning) && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	first.releaseJoiners()
	p.workers.Put(first)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if got := logs.String(); strings.Count(got, warning) != 1 || strings.Count(got, "\n") != 1 {
		t.Errorf("logs:\n%s\nwant the warning once:\n%s", got, warning)
	}
	if n := p.mwgJoin.holders.Load(); n != 0 {
		t.Errorf("%d flushes still counted", n)
	}
}
