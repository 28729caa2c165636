package rsyslogtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Certs are PEM files generated with openssl for one test: two unrelated
// CAs and leaf certificates signed by the first. Every key is ECDSA P-256.
type Certs struct {
	CAFile      string // the CA that signed every leaf below
	OtherCAFile string // an unrelated CA: verifying any leaf with it fails

	ServerCert, ServerKey       string // localhost, 127.0.0.1 and ::1
	ClientCert, ClientKey       string // CN=welfbridge, for client authentication
	ExpiredCert, ExpiredKey     string // like the server certificate, but valid only on 2020-01-01
	WrongNameCert, WrongNameKey string // wrong.example only
}

// opensslConf is a self-contained openssl configuration, so the result does
// not depend on the system's openssl.cnf.
const opensslConf = `[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
default_ca = testca
[testca]
database = index.txt
serial = serial
new_certs_dir = issued
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = supplied
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
[wrongname]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example
`

// GenerateCerts writes a fresh set of certificates into a temporary
// directory. It fails the test with a hint when openssl is missing.
func GenerateCerts(t testing.TB) *Certs {
	t.Helper()
	openssl := lookPath(t, "openssl")
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(openssl, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "OPENSSL_CONF="+filepath.Join(dir, "openssl.cnf"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	for name, content := range map[string]string{
		"openssl.cnf": opensslConf,
		"index.txt":   "",
		"serial":      "1000\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "issued"), 0o700); err != nil {
		t.Fatal(err)
	}
	newKey := []string{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"}
	newCA := func(name, subject string) {
		t.Helper()
		run(append([]string{"req", "-x509", "-config", "openssl.cnf", "-days", "2",
			"-subj", subject, "-keyout", name + ".key", "-out", name + ".pem",
			"-addext", "basicConstraints=critical,CA:TRUE",
			"-addext", "keyUsage=critical,keyCertSign,cRLSign"}, newKey...)...)
	}
	// issue signs a leaf with the first CA; validity is -days or
	// -startdate/-enddate.
	issue := func(name, subject, extensions string, validity ...string) {
		t.Helper()
		run(append([]string{"req", "-new", "-config", "openssl.cnf", "-subj", subject,
			"-keyout", name + ".key", "-out", name + ".csr"}, newKey...)...)
		run(append([]string{"ca", "-batch", "-config", "openssl.cnf", "-notext",
			"-cert", "ca.pem", "-keyfile", "ca.key", "-extensions", extensions,
			"-in", name + ".csr", "-out", name + ".pem"}, validity...)...)
	}
	newCA("ca", "/CN=rsyslogtest CA")
	newCA("otherca", "/CN=rsyslogtest other CA")
	issue("server", "/CN=localhost", "server", "-days", "2")
	issue("client", "/CN=welfbridge", "client", "-days", "2")
	issue("expired", "/CN=localhost", "server", "-startdate", "20200101000000Z", "-enddate", "20200102000000Z")
	issue("wrongname", "/CN=wrong.example", "wrongname", "-days", "2")

	path := func(name string) string { return filepath.Join(dir, name) }
	return &Certs{
		CAFile:        path("ca.pem"),
		OtherCAFile:   path("otherca.pem"),
		ServerCert:    path("server.pem"),
		ServerKey:     path("server.key"),
		ClientCert:    path("client.pem"),
		ClientKey:     path("client.key"),
		ExpiredCert:   path("expired.pem"),
		ExpiredKey:    path("expired.key"),
		WrongNameCert: path("wrongname.pem"),
		WrongNameKey:  path("wrongname.key"),
	}
}
