package replay

import (
	"regexp"
	"strings"
)

// EndWatch follows Fluent Bit's log to tell when tail has read every
// staged file to its end while the engine has not begun to stop. With
// Exit_On_EOF, tail logs "inode=… file=… ended, stop" for each file that
// reaches its end and stops Fluent Bit after the last one; but a file tail
// drops on an error (e.g. no inotify watch left) is never counted as
// ended, and Fluent Bit would then run on forever. The driver stops it
// itself when every file has ended and Fluent Bit has not.
type EndWatch struct {
	pending  map[string]bool
	stopping bool
}

// NewEndWatch watches for the end of files (their paths as tail names
// them).
func NewEndWatch(files []StagedFile) *EndWatch {
	w := &EndWatch{pending: make(map[string]bool, len(files))}
	for _, f := range files {
		w.pending[f.Path] = true
	}
	return w
}

var (
	endedLine    = regexp.MustCompile(`\[input:tail:[^\]]*\] inode=\d+ file=(.+) ended, stop$`)
	shutdownLine = regexp.MustCompile(`\[engine\] .*(shutdown|stopping|stopped)`)
)

// Observe takes one log line and reports whether every file has ended
// while the engine has not said that it is stopping.
func (w *EndWatch) Observe(line string) bool {
	line = strings.TrimRight(line, "\r")
	if m := endedLine.FindStringSubmatch(line); m != nil {
		delete(w.pending, m[1])
	} else if shutdownLine.MatchString(line) {
		w.stopping = true
	}
	return len(w.pending) == 0 && !w.stopping
}

// Stopping reports whether the engine said that it is stopping.
func (w *EndWatch) Stopping() bool { return w.stopping }
