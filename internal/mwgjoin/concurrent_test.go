package mwgjoin

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// keepAliveTrace returns the client and server sides of a keep-alive
// connection with three requests: a GET with a body, a POST and a
// conditional GET answered 304. CRs are left out (tail strips them).
func keepAliveTrace(i int) (client, server string) {
	host := fmt.Sprintf("h%d.example.com", i)
	var c, s strings.Builder
	for k, req := range []struct{ method, body, status, respBody string }{
		{"GET", "", "200 OK", "<p>hello</p>"},
		{"POST", "q=1&r=2", "200 OK", `{"ok":true}`},
		{"GET", "", "304 Not Modified", ""},
	} {
		for _, side := range []*strings.Builder{&c, &s} {
			target := fmt.Sprintf("/%d/%d", i, k)
			if side == &c {
				target = "http://" + host + target
			}
			fmt.Fprintf(side, ">>>\n%s %s HTTP/1.1\nHost: %s\nUser-Agent: loadgen/1.0\n", req.method, target, host)
			if side == &s {
				fmt.Fprintf(side, "X-Forwarded-For: 10.0.%d.%d\n", i/256, i%256)
			}
			if req.body != "" {
				fmt.Fprintf(side, "Content-Length: %d\n\n%s\n", len(req.body)+1, req.body)
			} else {
				side.WriteString("\n")
			}
			fmt.Fprintf(side, "<<<\nHTTP/1.1 %s\n", req.status)
			if req.respBody != "" {
				fmt.Fprintf(side, "Content-Length: %d\n\n%s\n", len(req.respBody)+1, req.respBody)
			} else {
				side.WriteString("\n")
			}
		}
	}
	return c.String(), s.String()
}

// TestConcurrentConnections feeds 1,000 connections at once, every line of
// every file interleaved with the others, and checks that each transaction
// is emitted exactly once, joined, while the state stays bounded.
func TestConcurrentConnections(t *testing.T) {
	const conns = 1000
	var files [][]tailRecord
	for i := range conns {
		c, s := keepAliveTrace(i)
		id := fmt.Sprintf("%x", 0x100000+i)
		files = append(files,
			tailLines(traceDir+"HTTP-"+id+"-C.txt", []byte(c), false),
			tailLines(traceDir+"HTTP-"+id+"-S.txt", []byte(s), false))
	}
	recs := roundRobin(files...)

	cfg := recordTime()
	cfg.MaxConnections = conns
	cfg.MaxBytes = 16 << 20
	f := newFeeder(t, cfg) // checks the caps after every record
	f.feed(recs)
	live := strings.Split(strings.TrimSuffix(f.c.take(), "\n"), "\n")

	cs := f.j.Counters()
	if cs.Joined != 3*conns || cs.ClientOnly != 0 || cs.ServerOnly != 0 || cs.Transactions != 6*conns || cs.ConnsOpen != conns || cs.ConnsPressure != 0 {
		t.Fatalf("counters: %s", cs)
	}
	// Nothing waits once every pair is joined; what is left is the
	// decoders' state, a few KiB per connection.
	f.j.conns.Range(func(key string, c *conn, _ time.Time) bool {
		if c.waiting() != 0 {
			t.Errorf("%s still holds %d bytes of transactions", key, c.waiting())
		}
		return true
	})
	if perConn := cs.PendingBytes / conns; perConn > 8<<10 {
		t.Errorf("%d bytes retained per idle connection", perConn)
	}

	seen := make(map[string]int)
	for _, l := range live {
		i := strings.Index(l, " arg=")
		arg, _, _ := strings.Cut(l[i+len(" arg="):], " ")
		seen[arg]++
	}
	for i := range conns {
		for k := range 3 {
			if arg := fmt.Sprintf("http://h%d.example.com/%d/%d", i, i, k); seen[arg] != 1 {
				t.Fatalf("%s emitted %d times", arg, seen[arg])
			}
		}
	}

	// Spot checks. Records are fed one second apart, round-robin: a round
	// has a line of each of the 2,000 files (client files have 30 lines,
	// server files 33), connection i's at 2i and 2i+1. A pair is complete
	// with the last line of its later side: request 0's server side ends
	// on line 10 (record 10*2000+1 for connection 0), request 1's on line
	// 23, request 2's on line 32 (record 30*2000+2*1000+999 for connection
	// 999, client files being done). Counts are of CR-less lines plus LF.
	for _, tt := range []struct {
		i, k int
		want string
	}{
		{0, 0, `id=firewall time="2024-03-05 14:33:21" fw=mwg01 pri=6 proto=http src=10.0.0.0 dstport=80 dstname=h0.example.com op=GET arg=http://h0.example.com/0/0 result=200 sent=85 rcvd=49 agent=loadgen/1.0 conn=100000 upstream_sent=90 upstream_rcvd=49`},
		{500, 1, `id=firewall time="2024-03-05 22:03:21" fw=mwg01 pri=6 proto=http src=10.0.1.244 dstport=80 dstname=h500.example.com op=POST arg=http://h500.example.com/500/1 result=200 sent=118 rcvd=48 agent=loadgen/1.0 conn=1001f4 upstream_sent=123 upstream_rcvd=48`},
		{999, 2, `id=firewall time="2024-03-06 02:29:59" fw=mwg01 pri=6 proto=http src=10.0.3.231 dstport=80 dstname=h999.example.com op=GET arg=http://h999.example.com/999/2 result=304 sent=91 rcvd=27 agent=loadgen/1.0 conn=1003e7 upstream_sent=96 upstream_rcvd=27`},
	} {
		arg := fmt.Sprintf(" arg=http://h%d.example.com/%d/%d ", tt.i, tt.i, tt.k)
		found := false
		for _, l := range live {
			if strings.Contains(l, arg) {
				found = true
				if l != tt.want {
					t.Errorf("got:\n%s\nwant:\n%s", l, tt.want)
				}
			}
		}
		if !found {
			t.Errorf("no output for%s", arg)
		}
	}

	if got := f.drain(); got != "" {
		t.Errorf("Drain emitted:\n%s", got)
	}
}
