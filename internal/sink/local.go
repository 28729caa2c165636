package sink

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
)

// terminator returns the record terminator: CR LF is WELF's own file
// convention, LF what most line-oriented tools expect.
func terminator(crlf bool) string {
	if crlf {
		return "\r\n"
	}
	return "\n"
}

// Writer writes each batch to an io.Writer with one Write call, so records
// of concurrent flushes never interleave mid-line.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	eol string
	buf []byte
}

// NewWriter returns a Sink writing terminated records to w (standard output).
func NewWriter(w io.Writer, crlf bool) *Writer {
	return &Writer{w: w, eol: terminator(crlf)}
}

func (s *Writer) Send(recs []Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = appendLines(s.buf[:0], recs, s.eol)
	if _, err := s.w.Write(s.buf); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

func (s *Writer) Close() error { return nil }

func appendLines(dst []byte, recs []Record, eol string) []byte {
	for i := range recs {
		dst = append(dst, recs[i].Line...)
		dst = append(dst, eol...)
	}
	return dst
}

// File appends records to a file. Before each batch it checks whether the
// path still names the open file: logrotate's "create" mode renames the file
// away, and the next batch then goes to a new file at the path. Its
// "copytruncate" mode needs nothing: O_APPEND writes land at the new end.
type File struct {
	mu   sync.Mutex
	path string
	eol  string
	f    *os.File
	buf  []byte
}

// OpenFile opens (creating if needed) path for appending.
func OpenFile(path string, crlf bool) (*File, error) {
	s := &File{path: path, eol: terminator(crlf)}
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *File) open() error {
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("file destination: %w", err)
	}
	s.f = f
	return nil
}

// rotated reports whether the path no longer names the open file.
func (s *File) rotated() bool {
	pathInfo, err := os.Stat(s.path)
	if err != nil {
		return true // renamed or deleted away
	}
	openInfo, err := s.f.Stat()
	if err != nil {
		return true
	}
	return !os.SameFile(pathInfo, openInfo)
}

func (s *File) Send(recs []Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil || s.rotated() {
		if s.f != nil {
			s.f.Close() // the rotated file is complete; its close error changes nothing for the new one
			s.f = nil
		}
		if err := s.open(); err != nil {
			return err
		}
	}
	s.buf = appendLines(s.buf[:0], recs, s.eol)
	if _, err := s.f.Write(s.buf); err != nil {
		if errors.Is(err, syscall.ENOSPC) {
			return fmt.Errorf("write %s: disk full: %w", s.path, err)
		}
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	return nil
}

func (s *File) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	if err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	return nil
}
