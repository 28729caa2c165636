package airlockjoin

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"time"

	"github.com/welfbridge/welfbridge/internal/airlock"
	"github.com/welfbridge/welfbridge/internal/correlate"
	"github.com/welfbridge/welfbridge/internal/durable"
)

const (
	stateMagic   = "WBJOIN"
	stateVersion = 1
	stateHeader  = len(stateMagic) + 1
	crcLen       = durable.ChecksumLen

	// corruptSuffix is appended to the name of a state file Load rejects.
	corruptSuffix = ".corrupt"
)

// errStateCorrupt and errStateTruncated classify a state file Load rejects.
var (
	errStateCorrupt   = errors.New("corrupt")
	errStateTruncated = errors.New("truncated")
)

// Save writes the pending requests and sessions and the gateways learned
// writing conntraces to path, atomically (a temporary file renamed over
// path), for a shutdown with State_File. Nothing is emitted and the
// Joiner is unchanged; if Save fails, call Drain so that the pending
// state is emitted rather than lost.
func (j *Joiner) Save(path string) error {
	file, err := j.snapshot()
	if err == nil {
		err = durable.WriteFile(path, file, 0o600)
	}
	if err != nil {
		return fmt.Errorf("airlockjoin: saving state: %w", err)
	}
	return nil
}

// snapshot returns the state file of the Joiner's state.
func (j *Joiner) snapshot() ([]byte, error) {
	if n := len(j.evictedRequests) + len(j.evictedSessions); n > 0 {
		// Only a Load evicting for pressure leaves these behind; they are
		// in no table, so a snapshot would lose them.
		return nil, fmt.Errorf("%d evicted requests or sessions are waiting to be emitted", n)
	}
	var body, section bytes.Buffer
	for _, t := range [...]*correlate.Table[pending]{j.requests, j.sessions} {
		section.Reset()
		err := correlate.WriteSnapshot(&section, t, func(dst []byte, v pending) []byte { return append(dst, v...) })
		if err != nil {
			return nil, err
		}
		body.Write(binary.AppendUvarint(nil, uint64(section.Len())))
		body.Write(section.Bytes())
	}
	sources := make([]string, 0, len(j.sources.set))
	for s := range j.sources.set {
		sources = append(sources, s)
	}
	slices.Sort(sources) // the same state gives the same file
	body.Write(binary.AppendUvarint(nil, uint64(len(sources))))
	for _, s := range sources {
		body.Write(binary.AppendUvarint(nil, uint64(len(s))))
		body.WriteString(s)
	}

	file := make([]byte, 0, stateHeader+binary.MaxVarintLen64+body.Len()+crcLen)
	file = append(file, stateMagic...)
	file = append(file, stateVersion)
	file = binary.AppendUvarint(file, uint64(body.Len()))
	file = append(file, body.Bytes()...)
	return durable.Seal(file, 0), nil // the whole file is one sealed record
}

// Load restores the state Save wrote to path into a Joiner that has
// nothing pending, and returns the number of requests and sessions
// restored. Restored requests that no longer fit the caps are evicted for
// pressure and emitted by the next Add, Tick or Drain.
//
// A missing file restores nothing and is no error. A file that cannot be
// used (truncated, corrupt, of another version, larger than the caps can
// explain) restores nothing either: Load renames it to path+".corrupt",
// for inspection, and returns an error to log as a warning. After a
// successful load the file is removed, so that a crash later cannot
// restore stale state.
func (j *Joiner) Load(path string) (restored int, err error) {
	if j.requests.Len() > 0 || j.sessions.Len() > 0 {
		return 0, errors.New("airlockjoin: loading state: requests or sessions already pending")
	}
	data, err := readLimited(path, j.stateLimit())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, nil
	case err != nil && !errors.Is(err, errStateCorrupt):
		return 0, fmt.Errorf("airlockjoin: loading state: %w", err)
	case err == nil:
		restored, err = j.restore(data)
	}
	if err != nil {
		moved := path + corruptSuffix
		if rerr := os.Rename(path, moved); rerr != nil {
			return 0, fmt.Errorf("airlockjoin: ignoring state file %s: %w (moving it aside failed: %v)", path, err, rerr)
		}
		return 0, fmt.Errorf("airlockjoin: ignoring state file %s (moved to %s): %w", path, moved, err)
	}
	if err := os.Remove(path); err != nil {
		return restored, fmt.Errorf("airlockjoin: state restored from %s, but removing it failed: %w", path, err)
	}
	return restored, nil
}

// stateLimit is the largest state file Load reads: a snapshot holds less
// than the bytes the caps allow, whose accounting includes overheads the
// file does not have, plus the conntrace sources.
func (j *Joiner) stateLimit() int64 {
	return 2*j.cfg.MaxPendingBytes + maxSources*(maxSourceLen+2) + 1<<10
}

// readLimited reads the file at path, unless it is larger than limit.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: larger than %d bytes", errStateCorrupt, limit)
	}
	return data, nil
}

// restore puts the state in data into the Joiner, all or nothing.
func (j *Joiner) restore(data []byte) (int, error) {
	if len(data) < stateHeader {
		return 0, fmt.Errorf("%w: %d bytes", errStateTruncated, len(data))
	}
	if magic := data[:len(stateMagic)]; string(magic) != stateMagic {
		return 0, fmt.Errorf("%w: not a welfbridge state file (magic %q)", errStateCorrupt, magic)
	}
	if v := data[len(stateMagic)]; v != stateVersion {
		return 0, fmt.Errorf("unsupported version %d (want %d)", v, stateVersion)
	}
	size, n := binary.Uvarint(data[stateHeader:])
	if n <= 0 {
		return 0, fmt.Errorf("%w: bad length", errStateCorrupt)
	}
	if want := uint64(stateHeader+n+crcLen) + size; size > uint64(len(data)) || uint64(len(data)) < want {
		return 0, fmt.Errorf("%w: %d bytes, want %d", errStateTruncated, len(data), want)
	} else if uint64(len(data)) > want {
		return 0, fmt.Errorf("%w: %d bytes after the checksum", errStateCorrupt, uint64(len(data))-want)
	}
	sealed, ok := durable.Unseal(data)
	if !ok {
		return 0, fmt.Errorf("%w: checksum mismatch", errStateCorrupt)
	}
	body := sealed[stateHeader+n:]

	requestSection, body, ok1 := lengthPrefixed(body)
	sessionSection, body, ok2 := lengthPrefixed(body)
	if !ok1 || !ok2 {
		return 0, fmt.Errorf("%w: bad section length", errStateCorrupt)
	}
	sources, err := decodeSources(body)
	if err != nil {
		return 0, err
	}

	requests, sessions, err := j.newTables()
	if err != nil {
		return 0, err
	}
	// Putting restored entries may evict for pressure; undo that on failure.
	evictedRequests, evictedSessions := len(j.evictedRequests), len(j.evictedSessions)
	records := uint64(0)
	decoder := func(allowed, required kindSet, check func(pending) error) func(b []byte) (pending, error) {
		return func(b []byte) (pending, error) {
			if err := validate(b, allowed, required); err != nil {
				return nil, err
			}
			if err := check(pending(b)); err != nil {
				return nil, err
			}
			p := own(b)
			r := p.componentReader()
			for c, ok := r.next(); ok; c, ok = r.next() {
				records += uint64(c.records())
			}
			return p, nil
		}
	}
	nRequests, err := correlate.ReadSnapshot(bytes.NewReader(requestSection), requests, decoder(requestKinds, requestKinds, checkRequest))
	if err != nil {
		err = fmt.Errorf("requests: %w", err)
	}
	nSessions := 0
	if err == nil {
		nSessions, err = correlate.ReadSnapshot(bytes.NewReader(sessionSection), sessions, decoder(sessionKinds, bit(airlock.KindSessionStart)|bit(airlock.KindSessionEnd), checkSession))
		if err != nil {
			err = fmt.Errorf("sessions: %w", err)
		}
	}
	if err != nil {
		clear(j.evictedRequests[evictedRequests:])
		clear(j.evictedSessions[evictedSessions:])
		j.evictedRequests = j.evictedRequests[:evictedRequests]
		j.evictedSessions = j.evictedSessions[:evictedSessions]
		return 0, err
	}

	j.requests, j.sessions = requests, sessions
	for _, s := range sources {
		j.sources.add(s)
	}
	// Completed before the restart: due now. Ends waiting for their start
	// wait on, from when they were last updated.
	j.requests.Range(func(key string, p pending, _ time.Time) bool {
		if p.ready() {
			j.ready = append(j.ready, readyRequest{key: key, at: math.MinInt64})
		}
		return true
	})
	j.sessions.Range(func(key string, p pending, updated time.Time) bool {
		switch {
		case p.ready():
			j.readySessions = append(j.readySessions, readyRequest{key: key, at: math.MinInt64})
		case !p.kinds().has(airlock.KindSessionStart):
			j.waitingEnds = append(j.waitingEnds, readyRequest{key: key, at: unixNanos(updated)})
		}
		return true
	})
	// The previous process counted these records in; count them in again
	// so that every output is accounted for.
	j.counters.In += records
	return nRequests + nSessions, nil
}

// checkRequest checks that a restored request is flagged ready only if
// it has its summary.
func checkRequest(p pending) error {
	if p.ready() && !p.kinds().has(airlock.KindSummary) {
		return fmt.Errorf("%w: ready request without summary", errMalformed)
	}
	return nil
}

// checkSession checks that a restored session is flagged ready exactly
// when it has both its start and its end.
func checkSession(p pending) error {
	both := p.kinds().has(airlock.KindSessionStart) && p.kinds().has(airlock.KindSessionEnd)
	if p.ready() != both {
		return fmt.Errorf("%w: session flags %#x with kinds %#x", errMalformed, p.flags(), p.kinds())
	}
	return nil
}

// decodeSources reads the conntrace sources section.
func decodeSources(b []byte) ([][]byte, error) {
	count, n := binary.Uvarint(b)
	if n <= 0 || count > maxSources {
		return nil, fmt.Errorf("%w: bad conntrace source count", errStateCorrupt)
	}
	b = b[n:]
	sources := make([][]byte, 0, count)
	for range count {
		s, rest, ok := lengthPrefixed(b)
		if !ok || len(s) > maxSourceLen {
			return nil, fmt.Errorf("%w: bad conntrace source", errStateCorrupt)
		}
		sources = append(sources, s)
		b = rest
	}
	if len(b) > 0 {
		return nil, fmt.Errorf("%w: %d bytes after the conntrace sources", errStateCorrupt, len(b))
	}
	return sources, nil
}
