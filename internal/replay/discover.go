package replay

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/welfbridge/welfbridge/internal/mwg"
)

// Kind is what an input file holds.
type Kind int

const (
	// MWG is a connection-trace file, PROTO-ID-SIDE.txt.
	MWG Kind = iota + 1
	// Airlock is an Airlock Gateway log: JSON lines (raw, behind a syslog
	// or "<time> <host> " prefix, or Kibana hits), or a Kibana/Elasticsearch
	// JSON export.
	Airlock
)

func (k Kind) String() string {
	switch k {
	case MWG:
		return "mwg"
	case Airlock:
		return "airlock"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// File is an input file found by Discover.
type File struct {
	Path string // where it is
	Rel  string // its path below the input root, slash-separated, for messages
	Kind Kind
}

// Skipped is a file Discover left out, and why.
type Skipped struct {
	Rel, Reason string
}

// sniffBytes is how much of a file Discover looks at to tell a log from
// something else.
const sniffBytes = 4096

// Discover finds the inputs below root, a directory or a single file. A
// file named like a trace file (PROTO-ID-SIDE.txt) is an MWG trace; any
// other file whose first line holds a JSON object or array is an Airlock
// log; everything else (and hidden files, macOS resource forks, symbolic
// links) is skipped and reported. Files come sorted by path.
func Discover(root string) ([]File, []Skipped, error) {
	info, err := os.Lstat(root)
	if err != nil {
		return nil, nil, fmt.Errorf("replay: %w", err)
	}
	if !info.IsDir() {
		if !info.Mode().IsRegular() {
			return nil, nil, fmt.Errorf("replay: %s is neither a regular file nor a directory", root)
		}
		kind, reason, err := classify(root)
		if err != nil {
			return nil, nil, err
		}
		if kind == 0 {
			return nil, []Skipped{{filepath.Base(root), reason}}, nil
		}
		return []File{{Path: root, Rel: filepath.Base(root), Kind: kind}}, nil, nil
	}
	var files []File
	var skipped []Skipped
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if path == root {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") || d.Name() == "__MACOSX" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			skipped = append(skipped, Skipped{rel, "hidden file"})
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			skipped = append(skipped, Skipped{rel, "not a regular file (a symbolic link is not followed)"})
			return nil
		}
		kind, reason, err := classify(path)
		if err != nil {
			return err
		}
		if kind == 0 {
			skipped = append(skipped, Skipped{rel, reason})
			return nil
		}
		files = append(files, File{Path: path, Rel: rel, Kind: kind})
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Rel < files[j].Rel })
	return files, skipped, nil
}

// classify tells what the file at path holds, or why it is not an input.
// A gzip-compressed file (rotated logs often are) is judged by its content
// and its name without ".gz".
func classify(path string) (Kind, string, error) {
	f, err := openInput(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	if _, err := mwg.ParseName(strings.TrimSuffix(filepath.Base(path), ".gz")); err == nil {
		return MWG, "", nil
	}
	head := make([]byte, sniffBytes)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return 0, "", fmt.Errorf("replay: %s: %w", path, err)
	}
	head = head[:n]
	if line, _, _ := bytes.Cut(bytes.TrimLeft(head, " \t\r\n\ufeff"), []byte("\n")); bytes.ContainsAny(line, "{[") {
		return Airlock, "", nil
	}
	if strings.HasSuffix(strings.TrimSuffix(path, ".gz"), ".txt") {
		return 0, "not a trace file name (PROTO-ID-SIDE.txt) and no JSON in its first line", nil
	}
	return 0, "no JSON in its first line: not an Airlock log", nil
}

// openInput opens an input file, decompressing it if it is gzip.
func openInput(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	br := bufio.NewReader(f)
	if magic, _ := br.Peek(2); !bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		return readCloser{br, f}, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("replay: %s: %w", path, err)
	}
	return readCloser{zr, f}, nil
}

// readCloser reads from one reader and closes the file under it.
type readCloser struct {
	io.Reader
	io.Closer
}
