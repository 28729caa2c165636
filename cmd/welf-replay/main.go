// Command welf-replay turns a downloaded archive of MWG connection traces
// (the zip KB89213 describes, or a directory of trace files) or an Airlock
// log or Kibana export into WELF, by running the welf plugin over it in
// Fluent Bit — or, without Fluent Bit on PATH, in the test harness
// build/flbhost — and exits when everything is read and written.
//
//	welf-replay -traces connection_tracing.zip [-out traces.welf] [-set Time_Zone=UTC]...
//
// `make replay TRACES=… OUT=…` runs it from the repository root.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/welfbridge/welfbridge/internal/replay"
)

// properties collects repeated -set flags.
type properties []replay.Property

func (p *properties) String() string { return fmt.Sprint(*p) }

func (p *properties) Set(s string) error {
	prop, err := replay.ParseProperty(s)
	if err != nil {
		return err
	}
	*p = append(*p, prop)
	return nil
}

type options struct {
	traces, out, conf, plugin, harness, engine string
	set                                        properties
	keep                                       bool
}

func main() {
	var o options
	flag.StringVar(&o.traces, "traces", "", "a connection_tracing .zip, a directory of trace files, or an Airlock log / Kibana export `file`")
	flag.StringVar(&o.out, "out", "", "write WELF to this `file` (replaced); default standard output")
	flag.StringVar(&o.conf, "conf", "conf/fluent-bit-replay.conf", "the replay configuration `template`")
	flag.StringVar(&o.plugin, "plugin", "build/out_welf.so", "the welf plugin")
	flag.StringVar(&o.harness, "harness", "build/flbhost", "the test harness, used without Fluent Bit")
	flag.StringVar(&o.engine, "engine", "auto", "`auto` (Fluent Bit if fluent-bit is on PATH, else the harness), fluent-bit, or harness")
	flag.Var(&o.set, "set", "a further welf property `Key=Value` (repeatable), e.g. Time_Zone=UTC")
	flag.BoolVar(&o.keep, "keep", false, "keep the staging directory (and say where it is)")
	flag.Parse()
	if o.traces == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: welf-replay -traces <zip | directory | file> [-out file] [-set Key=Value]...")
		flag.PrintDefaults()
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "welf-replay:", err)
		os.Exit(1)
	}
}

func run(o options) (err error) {
	// Ctrl-C must not leave the unpacked archive behind: it is caught here,
	// checked between the steps, and passed on to the engine while it runs.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	interrupted := func() error {
		select {
		case s := <-sig:
			return fmt.Errorf("interrupted (%v)", s)
		default:
			return nil
		}
	}
	tmp, err := os.MkdirTemp("", "welf-replay-")
	if err != nil {
		return err
	}
	defer func() {
		if o.keep {
			fmt.Fprintln(os.Stderr, "welf-replay: staging directory kept:", tmp)
			return
		}
		if rerr := os.RemoveAll(tmp); err == nil && rerr != nil {
			err = rerr
		}
	}()

	root := o.traces
	if isZip(o.traces) {
		root = filepath.Join(tmp, "archive")
		if err := os.Mkdir(root, 0o700); err != nil {
			return err
		}
		if err := replay.Unzip(o.traces, root, replay.MaxUnzipBytes); err != nil {
			return err
		}
	}
	if err := interrupted(); err != nil {
		return err
	}
	files, skipped, err := replay.Discover(root)
	if err != nil {
		return err
	}
	for _, s := range skipped {
		fmt.Fprintf(os.Stderr, "welf-replay: skipped %s: %s\n", s.Rel, s.Reason)
	}
	if len(files) == 0 {
		return fmt.Errorf("%s: no MWG trace files (PROTO-ID-SIDE.txt) and no Airlock log found", o.traces)
	}
	stage := filepath.Join(tmp, "stage")
	if err := os.Mkdir(stage, 0o700); err != nil {
		return err
	}
	staged, err := replay.Stage(files, stage)
	if err != nil {
		return err
	}
	if err := interrupted(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "welf-replay: %s: %d files, %d lines\n", o.traces, len(staged.Files), staged.Lines)

	if !has(o.set, "FW") {
		fmt.Fprintln(os.Stderr, "welf-replay: fw= comes from the records (Airlock host), else it is this machine's name; give the gateway's with -set FW=<name>")
	}
	engine, err := pickEngine(o.engine)
	if err != nil {
		return err
	}
	dest, collect := o.out, ""
	if dest == "" {
		// Fluent Bit writes its own banner and log too; the WELF goes to a
		// file that is copied to standard output at the end.
		collect = filepath.Join(tmp, "out.welf")
		dest = collect
	}
	dest, err = filepath.Abs(dest)
	if err != nil {
		return err
	}
	if err := os.WriteFile(dest, nil, 0o644); err != nil { // replaced, never appended to
		return err
	}
	params := replay.Params{Path: strings.Join(staged.Globs, ","), Destination: "file://" + dest, Set: o.set}
	if collect != "" && !has(o.set, "Line_Ending") {
		params.Set = append(params.Set, replay.Property{Key: "Line_Ending", Value: "lf"})
	}
	if engine != "harness" {
		script := filepath.Join(tmp, "replay-time.lua")
		if err := os.WriteFile(script, replay.TimeScript(staged.Files, "file"), 0o600); err != nil {
			return err
		}
		params.Extra = "[FILTER]\n    Name   lua\n    Match  *\n    Script " + script + "\n    Call   " + replay.TimeFunction + "\n"
	}
	tmpl, err := os.ReadFile(o.conf)
	if err != nil {
		return err
	}
	conf, err := replay.Render(tmpl, params)
	if err != nil {
		return fmt.Errorf("%s: %w", o.conf, err)
	}
	confPath := filepath.Join(tmp, "fluent-bit-replay.conf")
	if err := os.WriteFile(confPath, conf, 0o600); err != nil {
		return err
	}
	plugin, err := filepath.Abs(o.plugin)
	if err != nil {
		return err
	}

	var cmd *exec.Cmd
	if engine == "harness" {
		harness, err := filepath.Abs(o.harness)
		if err != nil {
			return err
		}
		why := "fluent-bit is not on PATH"
		if o.engine == "harness" {
			why = "-engine harness"
		}
		fmt.Fprintf(os.Stderr, "welf-replay: %s; running %s with the same plugin in the test harness (%s)\n", why, o.conf, o.harness)
		cmd = exec.Command(harness, "-q", "--time-from-mtime", "-e", plugin, "-c", confPath)
	} else {
		fmt.Fprintf(os.Stderr, "welf-replay: running %s in Fluent Bit (%s)\n", o.conf, engine)
		cmd = exec.Command(engine, "-e", plugin, "-c", confPath)
	}
	cmd.Dir = tmp
	cmd.Stdout = os.Stderr
	raiseOpenFiles()
	var watch *replay.EndWatch
	if engine != "harness" {
		watch = replay.NewEndWatch(staged.Files)
	}
	events, err := runEngine(cmd, watch, sig)
	if err != nil {
		return err
	}
	switch {
	case events < 0:
		fmt.Fprintln(os.Stderr, "welf-replay: warning: the plugin reported no event count at exit; cannot confirm that every line was read")
	case events != staged.Lines:
		return fmt.Errorf("the plugin received %d of %d lines (lines longer than Buffer_Max_Size are skipped by tail)", events, staged.Lines)
	}
	if has(o.set, "Destination") {
		// -set Destination=… sends the WELF elsewhere, e.g. to the SIEM.
		fmt.Fprintf(os.Stderr, "welf-replay: %d lines replayed\n", staged.Lines)
		return nil
	}
	records, err := countLines(dest)
	if err != nil {
		return err
	}
	where := o.out
	if where == "" {
		where = "standard output"
	}
	fmt.Fprintf(os.Stderr, "welf-replay: %d WELF records from %d lines to %s\n", records, staged.Lines, where)
	if collect != "" {
		f, err := os.Open(collect)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := io.Copy(os.Stdout, f); err != nil {
			return err
		}
	}
	return nil
}

// countLines counts the LF-terminated lines of the file at path.
func countLines(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var n int64
	buf := make([]byte, 1<<16)
	for {
		k, err := f.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err == io.EOF {
			return n, nil
		} else if err != nil {
			return n, err
		}
	}
}

// isZip reports whether path is a zip file, by its magic number.
func isZip(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	magic := make([]byte, 4)
	_, err = io.ReadFull(f, magic)
	return err == nil && (string(magic) == "PK\x03\x04" || string(magic) == "PK\x05\x06")
}

// pickEngine returns the Fluent Bit binary to run, or "harness".
func pickEngine(engine string) (string, error) {
	switch engine {
	case "harness":
		return "harness", nil
	case "auto", "fluent-bit":
		path, err := exec.LookPath("fluent-bit")
		if err == nil {
			return path, nil
		}
		if engine == "fluent-bit" {
			return "", fmt.Errorf("-engine fluent-bit: %w", err)
		}
		return "harness", nil
	}
	return "", fmt.Errorf("-engine %q: want auto, fluent-bit or harness", engine)
}

func has(props []replay.Property, key string) bool {
	for _, p := range props {
		if strings.EqualFold(p.Key, key) {
			return true
		}
	}
	return false
}

// raiseOpenFiles lifts the soft limit on open files to the hard one, for
// the engine this process starts: tail keeps every file of the archive
// open at once, and an archive easily holds more than 1024. Go passes a
// limit set with Setrlimit on to its children.
func raiseOpenFiles() {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}

// exitEvents matches the plugin's exit line, e.g.
// "[output:welf:welf.0] exit: events=776 written=48 …".
var exitEvents = regexp.MustCompile(`\[output:welf:[^\]]*\] exit: events=(\d+) `)

// stopGrace is how long Fluent Bit may take to stop by itself after tail
// has read every file, before welf-replay stops it.
const stopGrace = 5 * time.Second

// runEngine runs cmd, passing its log through to stderr and Ctrl-C on to
// it, and returns the event count the plugin logged at exit (-1 if none).
// With watch, it stops the engine (SIGTERM: Fluent Bit then flushes and
// exits as usual) if every file was read and it did not stop by itself.
func runEngine(cmd *exec.Cmd, watch *replay.EndWatch, sig <-chan os.Signal) (int64, error) {
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	done := make(chan struct{})
	defer close(done)
	var interrupted atomic.Value
	go func() {
		for {
			select {
			case s := <-sig:
				interrupted.Store(s)
				cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	events := int64(-1)
	var stop *time.Timer
	defer func() {
		if stop != nil {
			stop.Stop()
		}
	}()
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(os.Stderr, line)
		if watch != nil && watch.Observe(line) && stop == nil {
			stop = time.AfterFunc(stopGrace, func() {
				fmt.Fprintf(os.Stderr, "welf-replay: every file was read, but %s did not stop within %v; stopping it\n", filepath.Base(cmd.Path), stopGrace)
				cmd.Process.Signal(syscall.SIGTERM)
			})
		}
		if watch != nil && watch.Stopping() && stop != nil {
			stop.Stop()
		}
		if m := exitEvents.FindStringSubmatch(line); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			if events < 0 {
				events = 0
			}
			events += n
		}
	}
	io.Copy(os.Stderr, stderr) // a line too long for the scanner
	err = cmd.Wait()
	if s := interrupted.Load(); s != nil {
		return events, fmt.Errorf("interrupted (%v)", s)
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return events, fmt.Errorf("%s exited with status %d", filepath.Base(cmd.Path), exit.ExitCode())
	}
	return events, err
}
