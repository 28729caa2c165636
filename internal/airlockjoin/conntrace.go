package airlockjoin

import (
	"fmt"
	"strings"
)

// ConntraceMode says whether a request waits for its WR-SG-CONNTRACE.
type ConntraceMode uint8

const (
	// ConntraceAuto learns where conntraces appear: a request waits for its
	// conntrace if its gateway (host) has written one for its mapping, and
	// is complete with its summary otherwise. Airlock writes conntraces
	// for the mappings in Integration log mode only, so a gateway may
	// write them for some mappings and not for others.
	ConntraceAuto ConntraceMode = iota
	// ConntraceOn makes every request wait for its conntrace (all mappings
	// log in Integration mode).
	ConntraceOn
	// ConntraceOff makes a request complete with its summary (Production
	// log mode: no conntraces are written). A conntrace that arrives
	// before the summary is still joined.
	ConntraceOff
)

func (m ConntraceMode) String() string {
	switch m {
	case ConntraceAuto:
		return "auto"
	case ConntraceOn:
		return "on"
	case ConntraceOff:
		return "off"
	}
	return fmt.Sprintf("ConntraceMode(%d)", uint8(m))
}

// ParseConntrace parses the Conntrace setting: auto, on or off, in any
// case; empty means auto.
func ParseConntrace(s string) (ConntraceMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return ConntraceAuto, nil
	case "on":
		return ConntraceOn, nil
	case "off":
		return ConntraceOff, nil
	}
	return 0, fmt.Errorf("conntrace mode %q: allowed: auto, on, off", s)
}

const (
	// maxSources bounds the (gateway, mapping) pairs Conntrace auto
	// remembers. A pair beyond it is treated as one that writes no
	// conntraces.
	maxSources = 16384
	// maxSourceLen bounds a remembered pair: DNS names have at most 253
	// characters, mapping names are short.
	maxSourceLen = 512
)

// conntraceSources is the set of (host, mapping) pairs seen writing
// conntraces.
type conntraceSources struct {
	set map[string]struct{}
	key []byte // scratch for building keys
}

func newConntraceSources() *conntraceSources {
	return &conntraceSources{set: make(map[string]struct{})}
}

// sourceKey returns the set's key for a host and mapping: they cannot
// contain NUL in any meaningful way, so a NUL separates them.
func (s *conntraceSources) sourceKey(host, mapping []byte) []byte {
	s.key = append(append(append(s.key[:0], host...), 0), mapping...)
	return s.key
}

func (s *conntraceSources) has(host, mapping []byte) bool {
	_, ok := s.set[string(s.sourceKey(host, mapping))]
	return ok
}

// learn adds the pair unless the set is full or the pair too long.
func (s *conntraceSources) learn(host, mapping []byte) {
	s.add(s.sourceKey(host, mapping))
}

// add adds a key made by sourceKey, with the same limits as learn.
func (s *conntraceSources) add(key []byte) {
	if len(s.set) >= maxSources || len(key) > maxSourceLen {
		return
	}
	if _, ok := s.set[string(key)]; !ok {
		s.set[string(key)] = struct{}{}
	}
}
