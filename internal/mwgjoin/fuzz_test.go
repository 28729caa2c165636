package mwgjoin

import (
	"bytes"
	"github.com/welfbridge/welfbridge/internal/correlate"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/mwg"
	"github.com/welfbridge/welfbridge/internal/welf"
)

// fuzzPaths are the files a fuzz input writes to: the sides of HTTP, FTP
// and ICAP connections, the same id in another directory, another
// protocol, and names that do not parse.
var fuzzPaths = [16]string{
	"/t/HTTP-1-C.txt", "/t/HTTP-1-S.txt", "/t/HTTP-2-C.txt", "/t/HTTP-2-S.txt",
	"/t/FTP-3-CC.txt", "/t/FTP-3-CL.txt", "/t/FTP-3-SC.txt", "/t/FTP-3-SD.txt",
	"/t/ICAP-4-C.txt", "/t/ICAP-4-S.txt", "/u/HTTP-1-S.txt", "/t/SOCKS-5-C.txt",
	"/t/HTTP-1-X.txt", "/t/access.log", "/t/HTTP-1-c.txt", "",
}

// fuzzRecords encodes records for FuzzJoiner: each is a selector byte and
// its data, records separated by 0x1e. The selector's low 4 bits pick the
// path, bit 4 calls Tick after the record, bits 5-6 advance the event time
// by 0, 1, 30 or 90 seconds, bit 7 restarts the file's offset at 0.
func fuzzRecords(recs ...tailRecord) []byte {
	var b []byte
	for i, r := range recs {
		sel := byte(0)
		for k, p := range fuzzPaths {
			if p == r.path {
				sel = byte(k)
			}
		}
		if i > 0 {
			b = append(b, 0x1e)
		}
		b = append(append(b, sel|0x20), r.line...)
	}
	return b
}

func FuzzJoiner(f *testing.F) {
	rename := func(recs []tailRecord, path string) []tailRecord {
		for i := range recs {
			recs[i].path = path
		}
		return recs
	}
	fixture := func(name, as string, keepCR bool) []tailRecord {
		return rename(tailLines(name, readTrace(f, name), keepCR), as)
	}
	f.Add(fuzzRecords(roundRobin(fixture("HTTP-1a2b3c-C.txt", fuzzPaths[0], false), fixture("HTTP-1a2b3c-S.txt", fuzzPaths[1], false))...))
	f.Add(fuzzRecords(roundRobin(fixture("HTTP-2c0004-C.txt", fuzzPaths[2], true), fixture("HTTP-2c0004-S.txt", fuzzPaths[3], false))...))
	f.Add(fuzzRecords(roundRobin(fixture("FTP-2c0007-CC.txt", fuzzPaths[4], false), fixture("FTP-2c0007-CL.txt", fuzzPaths[5], false),
		fixture("FTP-2c0007-SC.txt", fuzzPaths[6], false), fixture("FTP-2c0007-SD.txt", fuzzPaths[7], false))...))
	f.Add(fuzzRecords(append(fixture("ICAP-2c0009-C.txt", fuzzPaths[8], false), fixture("ICAP-2c0008-S.txt", fuzzPaths[9], false)...)...))
	f.Add(fuzzRecords(roundRobin(fixture("HTTP-3e0001-C.txt", fuzzPaths[0], false), fixture("HTTP-3e0001-S.txt", fuzzPaths[10], false),
		fixture("HTTP-2c000b-S.txt", fuzzPaths[1], false), fixture("HTTP-2c0011-S.txt", fuzzPaths[11], false))...))
	f.Add([]byte("\x00>>>\n\x01\x1e\x2dGET / HTTP/1.1\x1e\xff\x1e\x70<<<"))
	var typed []tailRecord // typed fields from hostile headers and marker lines
	for _, l := range []string{">>> [a]:1 -> 192.0.2.1:2", "GET http://a/ HTTP/1.1", "X-Forwarded-For: a b", "", "<<<", "HTTP/1.1 204 No", ""} {
		typed = append(typed, tailRecord{path: fuzzPaths[0], line: []byte(l)})
	}
	for _, l := range []string{">>> 192.0.2.1:3 -> [::::]:80", "GET http://a/ HTTP/1.1", "", "<<<", "HTTP/1.1 204 No", ""} {
		typed = append(typed, tailRecord{path: fuzzPaths[1], line: []byte(l)})
	}
	f.Add(fuzzRecords(typed...))

	f.Fuzz(func(t *testing.T, input []byte) {
		cfg := Config{
			Stream:         mwg.DefaultOptions(),
			IdleTimeout:    time.Minute,
			MaxConnections: 3,
			MaxBytes:       48 << 10,
			Clock:          correlate.ClockRecord,
		}
		cfg.Stream.MaxHeaderBytes = mwg.MinMaxHeaderBytes
		j, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		b := welf.NewBuilder(welf.Options{Location: time.UTC})
		emit := func(o *Output) {
			if o.Client == nil && o.Server == nil {
				t.Fatal("output without transaction")
			}
			b.Begin(welf.Header{ID: "firewall", Time: o.Time(), FW: "mwg01", Pri: o.Pri()})
			o.WriteWELF(b)
			if _, err := b.Finish(); err != nil {
				t.Fatalf("encoding: %v", err)
			}
			o.WriteWELF(typedChecker{t})
		}
		now := t0
		var offsets [len(fuzzPaths)]int64
		for rec := range bytes.SplitSeq(input, []byte{0x1e}) {
			if len(rec) == 0 {
				continue
			}
			sel, data := rec[0], rec[1:]
			k := sel & 0x0f
			now = now.Add([...]time.Duration{0, time.Second, 30 * time.Second, 90 * time.Second}[sel>>5&3])
			if sel&0x80 != 0 {
				offsets[k] = 0
			}
			err := j.Add([]byte(fuzzPaths[k]), offsets[k], data, now, emit)
			offsets[k] += int64(len(data)) + 1
			if err != nil && k < 12 {
				t.Fatalf("Add(%q): %v", fuzzPaths[k], err)
			}
			if sel&0x10 != 0 {
				j.Tick(emit)
			}
			cs := j.Counters()
			if cs.PendingBytes > cfg.MaxBytes || cs.ConnsOpen > cfg.MaxConnections {
				t.Fatalf("state not bounded: %s", cs)
			}
		}
		j.Drain(emit)
		cs := j.Counters()
		if err := cs.Check(); err != nil {
			t.Fatal(err)
		}
		if cs.ConnsOpen != 0 || cs.PendingBytes != 0 {
			t.Fatalf("state left after Drain: %s", cs)
		}
	})
}
