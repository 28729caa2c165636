package delivery

import (
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/sink"
)

func TestFramesRoundTrip(t *testing.T) {
	recs := []sink.Record{
		{Time: time.Date(2024, 3, 5, 9, 12, 44, 123456789, time.UTC), Severity: 6, Host: "gw1", Line: []byte(`id=firewall fw=gw1 msg="a b"`)},
		{Severity: 0, Host: "", Line: nil}, // zero time, empty host and line
		{Time: time.Unix(0, -1), Severity: 7, Host: strings.Repeat("h", 200), Line: []byte("\x00\r\n")},
	}
	frames, err := encodeBatch(nil, recs, true)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for b := frames; len(b) > 0; {
		f, size, ok := nextFrame(b)
		if !ok {
			t.Fatalf("undecodable frame at %d", len(frames)-len(b))
		}
		got = append(got, describe(sink.Record{Time: f.time(), Severity: int(f.severity), Host: string(f.host), Line: f.line}))
		b = b[size:]
	}
	var wantDesc []string
	for _, r := range recs {
		wantDesc = append(wantDesc, describe(r))
	}
	equal(t, "decoded", got, wantDesc)
	// 200 bytes of host take a two-byte length.
	if want := 3*frameHeaderLen + 3*9 + 1 + 3 + 28 + 1 + 2 + 200 + 3; len(frames) != want {
		t.Errorf("%d bytes of frames, want %d", len(frames), want)
	}
}

func TestEncodeBatchArena(t *testing.T) {
	recs := testRecords(0, 10) // 290 bytes of frames
	for _, tt := range []struct {
		capacity int
		reused   bool
	}{{capacity: 290, reused: true}, {capacity: 580, reused: true}, {capacity: 581, reused: false}, {capacity: 100, reused: false}} {
		arena := make([]byte, 7, tt.capacity)
		frames, err := encodeBatch(arena, recs, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(frames) != 10*recFrameLen {
			t.Errorf("capacity %d: %d bytes of frames", tt.capacity, len(frames))
		}
		if reused := &frames[:1][0] == &arena[:1][0]; reused != tt.reused {
			t.Errorf("capacity %d: reused %v, want %v", tt.capacity, reused, tt.reused)
		}
	}
}
