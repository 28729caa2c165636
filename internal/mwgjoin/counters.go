package mwgjoin

import "fmt"

// Counters are the totals of a Joiner since New.
type Counters struct {
	Records     uint64 // records taken by Add (usable file name)
	Lines       uint64 // lines in those records
	Bytes       uint64 // line bytes in those records, LFs between lines not counted
	BadNames    uint64 // records refused with a *NameError
	Truncations uint64 // files restarted because their offset went backwards

	// Transactions counts what the trace files yielded, each side
	// separately; every one ends up in exactly one output, counted below.
	Transactions uint64
	Joined       uint64 // outputs joining a client-side and a server-side transaction
	ClientOnly   uint64 // outputs of a client-side transaction alone (and ICAP C, FTP CL without transfer)
	ServerOnly   uint64 // outputs of a server-side transaction alone (and ICAP S, FTP SD without transfer)
	Attached     uint64 // FTP data-connection transactions added to a transfer's output
	Incomplete   uint64 // outputs holding an incomplete transaction

	// Outputs by Partial.
	PartialTimeout, PartialPressure, PartialShutdown uint64

	// Connections: open now, and flushed by reason.
	ConnsOpen                                  int
	ConnsTimeout, ConnsPressure, ConnsShutdown uint64
	PendingBytes                               int64 // retained by the open connections, as charged against MaxBytes
}

// Check returns an error unless every transaction is accounted for exactly
// once. It holds only when nothing is pending, e.g. after Drain.
func (c Counters) Check() error {
	if out := 2*c.Joined + c.ClientOnly + c.ServerOnly + c.Attached; out != c.Transactions {
		return fmt.Errorf("mwgjoin: counters do not add up: transactions=%d but 2*joined+client_only+server_only+attached=%d (%s)", c.Transactions, out, c)
	}
	return nil
}

// String formats the counters for a log line, as key=value pairs.
func (c Counters) String() string {
	return fmt.Sprintf("records=%d lines=%d bytes=%d bad_names=%d truncations=%d transactions=%d joined=%d client_only=%d server_only=%d attached=%d incomplete=%d"+
		" partial_timeout=%d partial_pressure=%d partial_shutdown=%d conns_open=%d conns_timeout=%d conns_pressure=%d conns_shutdown=%d pending_bytes=%d",
		c.Records, c.Lines, c.Bytes, c.BadNames, c.Truncations, c.Transactions, c.Joined, c.ClientOnly, c.ServerOnly, c.Attached, c.Incomplete,
		c.PartialTimeout, c.PartialPressure, c.PartialShutdown, c.ConnsOpen, c.ConnsTimeout, c.ConnsPressure, c.ConnsShutdown, c.PendingBytes)
}
