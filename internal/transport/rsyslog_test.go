package transport

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/sink"
	"github.com/welfbridge/welfbridge/internal/sink/sinktest"
	"github.com/welfbridge/welfbridge/internal/syslog"
	"github.com/welfbridge/welfbridge/internal/transport/rsyslogtest"
)

// These tests deliver to a real rsyslogd (see package rsyslogtest).

// waitTimeout bounds every wait for rsyslogd to write what it received.
const waitTimeout = 15 * time.Second

func newSink(t testing.TB, cfg Config) sink.Sink {
	t.Helper()
	snk, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { snk.Close() })
	return snk
}

func tlsConfig(t testing.TB, o TLSOptions) *Config {
	t.Helper()
	cfg, err := NewTLSConfig(o)
	if err != nil {
		t.Fatalf("NewTLSConfig: %v", err)
	}
	return &Config{Network: "tls", TLS: cfg}
}

func TestDeliveryToRsyslog(t *testing.T) {
	certs := rsyslogtest.GenerateCerts(t)
	tests := []struct {
		name    string
		network string
		format  syslog.Format
		framing syslog.Framing
		server  *rsyslogtest.TLS // for "tls"
		client  TLSOptions       // for "tls"
	}{
		{name: "udp rfc5424", network: "udp", format: syslog.FormatRFC5424},
		{name: "udp rfc3164", network: "udp", format: syslog.FormatRFC3164},
		{name: "tcp octet-counting rfc5424", network: "tcp", format: syslog.FormatRFC5424, framing: syslog.FramingOctetCounting},
		{name: "tcp octet-counting rfc3164", network: "tcp", format: syslog.FormatRFC3164, framing: syslog.FramingOctetCounting},
		{name: "tcp lf rfc5424", network: "tcp", format: syslog.FormatRFC5424, framing: syslog.FramingLF},
		{name: "tcp lf raw", network: "tcp", format: syslog.FormatRaw, framing: syslog.FramingLF},
		{
			name: "tls gnutls anon", network: "tls", format: syslog.FormatRFC5424,
			server: &rsyslogtest.TLS{CAFile: certs.CAFile, CertFile: certs.ServerCert, KeyFile: certs.ServerKey},
			client: TLSOptions{CAFile: certs.CAFile},
		},
		{
			name: "tls openssl anon lf", network: "tls", format: syslog.FormatRFC5424, framing: syslog.FramingLF,
			server: &rsyslogtest.TLS{Driver: "ossl", CAFile: certs.CAFile, CertFile: certs.ServerCert, KeyFile: certs.ServerKey},
			client: TLSOptions{CAFile: certs.CAFile, ServerName: "localhost"},
		},
		{
			name: "tls skip verify", network: "tls", format: syslog.FormatRFC5424,
			server: &rsyslogtest.TLS{CAFile: certs.CAFile, CertFile: certs.WrongNameCert, KeyFile: certs.WrongNameKey},
			client: TLSOptions{CAFile: certs.OtherCAFile, SkipVerify: true},
		},
		{
			name: "mtls gnutls x509/certvalid", network: "tls", format: syslog.FormatRFC5424,
			server: &rsyslogtest.TLS{AuthMode: "x509/certvalid", CAFile: certs.CAFile, CertFile: certs.ServerCert, KeyFile: certs.ServerKey},
			client: TLSOptions{CAFile: certs.CAFile, CertFile: certs.ClientCert, KeyFile: certs.ClientKey},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := rsyslogtest.Start(t, rsyslogtest.Config{
				UDP: tt.network == "udp", TCP: tt.network == "tcp", TLS: tt.server,
			})
			cfg := Config{Network: tt.network}
			switch tt.network {
			case "udp":
				cfg.Address = s.UDPAddr
			case "tcp":
				cfg.Address = s.TCPAddr
			case "tls":
				cfg = *tlsConfig(t, tt.client)
				cfg.Address = s.TLSAddr
			}
			cfg.Syslog = syslog.Options{Format: tt.format, Facility: syslog.DefaultFacility}
			cfg.Framing = tt.framing
			snk := newSink(t, cfg)

			recs := sinktest.Records(strings.ReplaceAll(tt.name, " ", "-"), 20)
			// Two batches, so the second reuses the connection and buffers.
			for _, batch := range [][]sink.Record{recs[:7], recs[7:]} {
				if err := snk.Send(batch); err != nil {
					t.Fatalf("Send: %v", err)
				}
			}
			gotRaw := s.WaitRawLines(len(recs), waitTimeout)
			if want := sinktest.SyslogMessages(recs, tt.format); !slices.Equal(gotRaw, want) {
				t.Errorf("received messages:\n got %q\nwant %q", gotRaw, want)
			}
			if tt.format == syslog.FormatRaw {
				return // rsyslogd guesses a header in a headerless message; only rawmsg is meaningful
			}
			if got, want := s.Lines(), sinktest.Lines(recs); !slices.Equal(got, want) {
				t.Errorf("received MSG parts:\n got %q\nwant %q", got, want)
			}
		})
	}
}

// restartRsyslog stops rsyslogd with SIGTERM or SIGKILL and starts it again.
type restartRsyslog func(*rsyslogtest.Server)

var restarts = []struct {
	name    string
	restart restartRsyslog
}{
	{"stopped", func(s *rsyslogtest.Server) { s.Stop(); s.Start() }},
	{"killed", func(s *rsyslogtest.Server) { s.Kill(); s.Start() }},
}

// streamSetup starts rsyslogd with a TCP or TLS input and returns a carrier
// configuration for it.
func streamSetup(t *testing.T, certs *rsyslogtest.Certs, network string) (*rsyslogtest.Server, Config) {
	t.Helper()
	if network == "tcp" {
		s := rsyslogtest.Start(t, rsyslogtest.Config{TCP: true})
		return s, Config{Network: "tcp", Address: s.TCPAddr, Syslog: syslog.Options{Facility: syslog.DefaultFacility}}
	}
	s := rsyslogtest.Start(t, rsyslogtest.Config{
		TLS: &rsyslogtest.TLS{CAFile: certs.CAFile, CertFile: certs.ServerCert, KeyFile: certs.ServerKey},
	})
	cfg := tlsConfig(t, TLSOptions{CAFile: certs.CAFile})
	cfg.Address = s.TLSAddr
	cfg.Syslog = syslog.Options{Facility: syslog.DefaultFacility}
	return s, *cfg
}

func TestReceiverDownAtFirstSend(t *testing.T) {
	certs := rsyslogtest.GenerateCerts(t)
	for _, network := range []string{"tcp", "tls"} {
		t.Run(network, func(t *testing.T) {
			s, cfg := streamSetup(t, certs, network)
			s.Stop()
			snk := newSink(t, cfg)
			recs := sinktest.Records("down-"+network, 10)

			err := snk.Send(recs)
			want := fmt.Sprintf("syslog %s://%s: connect: connection refused", network, cfg.Address)
			if err == nil || err.Error() != want {
				t.Fatalf("Send with the receiver down: %v, want %q", err, want)
			}
			var partial *sink.PartialError
			if errors.As(err, &partial) {
				t.Fatalf("Send with the receiver down reports %d records sent", partial.Sent)
			}

			s.Start()
			if err := snk.Send(recs); err != nil {
				t.Fatalf("Send with the receiver up: %v", err)
			}
			if got, want := s.WaitLines(len(recs), waitTimeout), sinktest.Lines(recs); !slices.Equal(got, want) {
				t.Errorf("received:\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestReceiverRestartWhileIdle: the carrier must notice the connection the
// old receiver closed before writing into it, or the second batch is lost.
func TestReceiverRestartWhileIdle(t *testing.T) {
	certs := rsyslogtest.GenerateCerts(t)
	for _, network := range []string{"tcp", "tls"} {
		for _, r := range restarts {
			t.Run(network+" "+r.name, func(t *testing.T) {
				s, cfg := streamSetup(t, certs, network)
				snk := newSink(t, cfg)
				first := sinktest.Records("before-"+r.name, 5)
				second := sinktest.Records("after-"+r.name, 5)

				if err := snk.Send(first); err != nil {
					t.Fatalf("Send before the restart: %v", err)
				}
				s.WaitLines(len(first), waitTimeout)
				r.restart(s)
				if err := snk.Send(second); err != nil {
					t.Fatalf("Send after the restart: %v", err)
				}
				want := append(sinktest.Lines(first), sinktest.Lines(second)...)
				if got := s.WaitLines(len(want), waitTimeout); !slices.Equal(got, want) {
					t.Errorf("received:\n got %q\nwant %q", got, want)
				}
			})
		}
	}
}

func TestTLSRefused(t *testing.T) {
	certs := rsyslogtest.GenerateCerts(t)
	tests := []struct {
		name                 string
		serverCert, certKey  string
		clientCA, serverName string
		wantErr              string // after "syslog tls://ADDR: TLS handshake: tls: failed to verify certificate: "
		wantPrefix           bool   // wantErr is only the beginning: the rest names the current time
		wantType             func(error) bool
	}{{
		name:       "wrong CA",
		serverCert: certs.ServerCert, certKey: certs.ServerKey, clientCA: certs.OtherCAFile,
		wantErr:  "x509: certificate signed by unknown authority",
		wantType: func(err error) bool { return errors.As(err, new(x509.UnknownAuthorityError)) },
	}, {
		name:       "expired certificate",
		serverCert: certs.ExpiredCert, certKey: certs.ExpiredKey, clientCA: certs.CAFile,
		wantErr: "x509: certificate has expired or is not yet valid: current time ", wantPrefix: true,
		wantType: func(err error) bool {
			var invalid x509.CertificateInvalidError
			return errors.As(err, &invalid) && invalid.Reason == x509.Expired
		},
	}, {
		name:       "wrong server name",
		serverCert: certs.WrongNameCert, certKey: certs.WrongNameKey, clientCA: certs.CAFile, serverName: "localhost",
		wantErr:  "x509: certificate is valid for wrong.example, not localhost",
		wantType: func(err error) bool { return errors.As(err, new(x509.HostnameError)) },
	}, {
		name:       "wrong configured server name",
		serverCert: certs.ServerCert, certKey: certs.ServerKey, clientCA: certs.CAFile, serverName: "syslog.example",
		wantErr:  "x509: certificate is valid for localhost, not syslog.example",
		wantType: func(err error) bool { return errors.As(err, new(x509.HostnameError)) },
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := rsyslogtest.Start(t, rsyslogtest.Config{TCP: true, TLS: &rsyslogtest.TLS{
				CAFile: certs.CAFile, CertFile: tt.serverCert, KeyFile: tt.certKey,
			}})
			cfg := tlsConfig(t, TLSOptions{CAFile: tt.clientCA, ServerName: tt.serverName})
			cfg.Address = s.TLSAddr
			snk := newSink(t, *cfg)

			err := snk.Send(sinktest.Records("refused", 3))
			if err == nil {
				t.Fatal("Send succeeded")
			}
			prefix := "syslog tls://" + s.TLSAddr + ": TLS handshake: tls: failed to verify certificate: "
			if msg := err.Error(); tt.wantPrefix && !strings.HasPrefix(msg, prefix+tt.wantErr) ||
				!tt.wantPrefix && msg != prefix+tt.wantErr {
				t.Errorf("error:\n got %q\nwant %q", msg, prefix+tt.wantErr)
			}
			if !tt.wantType(err) {
				t.Errorf("error %v does not unwrap to the certificate problem", err)
			}

			// Nothing of the refused batch arrives: a marker sent afterwards
			// over plain TCP is the only message.
			marker := sinktest.Records("marker", 1)
			plain := newSink(t, Config{Network: "tcp", Address: s.TCPAddr, Syslog: syslog.Options{Facility: syslog.DefaultFacility}})
			if err := plain.Send(marker); err != nil {
				t.Fatal(err)
			}
			if got, want := s.WaitRawLines(1, waitTimeout), sinktest.SyslogMessages(marker, syslog.FormatRFC5424); !slices.Equal(got, want) {
				t.Errorf("received:\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestTLSNothingInClear records what a refused TLS client sends, through a
// proxy in front of rsyslogd: the ClientHello and at most an alert, never
// a record or anything else that could carry a message.
func TestTLSNothingInClear(t *testing.T) {
	certs := rsyslogtest.GenerateCerts(t)
	s := rsyslogtest.Start(t, rsyslogtest.Config{TLS: &rsyslogtest.TLS{
		CAFile: certs.CAFile, CertFile: certs.ServerCert, KeyFile: certs.ServerKey,
	}})
	proxy, recorded := recordingProxy(t, s.TLSAddr)
	cfg := tlsConfig(t, TLSOptions{CAFile: certs.OtherCAFile, ServerName: "localhost"})
	cfg.Address = proxy
	snk := newSink(t, *cfg)

	recs := sinktest.Records("in-clear", 3)
	if err := snk.Send(recs); !errors.As(err, new(x509.UnknownAuthorityError)) {
		t.Fatalf("Send: %v, want an unknown authority error", err)
	}
	var got []byte
	select {
	case got = <-recorded:
	case <-time.After(waitTimeout):
		t.Fatal("the refused client did not close its connection")
	}

	if len(got) < 6 || got[0] != 0x16 || got[1] != 0x03 || got[5] != 0x01 {
		t.Fatalf("the client's first bytes are not a TLS ClientHello: % x", got[:min(len(got), 16)])
	}
	var kinds []string
	for rest := got; len(rest) > 0; {
		if len(rest) < 5 {
			t.Fatalf("truncated TLS record header % x", rest)
		}
		typ, length := rest[0], int(rest[3])<<8|int(rest[4])
		if rest[1] != 0x03 || len(rest) < 5+length {
			t.Fatalf("not a TLS record: % x", rest[:5])
		}
		switch {
		case typ == 0x16 && len(kinds) == 0:
			kinds = append(kinds, "ClientHello")
		case typ == 0x14 && length == 1:
			kinds = append(kinds, "ChangeCipherSpec")
		case typ == 0x15 && length == 2:
			kinds = append(kinds, "alert")
		case typ == 0x17 && length == 2+1+16: // TLS 1.3: an alert, its content type and the AEAD tag
			kinds = append(kinds, "encrypted alert")
		default:
			t.Fatalf("the refused client sent a TLS record of type %#x with %d bytes after %v", typ, length, kinds)
		}
		rest = rest[5+length:]
	}
	for _, line := range sinktest.Lines(recs) {
		if bytes.Contains(got, []byte(line)) {
			t.Fatalf("a WELF line was sent in clear")
		}
	}
	t.Logf("the refused client sent: %v", kinds)
}

// recordingProxy forwards one connection to target and delivers everything
// the client sent once the client has closed.
func recordingProxy(t *testing.T, target string) (string, <-chan []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	recorded := make(chan []byte, 1)
	go func() {
		client, err := ln.Accept()
		if err != nil {
			return
		}
		defer client.Close()
		server, err := net.Dial("tcp", target)
		if err != nil {
			return
		}
		defer server.Close()
		go io.Copy(client, server)
		// Record everything, even what the server no longer takes.
		var got bytes.Buffer
		buf := make([]byte, 32<<10)
		for {
			n, err := client.Read(buf)
			got.Write(buf[:n])
			server.Write(buf[:n])
			if err != nil {
				break
			}
		}
		recorded <- got.Bytes()
	}()
	return ln.Addr().String(), recorded
}
