package forwardtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Certs is a test PKI generated in memory: a CA with a server certificate
// it signed, and an unrelated CA that verifies nothing. Every key is ECDSA
// P-256.
type Certs struct {
	CA      *x509.CertPool  // trusts the CA that signed Server
	OtherCA *x509.CertPool  // trusts only an unrelated CA
	Server  tls.Certificate // for localhost, 127.0.0.1 and ::1

	// The same as PEM files, for programs outside the test process.
	CAFile, ServerCertFile, ServerKeyFile string
}

// NewCerts generates a fresh set of certificates, valid from an hour ago
// for a day.
func NewCerts(t testing.TB) *Certs {
	t.Helper()
	now := time.Now()
	ca, caKey := newCA(t, "forwardtest CA", now)
	other, _ := newCA(t, "forwardtest unrelated CA", now)

	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(3),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatalf("forwardtest: create server certificate: %v", err)
	}
	c := &Certs{
		CA:      x509.NewCertPool(),
		OtherCA: x509.NewCertPool(),
		Server:  tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
	}
	c.CA.AddCert(ca)
	c.OtherCA.AddCert(other)

	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("forwardtest: marshal server key: %v", err)
	}
	dir := t.TempDir()
	c.CAFile = writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", ca.Raw)
	c.ServerCertFile = writePEM(t, filepath.Join(dir, "server.pem"), "CERTIFICATE", der)
	c.ServerKeyFile = writePEM(t, filepath.Join(dir, "server.key"), "PRIVATE KEY", keyDER)
	return c
}

// ServerConfig returns a TLS server configuration with the server
// certificate, for Options.TLS.
func (c *Certs) ServerConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c.Server}, MinVersion: tls.VersionTLS12}
}

// ClientConfig returns a TLS client configuration that trusts CA.
func (c *Certs) ClientConfig() *tls.Config {
	return &tls.Config{RootCAs: c.CA, MinVersion: tls.VersionTLS12}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("forwardtest: generate key: %v", err)
	}
	return key
}

func newCA(t testing.TB, name string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("forwardtest: create CA %q: %v", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("forwardtest: parse CA %q: %v", name, err)
	}
	return cert, key
}

func writePEM(t testing.TB, path, blockType string, der []byte) string {
	t.Helper()
	data := pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("forwardtest: %v", err)
	}
	return path
}
