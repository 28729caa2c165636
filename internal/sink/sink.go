// Package sink defines what a destination receives — encoded WELF records —
// and implements the local destinations: standard output and files.
//
// The network carriers satisfy the same Sink interface, each in its own
// package: transport (syslog over UDP, TCP and TLS), relp and forward;
// failover puts several receivers of one carrier behind one Sink, and
// destination picks among them all.
package sink

import (
	"fmt"
	"time"
)

// Record is one encoded WELF record on its way to a destination.
type Record struct {
	Time     time.Time // event time, for carriers with their own timestamp (syslog, forward)
	Severity int       // the WELF pri, 0..7, for the syslog PRI
	Host     string    // the WELF fw: gateway host, for the syslog HOSTNAME
	Line     []byte    // the WELF record without terminator; valid only during Send
}

// Sink delivers records to one destination.
type Sink interface {
	// Send delivers recs in order. It returns only when every record has been
	// handed to the destination or an error occurred; it must not retain recs
	// or their Line bytes after returning. Implementations bound every wait.
	Send(recs []Record) error
	// Close releases the destination; Send must not be called afterwards.
	Close() error
}

// PartialError reports that a Send delivered the first Sent records of its
// batch, in order, before failing with Err; a retry resends only the rest.
type PartialError struct {
	Sent int
	Err  error
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("%v (after %d records were sent)", e.Err, e.Sent)
}

func (e *PartialError) Unwrap() error { return e.Err }

// Partial returns err as the failure of a Send that delivered the first
// sent records of its batch: a *PartialError when there are any, else err.
func Partial(sent int, err error) error {
	if sent > 0 {
		return &PartialError{Sent: sent, Err: err}
	}
	return err
}
