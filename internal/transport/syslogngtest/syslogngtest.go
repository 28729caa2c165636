// Package syslogngtest runs a private syslog-ng from Debian's syslog-ng-core
// package as a syslog receiver for integration tests.
//
// Debian's syslog-ng-core conflicts with rsyslog, which the other tests
// need, so it is not installed: `make deps` unpacks the package into
// build/syslog-ng and installs only its libraries. Each Server has its own
// configuration, persist, pid and control files in a temporary directory,
// no system sources, and one syslog() source, TCP or TLS, on a free
// loopback port (RFC 5424 or RFC 3164, octet-counted or LF-framed). Every
// message is parsed with kv-parser(prefix(".welf.")), syslog-ng's key=value
// parser for WELF, and written as one JSON line: its MSG and the pairs
// kv-parser found.
//
// Without the unpacked syslog-ng the tests fail rather than skip, so a
// missing receiver is never mistaken for a pass.
package syslogngtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// installHint is appended to every "not installed" failure.
const installHint = "run `make deps` (part of `make test`), which unpacks Debian's syslog-ng-core into build/syslog-ng"

// Config tunes a Server.
type Config struct {
	// Throttle, when above 0, writes at most that many messages a second
	// and applies flow control: once syslog-ng's window is full it stops
	// reading, and with a 64 KiB receive buffer the sender's socket fills
	// soon, as with a slow receiver. A kill then catches the sender
	// mid-stream.
	Throttle int
	// TLS, when set, makes the source a TLS one (RFC 5425) with this
	// server certificate; clients are not asked for one.
	TLS *TLS
}

// TLS is the source's certificate and key, PEM files.
type TLS struct{ CertFile, KeyFile string }

// Record is one message as syslog-ng received and parsed it.
type Record struct {
	MSG string `json:"MSG"`
	// Pairs are the key=value pairs kv-parser found in MSG, without the
	// ".welf." prefix.
	Pairs map[string]string `json:"_welf"`
}

// Server is a running (or stopped) syslog-ng.
type Server struct {
	// TCPAddr is the syslog() source, "127.0.0.1:port": plain TCP, or TLS
	// with Config.TLS.
	TCPAddr string

	t       testing.TB
	cfg     Config
	binary  string
	modules string // the versioned module directory, e.g. …/lib/syslog-ng/3.38
	dir     string
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has exited
}

// startTimeout bounds how long Start waits for syslog-ng to listen.
const startTimeout = 15 * time.Second

// Start starts syslog-ng and waits until it listens. The server is killed
// when the test ends.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	binary, modules := locate(t)
	s := &Server{t: t, cfg: cfg, binary: binary, modules: modules, dir: t.TempDir()}
	t.Cleanup(func() {
		if s.running() {
			s.signal(syscall.SIGKILL)
		}
	})
	// A port picked free may be taken by someone else before syslog-ng
	// binds it; then syslog-ng does not start. Try again with a new port.
	const attempts = 3
	var lastErr error
	for range attempts {
		if err := s.configure(); err != nil {
			t.Fatalf("syslogngtest: %v", err)
		}
		if lastErr = s.start(); lastErr == nil {
			return s
		}
		if s.running() {
			s.signal(syscall.SIGKILL)
		}
	}
	t.Fatalf("syslogngtest: %v\n%s", lastErr, s.Log())
	return nil
}

// Start starts the server again after Stop or Kill, on the same port, and
// appends to the same output file.
func (s *Server) Start() {
	s.t.Helper()
	if s.running() {
		s.t.Fatalf("syslogngtest: Start: syslog-ng is already running")
	}
	if err := s.start(); err != nil {
		s.t.Fatalf("syslogngtest: restart: %v\n%s", err, s.Log())
	}
}

// Stop terminates syslog-ng with SIGTERM (it writes what it received and
// closes its connections) and waits for it to exit.
func (s *Server) Stop() {
	s.t.Helper()
	if err := s.signal(syscall.SIGTERM); err != nil {
		s.t.Fatalf("syslogngtest: stop: %v", err)
	}
}

// Kill kills syslog-ng with SIGKILL and waits for it to exit; the kernel
// then closes its connections.
func (s *Server) Kill() {
	s.t.Helper()
	if err := s.signal(syscall.SIGKILL); err != nil {
		s.t.Fatalf("syslogngtest: kill: %v", err)
	}
}

// Records returns every message written so far.
func (s *Server) Records() []Record {
	s.t.Helper()
	b, err := os.ReadFile(filepath.Join(s.dir, "out.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		s.t.Fatalf("syslogngtest: %v", err)
	}
	// Only complete lines: syslog-ng may be in the middle of writing one.
	b = b[:bytes.LastIndexByte(b, '\n')+1]
	var records []Record
	for line := range strings.Lines(string(b)) {
		var r Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			s.t.Fatalf("syslogngtest: line %d of its output: %v: %q", len(records)+1, err, line)
		}
		records = append(records, r)
	}
	return records
}

// Count returns how many messages have been written so far, without
// parsing them: cheap enough to poll a fast stream with.
func (s *Server) Count() int {
	s.t.Helper()
	b, err := os.ReadFile(filepath.Join(s.dir, "out.json"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		s.t.Fatalf("syslogngtest: %v", err)
	}
	return bytes.Count(b, []byte{'\n'})
}

// Lines returns the MSG of every message written so far.
func (s *Server) Lines() []string {
	s.t.Helper()
	var lines []string
	for _, r := range s.Records() {
		lines = append(lines, r.MSG)
	}
	return lines
}

// WaitRecords polls until at least n messages have been written and returns
// all of them. It fails the test, showing what did arrive, when timeout
// passes first. Call it from the test's goroutine.
func (s *Server) WaitRecords(n int, timeout time.Duration) []Record {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		records := s.Records()
		if len(records) >= n {
			return records
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("syslogngtest: %d of %d messages arrived within %v\nsyslog-ng log:\n%s", len(records), n, timeout, s.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Log returns what syslog-ng wrote to its standard output and error, for
// failure messages.
func (s *Server) Log() string {
	b, err := os.ReadFile(filepath.Join(s.dir, "syslog-ng.log"))
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// configure picks a free port and writes syslog-ng.conf.
func (s *Server) configure() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s.TCPAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	transport := `transport("tcp")`
	if tls := s.cfg.TLS; tls != nil {
		transport = fmt.Sprintf(`transport("tls") tls(cert-file(%q) key-file(%q) peer-verify(optional-untrusted))`, tls.CertFile, tls.KeyFile)
	}
	rcvbuf, throttle, flags := "", "", ""
	if s.cfg.Throttle > 0 {
		rcvbuf = " so-rcvbuf(65536)"
		throttle, flags = fmt.Sprintf(" throttle(%d)", s.cfg.Throttle), " flags(flow-control);"
	}
	// keep-timestamp(no) and flush-lines(1): the file holds every message
	// as soon as it was received, so tests can poll it. The network
	// source's max-connections is raised for failover's probes.
	conf := fmt.Sprintf(`@version: %s
options { stats-freq(0); flush-lines(1); log-msg-size(262144); keep-hostname(yes); };
source s_welf { syslog(ip("127.0.0.1") port(%d) %s max-connections(100) log-msg-size(262144)%s); };
parser p_welf { kv-parser(prefix(".welf.")); };
destination d_json { file(%q template("$(format-json --scope dot-nv-pairs --key MSG)\n")%s); };
log { source(s_welf); parser(p_welf); destination(d_json);%s };
`, filepath.Base(s.modules), port, transport, rcvbuf, filepath.Join(s.dir, "out.json"), throttle, flags)
	return os.WriteFile(filepath.Join(s.dir, "syslog-ng.conf"), []byte(conf), 0o600)
}

// start runs syslog-ng and waits until it has started up, which it does
// only after binding its source.
func (s *Server) start() error {
	logPath := filepath.Join(s.dir, "syslog-ng.log")
	before := s.startups()
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child has its own copy
	cmd := exec.Command(s.binary, "-F", "-e", "--no-caps",
		"-f", filepath.Join(s.dir, "syslog-ng.conf"),
		"--module-path", s.modules,
		"--persist-file", filepath.Join(s.dir, "syslog-ng.persist"),
		"--pidfile", filepath.Join(s.dir, "syslog-ng.pid"),
		"--control", filepath.Join(s.dir, "syslog-ng.ctl"))
	// The unpacked libsyslog-ng is not where the binary's RUNPATH points.
	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+filepath.Dir(s.modules))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start syslog-ng: %w", err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) {
		cmd.Wait()
		close(exited)
	}(s.exited)

	deadline := time.Now().Add(startTimeout)
	for s.startups() == before {
		if !s.running() {
			return fmt.Errorf("syslog-ng exited: %v", cmd.ProcessState)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("syslog-ng did not start up within %v", startTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// startups counts syslog-ng's "starting up" log lines.
func (s *Server) startups() int {
	return strings.Count(s.Log(), "syslog-ng starting up;")
}

func (s *Server) running() bool {
	if s.exited == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// signal sends sig and waits for syslog-ng to exit, killing it when it
// takes too long.
func (s *Server) signal(sig syscall.Signal) error {
	if !s.running() {
		return errors.New("syslog-ng is not running")
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		return err
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("syslog-ng ignored %v for 10s and was killed", sig)
	}
}

// locate finds the unpacked syslog-ng under the repository's build
// directory and its module directory.
func locate(t testing.TB) (binary, modules string) {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatalf("syslogngtest: cannot locate the repository")
	}
	// This file is internal/transport/syslogngtest/syslogngtest.go.
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	binary = filepath.Join(root, "build", "syslog-ng", "usr", "sbin", "syslog-ng")
	if _, err := os.Stat(binary); err != nil {
		t.Fatalf("syslogngtest: syslog-ng is not unpacked: %v: %s", err, installHint)
	}
	modules = modulePath(filepath.Join(root, "build", "syslog-ng", "usr", "lib", "syslog-ng"))
	if modules == "" {
		t.Fatalf("syslogngtest: no syslog-ng module directory under build/syslog-ng: %s", installHint)
	}
	return binary, modules
}

// modulePath returns the versioned module directory (e.g. 3.38) under
// libDir, the one that holds the file destination, or "".
func modulePath(libDir string) string {
	matches, _ := filepath.Glob(filepath.Join(libDir, "*", "libaffile.so"))
	if len(matches) != 1 {
		return ""
	}
	return filepath.Dir(matches[0])
}
