package transport

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// TLSOptions configures the TLS client of the "tls" carrier.
type TLSOptions struct {
	CAFile     string // PEM CA certificates to trust instead of the system roots
	CertFile   string // PEM client certificate (chain) for mutual TLS; needs KeyFile
	KeyFile    string // PEM private key of CertFile
	ServerName string // name to verify; empty means the host part of the address
	// SkipVerify accepts any server certificate. Off unless asked for: the
	// zero value must be the safe one. Callers log a warning when it is on.
	SkipVerify bool
}

// NewTLSConfig builds a client configuration: TLS 1.2 or newer, the system
// roots unless CAFile is given, and a client certificate when CertFile and
// KeyFile are both given. Errors name the file and the problem.
func NewTLSConfig(o TLSOptions) (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         o.ServerName,
		InsecureSkipVerify: o.SkipVerify,
	}
	if o.CAFile != "" {
		pool, err := loadCAs(o.CAFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	switch {
	case o.CertFile != "" && o.KeyFile != "":
		cert, err := loadKeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	case o.CertFile != "":
		return nil, fmt.Errorf("TLS certificate file %s given without a key file", o.CertFile)
	case o.KeyFile != "":
		return nil, fmt.Errorf("TLS key file %s given without a certificate file", o.KeyFile)
	}
	return cfg, nil
}

func loadCAs(path string) (*x509.CertPool, error) {
	const kind = "TLS CA file"
	data, err := readFile(kind, path)
	if err != nil {
		return nil, err
	}
	certs, err := parseCertificates(kind, path, data)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, cert := range certs {
		pool.AddCert(cert)
	}
	return pool, nil
}

func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	// Each file is checked on its own first, so that an error names it;
	// tls.X509KeyPair alone cannot always tell which input was wrong.
	const kind = "TLS certificate file"
	certPEM, err := readFile(kind, certFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	if _, err := parseCertificates(kind, certFile, certPEM); err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := readFile("TLS key file", keyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	if !hasPrivateKey(keyPEM) {
		return tls.Certificate{}, fmt.Errorf("TLS key file %s: no PEM private key found", keyFile)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("TLS certificate file %s with key file %s: %w", certFile, keyFile, err)
	}
	return cert, nil
}

// parseCertificates parses every CERTIFICATE block of the PEM file path;
// there must be at least one.
func parseCertificates(kind, path string, data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s %s: certificate %d: %w", kind, path, len(certs)+1, err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s %s: no PEM certificate found", kind, path)
	}
	return certs, nil
}

func hasPrivateKey(data []byte) bool {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return false
		}
		if strings.HasSuffix(block.Type, "PRIVATE KEY") {
			return true
		}
	}
}

func readFile(kind, path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		// The path error repeats the path; keep only what went wrong.
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			err = pathErr.Err
		}
		return nil, fmt.Errorf("%s %s: %w", kind, path, err)
	}
	return data, nil
}
