package mwg

import (
	"fmt"
	"strings"
	"time"
)

// MarkerMode selects how the four marker tokens are read.
type MarkerMode uint8

const (
	// MarkerAuto reads markers as directions but calibrates, per file, which
	// marker pair carries requests, and lets request and status lines start
	// a message of their own kind whatever chunk they are in. It is the
	// default; the package documentation describes the procedure.
	MarkerAuto MarkerMode = iota
	// MarkerDirection: each marker opens a chunk of one direction. ">>>"
	// and "[[[" carry requests, "<<<" and "]]]" responses; brackets are the
	// decrypted TLS layer. Content never changes the direction.
	MarkerDirection
	// MarkerRegion: ">>>" … "<<<" encloses plain data and "[[[" … "]]]"
	// decrypted data; the direction of each message follows from its
	// content.
	MarkerRegion
)

// ParseMarkerMode parses "auto", "direction" or "region" (any case).
func ParseMarkerMode(s string) (MarkerMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "auto", "":
		return MarkerAuto, nil
	case "direction":
		return MarkerDirection, nil
	case "region":
		return MarkerRegion, nil
	}
	return MarkerAuto, fmt.Errorf("mwg: marker mode %q: want auto, direction or region", s)
}

var markerModeNames = [...]string{MarkerAuto: "auto", MarkerDirection: "direction", MarkerRegion: "region"}

func (m MarkerMode) String() string { return enumName(m, markerModeNames[:], "MarkerMode") }

// enumName returns the name of v in names, or "typ(v)" for a value without
// one.
func enumName[T ~uint8](v T, names []string, typ string) string {
	if int(v) < len(names) && names[v] != "" {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", typ, uint8(v))
}

const (
	// DefaultMaxHeaderBytes is the default for Options.MaxHeaderBytes.
	DefaultMaxHeaderBytes = 64 << 10
	// MinMaxHeaderBytes is the smallest accepted Options.MaxHeaderBytes;
	// smaller values are raised to it.
	MinMaxHeaderBytes = 8 << 10
)

// Options configure a Stream.
type Options struct {
	MarkerMode MarkerMode
	// MaxHeaderBytes caps, per file, both the size of one header block
	// (a larger one is abandoned with a notice) and everything the Stream
	// retains between lines (see Stream.Size). 0 means
	// DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// TimestampPrefix accepts a timestamp or sequence prefix before a
	// marker ("2024-03-05 09:12:44.123 >>>", "[0001] <<<").
	TimestampPrefix bool
	// Location is the time zone of timestamps without an offset; nil means
	// UTC.
	Location *time.Location
}

// DefaultOptions returns the defaults: MarkerAuto, DefaultMaxHeaderBytes,
// timestamp prefixes accepted, UTC.
func DefaultOptions() Options {
	return Options{MarkerMode: MarkerAuto, MaxHeaderBytes: DefaultMaxHeaderBytes, TimestampPrefix: true}
}

func (o Options) withDefaults() Options {
	if o.MaxHeaderBytes == 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	o.MaxHeaderBytes = max(o.MaxHeaderBytes, MinMaxHeaderBytes)
	if o.Location == nil {
		o.Location = time.UTC
	}
	return o
}
