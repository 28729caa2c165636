package mwgjoin

import "github.com/welfbridge/welfbridge/internal/mwg"

// Output is one joined transaction as the Joiner emits it: the exchange,
// which maps itself to WELF (mwg.Exchange.WriteWELF, Time, Pri), and why
// it was emitted before it was complete.
type Output struct {
	mwg.Exchange
	// Partial is "" unless the output was emitted because its connection
	// was flushed ("timeout", "pressure" or "shutdown") while it was
	// incomplete or still waiting for its other side; "pressure" also when
	// the connection held too much and its oldest transaction went alone.
	// WriteWELF does not write it: the caller adds partial=<Partial> after
	// the mapped fields, as for every source.
	Partial string
}

// reset empties o for the next output, partial as given.
func (o *Output) reset(partial string) {
	o.Exchange.Reset()
	o.Partial = partial
}
