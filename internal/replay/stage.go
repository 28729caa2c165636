package replay

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Staged is what Stage prepared: copies tail reads to their very end.
type Staged struct {
	// Globs are the tail Path patterns that match the copies, and only them.
	Globs []string
	// Files are the copies with the modification times of their originals.
	Files []StagedFile
	// Lines is how many lines (records for tail) they hold together.
	Lines int64
}

// StagedFile is one staged copy.
type StagedFile struct {
	Path    string
	Kind    Kind
	ModTime time.Time
}

// Stage copies files into dir, which must exist and be empty:
//
//   - MWG traces to dir/mwg/<n>/<name>, one numbered directory per source
//     directory, because welf joins the files of a connection by directory;
//   - Airlock logs to dir/airlock/<n>.log, Kibana and Elasticsearch JSON
//     exports rewritten as one record per line (see NormalizeAirlock).
//
// A copy whose last line has no LF gets one: tail hands a line over only
// once its LF is there, so the last line of a file that never grows again
// would never be read. Copies keep their originals' modification times.
func Stage(files []File, dir string) (*Staged, error) {
	st := &Staged{}
	dirs := map[string]int{}
	var kinds [Airlock + 1]bool
	for i, f := range files {
		var target string
		switch f.Kind {
		case MWG:
			src := filepath.Dir(f.Path)
			n, ok := dirs[src]
			if !ok {
				n = len(dirs)
				dirs[src] = n
			}
			target = filepath.Join(dir, "mwg", strconv.Itoa(n), strings.TrimSuffix(filepath.Base(f.Path), ".gz"))
		case Airlock:
			target = filepath.Join(dir, "airlock", strconv.Itoa(i)+".log")
		default:
			return nil, fmt.Errorf("replay: %s: unknown kind %v", f.Rel, f.Kind)
		}
		kinds[f.Kind] = true
		lines, mtime, err := stageFile(f, target)
		if err != nil {
			return nil, err
		}
		st.Lines += lines
		st.Files = append(st.Files, StagedFile{Path: target, Kind: f.Kind, ModTime: mtime})
	}
	if kinds[MWG] {
		st.Globs = append(st.Globs, filepath.Join(dir, "mwg", "*", "*.txt"))
	}
	if kinds[Airlock] {
		st.Globs = append(st.Globs, filepath.Join(dir, "airlock", "*.log"))
	}
	sort.Slice(st.Files, func(i, j int) bool { return st.Files[i].Path < st.Files[j].Path })
	return st, nil
}

// stageFile copies one file to target and returns its line count and the
// original's modification time.
func stageFile(f File, target string) (int64, time.Time, error) {
	info, err := os.Stat(f.Path)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("replay: %w", err)
	}
	in, err := openInput(f.Path)
	if err != nil {
		return 0, time.Time{}, err
	}
	defer in.Close()
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("replay: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return 0, time.Time{}, fmt.Errorf("replay: %w", err)
	}
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("replay: %w", err)
	}
	lc := &lineCounter{w: bufio.NewWriterSize(out, 1<<16)}
	if f.Kind == Airlock {
		err = NormalizeAirlock(lc, in)
	} else {
		_, err = io.Copy(lc, in)
	}
	if err == nil && lc.last != '\n' && lc.bytes > 0 {
		_, err = lc.Write([]byte{'\n'})
	}
	if err == nil {
		err = lc.w.Flush()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chtimes(target, info.ModTime(), info.ModTime())
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("replay: stage %s: %w", f.Rel, err)
	}
	return lc.lines, info.ModTime(), nil
}

// lineCounter counts the lines written through it and remembers the last
// byte.
type lineCounter struct {
	w     *bufio.Writer
	lines int64
	bytes int64
	last  byte
}

func (c *lineCounter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if n > 0 {
		c.lines += int64(bytes.Count(p[:n], []byte{'\n'}))
		c.bytes += int64(n)
		c.last = p[n-1]
	}
	return n, err
}
