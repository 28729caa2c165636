package destination

import (
	"net"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/failover"
	"github.com/welfbridge/welfbridge/internal/sink"
)

// TestReceiverStats: a destination of several receivers reads its pool's
// live counters, receivers by their host:port in list order; one receiver
// has none.
func TestReceiverStats(t *testing.T) {
	var addrs []string
	for range 2 {
		conn, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		addrs = append(addrs, conn.LocalAddr().String())
	}
	one, err := Open(parse(t, map[string]string{"Destination": "udp://" + addrs[0]}), nil, new(logs))
	if err != nil {
		t.Fatal(err)
	}
	one.Sink.Close()
	if one.ReceiverStats != nil {
		t.Error("stats of receivers for a destination of one")
	}

	d, err := Open(parse(t, map[string]string{"Destination": "udp://" + addrs[0] + ",udp://" + addrs[1]}), nil, new(logs))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Sink.Close()
	if d.ReceiverStats == nil {
		t.Fatal("no stats of receivers for a destination of two")
	}
	if err := d.Sink.Send([]sink.Record{rec}); err != nil {
		t.Fatal(err)
	}
	var s failover.Stats
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		d.ReceiverStats(&s)
		if len(s.Receivers) == 2 && s.Receivers[0].Sent == 1 || time.Now().After(deadline) {
			break
		}
	}
	if len(s.Receivers) != 2 || s.Receivers[0].Name != addrs[0] || s.Receivers[0].Sent != 1 || s.Receivers[0].State != failover.Up ||
		s.Receivers[1].Name != addrs[1] || s.Receivers[1].Sent != 0 {
		t.Errorf("stats %+v", s)
	}
}
