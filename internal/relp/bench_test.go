package relp

import (
	"crypto/tls"
	"runtime"
	"testing"

	"github.com/welfbridge/welfbridge/internal/sink/sinktest"
	"github.com/welfbridge/welfbridge/internal/syslog"
	"github.com/welfbridge/welfbridge/internal/transport"
	"github.com/welfbridge/welfbridge/internal/transport/rsyslogtest"
)

// BenchmarkSend delivers batches of 1000 WELF records of about 400 bytes,
// the size of a typical Airlock access record, with the default window:
// to an in-test server that acknowledges at once (the client alone), over
// TLS to the same, and to rsyslogd's imrelp writing two files.
func BenchmarkSend(b *testing.B) {
	certs := rsyslogtest.GenerateCerts(b)
	serverCert, err := tls.LoadX509KeyPair(certs.ServerCert, certs.ServerKey)
	if err != nil {
		b.Fatal(err)
	}
	clientTLS, err := transport.NewTLSConfig(transport.TLSOptions{CAFile: certs.CAFile})
	if err != nil {
		b.Fatal(err)
	}
	recs := sinktest.Records("benchmark", 1000)
	for i := range recs {
		recs[i].Line = append(recs[i].Line, ` sent=1532 rcvd=48213 duration=0.182 ref=https://portal.example.com/ agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36"`...)
	}
	var lineBytes int
	for i := range recs {
		lineBytes += len(recs[i].Line)
	}
	receivers := []struct {
		name  string
		start func(b *testing.B) Config
	}{
		{"acker", func(b *testing.B) Config {
			return Config{Address: fakeServer(b, nil, ackAll(nil))}
		}},
		{"acker tls", func(b *testing.B) Config {
			addr := fakeServer(b, &tls.Config{Certificates: []tls.Certificate{serverCert}}, ackAll(nil))
			return Config{Address: addr, TLS: clientTLS}
		}},
		{"rsyslog", func(b *testing.B) Config {
			return Config{Address: rsyslogtest.Start(b, rsyslogtest.Config{RELP: true}).RELPAddr}
		}},
	}
	for _, r := range receivers {
		b.Run(r.name, func(b *testing.B) {
			cfg := r.start(b)
			cfg.Syslog = syslog.Options{Facility: syslog.DefaultFacility}
			c := newClient(b, cfg)
			if err := c.Send(recs); err != nil { // connect outside the measurement
				b.Fatal(err)
			}

			b.ReportAllocs()
			b.SetBytes(int64(lineBytes))
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for b.Loop() {
				if err := c.Send(recs); err != nil {
					b.Fatal(err)
				}
			}
			runtime.ReadMemStats(&after)
			records := float64(b.N * len(recs))
			b.ReportMetric(records/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/records, "allocs/record")
			b.ReportMetric(float64(lineBytes)/float64(len(recs)), "bytes/record")
		})
	}
}
