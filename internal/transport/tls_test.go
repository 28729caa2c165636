package transport

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"

	"github.com/welfbridge/welfbridge/internal/transport/rsyslogtest"
)

func TestNewTLSConfig(t *testing.T) {
	certs := rsyslogtest.GenerateCerts(t)
	cfg, err := NewTLSConfig(TLSOptions{CAFile: certs.CAFile, CertFile: certs.ClientCert, KeyFile: certs.ClientKey, ServerName: "siem.example"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || cfg.ServerName != "siem.example" || cfg.InsecureSkipVerify ||
		cfg.RootCAs == nil || len(cfg.Certificates) != 1 {
		t.Errorf("NewTLSConfig = MinVersion %#x, ServerName %q, InsecureSkipVerify %v, RootCAs %v, %d certificates",
			cfg.MinVersion, cfg.ServerName, cfg.InsecureSkipVerify, cfg.RootCAs != nil, len(cfg.Certificates))
	}

	cfg, err = NewTLSConfig(TLSOptions{SkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || !cfg.InsecureSkipVerify || cfg.RootCAs != nil || len(cfg.Certificates) != 0 {
		t.Errorf("NewTLSConfig(SkipVerify) = MinVersion %#x, InsecureSkipVerify %v, RootCAs %v, %d certificates",
			cfg.MinVersion, cfg.InsecureSkipVerify, cfg.RootCAs != nil, len(cfg.Certificates))
	}
}

func TestNewTLSConfigErrors(t *testing.T) {
	certs := rsyslogtest.GenerateCerts(t)
	dir := t.TempDir()
	file := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	missing := filepath.Join(dir, "missing.pem")
	notPEM := file("notpem.pem", "this is not PEM\n")
	brokenCert := file("broken.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
	keyOnly := certs.ClientKey

	tests := []struct {
		name    string
		opt     TLSOptions
		wantErr string
	}{
		{"CA file missing", TLSOptions{CAFile: missing},
			"TLS CA file " + missing + ": no such file or directory"},
		{"CA file a directory", TLSOptions{CAFile: dir},
			"TLS CA file " + dir + ": is a directory"},
		{"CA file not PEM", TLSOptions{CAFile: notPEM},
			"TLS CA file " + notPEM + ": no PEM certificate found"},
		{"CA file holds only a key", TLSOptions{CAFile: keyOnly},
			"TLS CA file " + keyOnly + ": no PEM certificate found"},
		{"CA file with a broken certificate", TLSOptions{CAFile: brokenCert},
			"TLS CA file " + brokenCert + ": certificate 1: x509: malformed certificate"},
		{"certificate without key", TLSOptions{CertFile: certs.ClientCert},
			"TLS certificate file " + certs.ClientCert + " given without a key file"},
		{"key without certificate", TLSOptions{KeyFile: certs.ClientKey},
			"TLS key file " + certs.ClientKey + " given without a certificate file"},
		{"certificate file missing", TLSOptions{CertFile: missing, KeyFile: certs.ClientKey},
			"TLS certificate file " + missing + ": no such file or directory"},
		{"certificate file not PEM", TLSOptions{CertFile: notPEM, KeyFile: certs.ClientKey},
			"TLS certificate file " + notPEM + ": no PEM certificate found"},
		{"certificate file broken", TLSOptions{CertFile: brokenCert, KeyFile: certs.ClientKey},
			"TLS certificate file " + brokenCert + ": certificate 1: x509: malformed certificate"},
		{"key file missing", TLSOptions{CertFile: certs.ClientCert, KeyFile: missing},
			"TLS key file " + missing + ": no such file or directory"},
		{"key file holds a certificate", TLSOptions{CertFile: certs.ClientCert, KeyFile: certs.ClientCert},
			"TLS key file " + certs.ClientCert + ": no PEM private key found"},
		{"key of another certificate", TLSOptions{CertFile: certs.ClientCert, KeyFile: certs.ServerKey},
			"TLS certificate file " + certs.ClientCert + " with key file " + certs.ServerKey + ": tls: private key does not match public key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewTLSConfig(tt.opt)
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("NewTLSConfig error:\n got %v\nwant %s", err, tt.wantErr)
			}
		})
	}
}
