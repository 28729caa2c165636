package transport

import (
	"crypto/tls"
	"testing"

	"github.com/welfbridge/welfbridge/internal/sink"
	"github.com/welfbridge/welfbridge/internal/sink/sinktest"
	"github.com/welfbridge/welfbridge/internal/syslog"
	"github.com/welfbridge/welfbridge/internal/transport/rsyslogtest"
)

// BenchmarkSend delivers batches of 1000 WELF records of about 400 bytes,
// the size of a typical Airlock access record, to a local receiver.
func BenchmarkSend(b *testing.B) {
	certs := rsyslogtest.GenerateCerts(b)
	serverCert, err := tls.LoadX509KeyPair(certs.ServerCert, certs.ServerKey)
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
	for _, network := range []string{"tcp", "tls"} {
		b.Run(network, func(b *testing.B) {
			cfg := Config{Network: network, Syslog: syslog.Options{Facility: syslog.DefaultFacility}}
			var serverTLS *tls.Config
			if network == "tls" {
				cfg = *tlsConfig(b, TLSOptions{CAFile: certs.CAFile, ServerName: "localhost"})
				cfg.Syslog = syslog.Options{Facility: syslog.DefaultFacility}
				serverTLS = &tls.Config{Certificates: []tls.Certificate{serverCert}}
			}
			cfg.Address = sinktest.Listen(b, serverTLS, sinktest.Discard)
			snk := newSink(b, cfg)
			send := func(recs []sink.Record) {
				if err := snk.Send(recs); err != nil {
					b.Fatal(err)
				}
			}
			send(recs) // connect outside the measurement

			b.ReportAllocs()
			b.SetBytes(int64(lineBytes))
			for b.Loop() {
				send(recs)
			}
			b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(lineBytes)/float64(len(recs)), "bytes/record")
		})
	}
}
