// Package rsyslogtest runs a private rsyslogd from the Debian packages as a
// syslog receiver for integration tests.
//
// Each Server has its own configuration, work directory and pid file in a
// temporary directory, no system inputs (no /dev/log) and listens on free
// loopback ports only. Every message received on any input is written twice:
// its MSG part (rsyslog's %msg%) to one file and the whole message as
// received (%rawmsg%, without framing) to another, one line each.
//
// The tests need rsyslog, rsyslog-gnutls, rsyslog-openssl, rsyslog-relp and
// openssl installed; `make test` installs them. Without them the tests fail
// rather than skip, so a missing receiver is never mistaken for a pass.
package rsyslogtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// installHint is appended to every "not installed" failure.
const installHint = "run `make test`, which installs rsyslog rsyslog-gnutls rsyslog-openssl rsyslog-relp openssl " +
	"(or: apt-get install -y rsyslog rsyslog-gnutls rsyslog-openssl rsyslog-relp openssl)"

// Config selects the inputs of a Server. Each enabled input gets its own
// free port on 127.0.0.1.
type Config struct {
	UDP  bool // imudp
	TCP  bool // imtcp, plain; octet-counted and LF-framed messages alike
	PTCP bool // imptcp, plain
	RELP bool // imrelp, plain
	TLS  *TLS // an imtcp input with a TLS stream driver
	// RELPTLS is an imrelp input with TLS. Clients must present a
	// certificate signed by its CAFile.
	RELPTLS *RELPTLS
	// Direct runs rsyslog's main queue in Direct mode: an input hands each
	// message to the output actions before it returns, so an imrelp
	// acknowledgement means "written". With the default in-memory queue
	// rsyslog acknowledges on enqueue and a SIGKILL loses what it
	// acknowledged but had not written yet.
	Direct bool
	// MaxMessageSize is rsyslog's maxMessageSize; empty means "64k" (its
	// default is 8k).
	MaxMessageSize string
}

// TLS configures the TLS input.
type TLS struct {
	Driver string // "gtls" (GnuTLS, the default) or "ossl" (OpenSSL)
	// AuthMode is "anon" (the default: clients are not authenticated) or
	// "x509/certvalid" (clients must present a certificate signed by CAFile).
	AuthMode                  string
	CAFile, CertFile, KeyFile string // the server's certificate and key
}

// RELPTLS configures the imrelp TLS input (librelp, GnuTLS).
type RELPTLS struct {
	// AuthMode is imrelp's tls.authMode: "certvalid" (the default: any
	// client certificate signed by CAFile) or "name" (its name must also
	// match PermittedPeer).
	AuthMode, PermittedPeer   string
	CAFile, CertFile, KeyFile string // the server's certificate and key
}

// Server is a running (or stopped) rsyslogd.
type Server struct {
	// Addresses of the enabled inputs, "127.0.0.1:port"; empty when disabled.
	UDPAddr, TCPAddr, PTCPAddr, RELPAddr, TLSAddr, RELPTLSAddr string

	t       testing.TB
	rsyslog string
	dir     string
	ports   []port
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has exited
}

type port struct {
	udp    bool
	number int
}

// startTimeout bounds how long Start waits for the inputs to listen.
const startTimeout = 15 * time.Second

// Start starts rsyslogd with the inputs cfg enables and waits until each of
// them listens. The server is killed when the test ends.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	s := &Server{t: t, rsyslog: lookPath(t, "rsyslogd"), dir: t.TempDir()}
	t.Cleanup(func() {
		if s.running() {
			s.signal(syscall.SIGKILL)
		}
	})
	// A port picked free may be taken by someone else before rsyslogd binds
	// it; then rsyslogd runs without that input. Try again with new ports.
	const attempts = 3
	var lastErr error
	for range attempts {
		if err := s.configure(cfg); err != nil {
			t.Fatalf("rsyslogtest: %v", err)
		}
		if lastErr = s.start(); lastErr == nil {
			return s
		}
		if s.running() {
			s.signal(syscall.SIGKILL)
		}
	}
	t.Fatalf("rsyslogtest: %v\n%s", lastErr, s.Log())
	return nil
}

// Start starts the server again after Stop or Kill, on the same ports, and
// appends to the same output files.
func (s *Server) Start() {
	s.t.Helper()
	if s.running() {
		s.t.Fatalf("rsyslogtest: Start: rsyslogd is already running")
	}
	if err := s.start(); err != nil {
		s.t.Fatalf("rsyslogtest: restart: %v\n%s", err, s.Log())
	}
}

// Stop terminates rsyslogd with SIGTERM (it closes its connections) and
// waits for it to exit.
func (s *Server) Stop() {
	s.t.Helper()
	if err := s.signal(syscall.SIGTERM); err != nil {
		s.t.Fatalf("rsyslogtest: stop: %v", err)
	}
}

// Kill kills rsyslogd with SIGKILL and waits for it to exit; the kernel then
// closes its connections.
func (s *Server) Kill() {
	s.t.Helper()
	if err := s.signal(syscall.SIGKILL); err != nil {
		s.t.Fatalf("rsyslogtest: kill: %v", err)
	}
}

// Lines returns the MSG part of every message received so far.
func (s *Server) Lines() []string { return s.readLines("msg.log") }

// WaitLines polls until at least n messages have arrived and returns the MSG
// part of all of them. It fails the test, showing what did arrive, when
// timeout passes first. Call it from the test's goroutine.
func (s *Server) WaitLines(n int, timeout time.Duration) []string {
	s.t.Helper()
	return s.waitLines("msg.log", n, timeout)
}

// WaitRawLines is WaitLines for whole messages as they arrived, without
// framing.
func (s *Server) WaitRawLines(n int, timeout time.Duration) []string {
	s.t.Helper()
	return s.waitLines("raw.log", n, timeout)
}

// Log returns what rsyslogd wrote to its standard output and error, for
// failure messages.
func (s *Server) Log() string {
	b, err := os.ReadFile(filepath.Join(s.dir, "rsyslogd.log"))
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func (s *Server) waitLines(file string, n int, timeout time.Duration) []string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		lines := s.readLines(file)
		if len(lines) >= n {
			return lines
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("rsyslogtest: %d of %d messages arrived within %v: %q\nrsyslogd log:\n%s",
				len(lines), n, timeout, lines, s.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Server) readLines(file string) []string {
	s.t.Helper()
	b, err := os.ReadFile(filepath.Join(s.dir, file))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		s.t.Fatalf("rsyslogtest: %v", err)
	}
	// Only complete lines: rsyslogd may be in the middle of writing one.
	b = b[:bytes.LastIndexByte(b, '\n')+1]
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// configure picks free ports and writes rsyslog.conf.
func (s *Server) configure(cfg Config) error {
	s.ports = s.ports[:0]
	var inputs strings.Builder
	modules := map[string]bool{}
	add := func(module string, udp bool, params string) (string, error) {
		number, err := freePort(udp)
		if err != nil {
			return "", err
		}
		s.ports = append(s.ports, port{udp: udp, number: number})
		if !modules[module] {
			modules[module] = true
			fmt.Fprintf(&inputs, "module(load=%q)\n", module)
		}
		fmt.Fprintf(&inputs, "input(type=%q address=\"127.0.0.1\" port=\"%d\" ruleset=\"recv\"%s)\n", module, number, params)
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(number)), nil
	}
	var err error
	if cfg.UDP {
		if s.UDPAddr, err = add("imudp", true, ""); err != nil {
			return err
		}
	}
	if cfg.TCP {
		if s.TCPAddr, err = add("imtcp", false, ""); err != nil {
			return err
		}
	}
	if cfg.PTCP {
		if s.PTCPAddr, err = add("imptcp", false, ""); err != nil {
			return err
		}
	}
	if cfg.RELP {
		if s.RELPAddr, err = add("imrelp", false, ""); err != nil {
			return err
		}
	}
	if tls := cfg.TLS; tls != nil {
		driver, authMode := tls.Driver, tls.AuthMode
		if driver == "" {
			driver = "gtls"
		}
		if authMode == "" {
			authMode = "anon"
		}
		params := fmt.Sprintf(` streamDriver.name=%q streamDriver.mode="1" streamDriver.authMode=%q`+
			` streamDriver.CAFile=%q streamDriver.CertFile=%q streamDriver.KeyFile=%q`,
			driver, authMode, tls.CAFile, tls.CertFile, tls.KeyFile)
		if s.TLSAddr, err = add("imtcp", false, params); err != nil {
			return err
		}
	}

	if tls := cfg.RELPTLS; tls != nil {
		authMode := tls.AuthMode
		if authMode == "" {
			authMode = "certvalid"
		}
		params := fmt.Sprintf(` tls="on" tls.authMode=%q tls.caCert=%q tls.myCert=%q tls.myPrivKey=%q`,
			authMode, tls.CAFile, tls.CertFile, tls.KeyFile)
		if tls.PermittedPeer != "" {
			params += fmt.Sprintf(` tls.permittedPeer=[%q]`, tls.PermittedPeer)
		}
		if s.RELPTLSAddr, err = add("imrelp", false, params); err != nil {
			return err
		}
	}

	work := filepath.Join(s.dir, "work")
	if err := os.MkdirAll(work, 0o700); err != nil {
		return err
	}
	mainQueue := ""
	if cfg.Direct {
		mainQueue = `main_queue(queue.type="Direct")` + "\n"
	}
	maxSize := cfg.MaxMessageSize
	if maxSize == "" {
		maxSize = "64k"
	}
	conf := fmt.Sprintf(`global(workDirectory=%q maxMessageSize=%q net.enableDNS="off")
%s
# RFC 3164 puts a space between "TAG:" and MSG; it is not part of MSG.
parser(name="rsyslogtest.rfc3164" type="pmrfc3164" remove.msgFirstSpace="on")
template(name="msg" type="string" string="%%msg%%\n")
template(name="raw" type="string" string="%%rawmsg%%\n")
ruleset(name="recv" parser=["rsyslog.rfc5424", "rsyslogtest.rfc3164"]) {
	action(type="omfile" file=%q template="msg")
	action(type="omfile" file=%q template="raw")
}
%s`, work, maxSize, mainQueue, filepath.Join(s.dir, "msg.log"), filepath.Join(s.dir, "raw.log"), inputs.String())
	return os.WriteFile(filepath.Join(s.dir, "rsyslog.conf"), []byte(conf), 0o600)
}

// start runs rsyslogd and waits until it listens on every port.
func (s *Server) start() error {
	pidFile := filepath.Join(s.dir, "rsyslogd.pid")
	// A pid file left by SIGKILL would make rsyslogd refuse to start if its
	// pid were reused.
	if err := os.Remove(pidFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	logFile, err := os.OpenFile(filepath.Join(s.dir, "rsyslogd.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child has its own copy
	cmd := exec.Command(s.rsyslog, "-n", "-f", filepath.Join(s.dir, "rsyslog.conf"), "-i", pidFile)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start rsyslogd: %w", err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) {
		cmd.Wait()
		close(exited)
	}(s.exited)

	deadline := time.Now().Add(startTimeout)
	for _, p := range s.ports {
		for {
			owned, err := ownsPort(cmd.Process.Pid, p)
			if err != nil {
				return err
			}
			if owned {
				break
			}
			if !s.running() {
				return fmt.Errorf("rsyslogd exited: %v", cmd.ProcessState)
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("rsyslogd does not listen on port %d within %v", p.number, startTimeout)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
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

// signal sends sig and waits for rsyslogd to exit, killing it when it takes
// too long.
func (s *Server) signal(sig syscall.Signal) error {
	if !s.running() {
		return errors.New("rsyslogd is not running")
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
		return fmt.Errorf("rsyslogd ignored %v for 10s and was killed", sig)
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(udp bool) (int, error) {
	if udp {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ownsPort reports whether process pid holds a socket bound to p (for TCP: a
// listening one). It matches the socket inodes of /proc/net/{tcp,udp} with
// the process's file descriptors, so a port taken by another process does
// not count.
func ownsPort(pid int, p port) (bool, error) {
	table, listenState := "tcp", "0A"
	if p.udp {
		table, listenState = "udp", "07"
	}
	inodes := map[string]bool{}
	suffix := fmt.Sprintf(":%04X", p.number)
	for _, name := range []string{table, table + "6"} {
		f, err := os.Open("/proc/net/" + name)
		if errors.Is(err, os.ErrNotExist) {
			continue // no IPv6
		}
		if err != nil {
			return false, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
			fields := strings.Fields(sc.Text())
			if len(fields) >= 10 && strings.HasSuffix(fields[1], suffix) && fields[3] == listenState {
				inodes["socket:["+fields[9]+"]"] = true
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return false, err
		}
	}
	if len(inodes) == 0 {
		return false, nil
	}
	fdDir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return false, nil // exited; the caller notices
	}
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join(fdDir, fd.Name())); err == nil && inodes[target] {
			return true, nil
		}
	}
	return false, nil
}

// lookPath finds a required program, also in /usr/sbin, which is not on
// every user's PATH.
func lookPath(t testing.TB, name string) string {
	t.Helper()
	if path, err := exec.LookPath(name); err == nil {
		return path
	}
	if path := filepath.Join("/usr/sbin", name); isExecutable(path) {
		return path
	}
	t.Fatalf("rsyslogtest: %s is not installed: %s", name, installHint)
	return ""
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0
}
