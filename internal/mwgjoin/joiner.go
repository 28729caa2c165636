package mwgjoin

import (
	"bytes"
	"fmt"
	"time"

	"github.com/welfbridge/welfbridge/internal/correlate"
	"github.com/welfbridge/welfbridge/internal/mwg"
)

// Emit receives the outputs of a Joiner, one at a time. The Output and
// everything it points to are valid only during the call, which must not
// call back into the Joiner.
type Emit func(*Output)

// Joiner turns the lines of MWG connection-trace files into joined
// transactions. It is not safe for concurrent use: the caller serialises
// calls.
type Joiner struct {
	cfg      Config
	clock    *correlate.Clock
	conns    *correlate.Table[*conn]
	evicted  []eviction // collected by the table's callback, flushed after each table call
	reported *correlate.Recent
	counters Counters

	// The file of the previous record: consecutive records of one file
	// are the common case.
	lastPath []byte
	lastFile *file
	lastBad  *NameError

	// The connection the table last saw updated, at what time and size:
	// while none of them changes, updating it again would change nothing.
	// In wall time, updates closer than touchSlack count as the same time.
	touched     *conn
	touchedAt   time.Time
	touchedSize int
	touchSlack  time.Duration

	// State of the call in progress.
	emit     Emit
	seen     time.Time // the time transactions received now are stamped with
	flushing string    // the partial reason while a connection is flushed

	cur queued // the transaction being received
	out Output
}

// wallSlack is how stale, in wall time, a connection's last activity may
// be in the table: far below any sensible IdleTimeout, and long enough for
// the lines of one tail read to share one update.
const wallSlack = time.Millisecond

type eviction struct {
	c   *conn
	why correlate.Reason
}

// New returns a Joiner configured by cfg.
func New(cfg Config) (*Joiner, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("mwgjoin: invalid config: %w", err)
	}
	j := &Joiner{cfg: cfg, clock: correlate.NewWallClock(), reported: correlate.NewRecent(maxReported), touchSlack: wallSlack}
	if !cfg.WallTime() {
		j.clock, j.touchSlack = &correlate.Clock{}, 0
	}
	j.conns, err = correlate.NewTable(cfg.table(), func(_ string, c *conn, why correlate.Reason) {
		j.evicted = append(j.evicted, eviction{c, why})
	})
	if err != nil {
		return nil, fmt.Errorf("mwgjoin: %w", err)
	}
	return j, nil
}

// Add feeds one tail record to the file at path (the Path_Key value):
// data is one line without its LF, or several joined by LF; offset is the
// Offset_Key value, -1 without one; evTime is the record's event time.
// An offset lower than the file's previous one means the file was
// truncated or replaced: what was pending in it is flushed first.
// Transactions completed by the record are emitted through emit.
//
// A path that is not a usable trace file name yields a *NameError and the
// record is dropped. Add returns no other error.
func (j *Joiner) Add(path []byte, offset int64, data []byte, evTime time.Time, emit Emit) error {
	j.emit = orDiscard(emit)
	now := j.clock.Observe(evTime)
	f, err := j.file(path, now)
	if err != nil {
		j.counters.BadNames++
		return err
	}
	c := f.conn
	j.counters.Records++
	lfs := bytes.Count(data, []byte{'\n'})
	j.counters.Lines += 1 + uint64(lfs)
	j.counters.Bytes += uint64(len(data) - lfs)
	j.seen = evTime
	if evTime.IsZero() {
		j.seen = now
	}
	if offset >= 0 {
		if offset < f.offset {
			j.counters.Truncations++
			f.stream.Flush(mwg.FlushTruncated)
		}
		f.offset = offset
	}
	f.stream.Feed(data)
	c.last = j.seen
	j.touch(c, now)
	return nil
}

// touch tells the table that c was active at now and may have changed
// size, unless it knows already.
func (j *Joiner) touch(c *conn, now time.Time) {
	size := c.Size()
	if c == j.touched && size == j.touchedSize && !now.After(j.touchedAt.Add(j.touchSlack)) {
		return
	}
	if !j.conns.Update(c.key, now) {
		// The connection was evicted as soon as it was opened (MaxBytes
		// below one connection's size): flush what this record gave.
		j.flushConn(c, correlate.ReasonPressure)
	}
	j.touched, j.touchedAt, j.touchedSize = c, now, size
	j.flushEvicted()
}

// Tick flushes the connections idle for longer than IdleTimeout. Call it
// after each chunk and periodically: in record time it goes by the latest
// event time seen, in wall time by the clock.
func (j *Joiner) Tick(emit Emit) {
	j.emit = orDiscard(emit)
	j.conns.Advance(j.clock.Now())
	j.flushEvicted()
}

// Drain flushes every connection, as at shutdown: everything pending is
// emitted, unpaired and incomplete transactions with Partial "shutdown".
func (j *Joiner) Drain(emit Emit) {
	j.emit = orDiscard(emit)
	j.conns.Drain(correlate.ReasonShutdown)
	j.flushEvicted()
}

// Counters returns the totals so far.
func (j *Joiner) Counters() Counters {
	c := j.counters
	c.ConnsOpen = j.conns.Len()
	c.PendingBytes = j.conns.Bytes()
	c.ConnsTimeout = j.conns.Evicted(correlate.ReasonTimeout)
	c.ConnsPressure = j.conns.Evicted(correlate.ReasonPressure)
	c.ConnsShutdown = j.conns.Evicted(correlate.ReasonShutdown)
	return c
}

// orDiscard returns emit, or for nil a function that drops outputs: a
// caller's mistake must not crash the host process.
func orDiscard(emit Emit) Emit {
	if emit == nil {
		return func(*Output) {}
	}
	return emit
}

// file returns the file at path, opening it (and its connection) on first
// use.
func (j *Joiner) file(path []byte, now time.Time) (*file, error) {
	if f := j.lastFile; f != nil && !f.conn.gone && bytes.Equal(path, j.lastPath) {
		return f, nil
	}
	if j.lastBad != nil && j.lastBad.Path == string(path) {
		e := *j.lastBad
		return nil, &e
	}
	key, side, ok := splitName(path)
	if !ok {
		_, err := mwg.ParseName(string(path))
		return nil, j.refuse(path, err)
	}
	c, ok := j.conns.Get(key)
	var f *file
	if ok {
		f = c.fileFor(side)
	}
	if f == nil {
		name, err := mwg.ParseName(string(path))
		if err != nil {
			return nil, j.refuse(path, err)
		}
		if !name.Known() {
			// Only the sides MWG writes belong to a connection: a file
			// with a made-up side can neither add a decoder to it nor
			// take the place of a real file.
			return nil, j.refuse(path, fmt.Errorf("side %q is not a trace side of %s (%s)", name.Side, name.Proto, knownSides(name.Proto)))
		}
		if !ok {
			c = &conn{key: bytes.Clone(key), ftp: name.Proto == "FTP"}
			j.conns.Put(c.key, c, now)
			j.touched = nil
			j.flushEvicted()
		}
		f = &file{conn: c, side: name.Side, role: roleOf(name), offset: -1}
		f.stream = mwg.NewStream(name, j.cfg.Stream, func(tx mwg.Transaction) { j.receive(f, &tx) })
		c.files = append(c.files, f)
	}
	j.lastPath = append(j.lastPath[:0], path...)
	j.lastFile = f
	return f, nil
}

// refuse returns the NameError for path, noting whether it is the first.
// The next records of the same path are refused without parsing the name
// again.
func (j *Joiner) refuse(path []byte, err error) *NameError {
	e := &NameError{Path: string(path), Err: err, First: !j.reported.Contains(path)}
	j.reported.Add(path)
	saved := *e
	saved.First = false
	j.lastBad = &saved
	return e
}

// knownSides lists the sides mwg.Name.Known accepts for a protocol.
func knownSides(proto string) string {
	if proto == "FTP" {
		return "CC, CL, SC, SD"
	}
	return "C, S"
}

// flushEvicted flushes the connections the table evicted.
func (j *Joiner) flushEvicted() {
	for i := 0; i < len(j.evicted); i++ {
		j.flushConn(j.evicted[i].c, j.evicted[i].why)
	}
	clear(j.evicted)
	j.evicted = j.evicted[:0]
}

// flushConn ends a connection that left the table: its files are flushed
// and everything still waiting is emitted.
func (j *Joiner) flushConn(c *conn, why correlate.Reason) {
	c.gone = true
	j.flushing = why.String()
	j.seen = c.last
	reason := mwg.FlushIdle
	if why == correlate.ReasonShutdown {
		reason = mwg.FlushShutdown
	}
	for _, f := range c.files {
		if f.role == roleClientData || f.role == roleServerData {
			// Whether a transfer completed is told by the control
			// connection's reply; its data file only counts bytes.
			f.stream.Flush(mwg.FlushIdle)
			continue
		}
		f.stream.Flush(reason)
	}
	j.settle(c, len(c.cq), len(c.sq), true)
	if c.ftp {
		j.attachData(c)
		for len(c.held) > 0 {
			j.emitOutcome(&c.held[0])
			c.popHeld()
		}
	}
	j.flushing = ""
}

// receive takes a transaction from file f's Stream.
func (j *Joiner) receive(f *file, tx *mwg.Transaction) {
	j.counters.Transactions++
	c := f.conn
	j.cur = queued{tx: *tx, seen: j.seen}
	q := &j.cur
	switch f.role {
	case roleClient:
		j.addClient(c, q)
	case roleServer:
		j.addServer(c, q)
	case roleClientData:
		c.push(&c.cd, q)
	case roleServerData:
		c.push(&c.sd, q)
	case roleAlone:
		if f.side[0] == 'C' {
			j.deliver(c, q, nil, "")
		} else {
			j.deliver(c, nil, q, "")
		}
	}
	if j.flushing == "" {
		j.relieve(c)
	}
}

// addClient joins a client transaction with the first waiting server
// transaction that is certainly its own, or queues it.
func (j *Joiner) addClient(c *conn, q *queued) {
	for k := range c.sq {
		if samePair(&q.tx, &c.sq[k].tx) {
			j.settle(c, len(c.cq), k, false)
			j.deliver(c, q, &c.sq[0], "")
			c.sq = c.popFront(c.sq, 1)
			return
		}
	}
	c.push(&c.cq, q)
}

// addServer is addClient for a server transaction.
func (j *Joiner) addServer(c *conn, q *queued) {
	for k := range c.cq {
		if samePair(&c.cq[k].tx, &q.tx) {
			j.settle(c, k, len(c.sq), false)
			j.deliver(c, &c.cq[0], q, "")
			c.cq = c.popFront(c.cq, 1)
			return
		}
	}
	c.push(&c.sq, q)
}

// settle decides the oldest nc client and ns server transactions, which
// nothing can pair with any more: both sides keep request order, and a
// later pair has been found (or the connection ends, final). Among them,
// the same request is joined even when the statuses differ (the proxy
// answered otherwise than the server, e.g. with a block page); the rest is
// emitted alone, with the flush reason as Partial when final.
func (j *Joiner) settle(c *conn, nc, ns int, final bool) {
	alone := ""
	if final {
		alone = j.flushing
	}
	next := 0 // the first server transaction not yet decided
	for i := range nc {
		cl := &c.cq[i]
		k := -1
		for s := next; s < ns; s++ {
			if mayPair(&cl.tx, &c.sq[s].tx) {
				k = s
				break
			}
		}
		if k < 0 {
			j.deliver(c, cl, nil, alone)
			continue
		}
		for ; next < k; next++ {
			j.deliver(c, nil, &c.sq[next], alone)
		}
		j.deliver(c, cl, &c.sq[k], "")
		next = k + 1
	}
	for ; next < ns; next++ {
		j.deliver(c, nil, &c.sq[next], alone)
	}
	c.cq = c.popFront(c.cq, nc)
	c.sq = c.popFront(c.sq, ns)
}

// relieve keeps what a connection holds within the per-connection cap by
// emitting the oldest waiting transactions alone, Partial "pressure".
func (j *Joiner) relieve(c *conn) {
	const why = "pressure"
	for c.waiting() > j.cfg.Stream.MaxHeaderBytes {
		switch {
		case len(c.held) > 0:
			j.emitOutcome(&c.held[0])
			c.popHeld()
		case len(c.cq) > 0 && (len(c.sq) == 0 || !c.sq[0].seen.Before(c.cq[0].seen)):
			j.deliver(c, &c.cq[0], nil, why)
			c.cq = c.popFront(c.cq, 1)
		case len(c.sq) > 0:
			j.deliver(c, nil, &c.sq[0], why)
			c.sq = c.popFront(c.sq, 1)
		case len(c.cd) > 0:
			j.deliver(c, &c.cd[0], nil, why)
			c.cd = c.popFront(c.cd, 1)
		case len(c.sd) > 0:
			j.deliver(c, nil, &c.sd[0], why)
			c.sd = c.popFront(c.sd, 1)
		default:
			return
		}
	}
}

// deliver emits an output, or for an FTP session holds it until the data
// connections' counts are known (the session's end). While a connection is
// flushed, an output with an incomplete transaction takes the flush reason
// as Partial. It never removes waiting transactions itself: callers hold
// pointers into the queues.
func (j *Joiner) deliver(c *conn, cl, sv *queued, partial string) {
	if partial == "" && j.flushing != "" && (cl != nil && !cl.tx.Complete || sv != nil && !sv.tx.Complete) {
		partial = j.flushing
	}
	if c.ftp {
		o := outcome{partial: partial}
		if cl != nil {
			o.client, o.hasClient = *cl, true
		}
		if sv != nil {
			o.server, o.hasServer = *sv, true
		}
		c.hold(&o)
		return
	}
	j.out.reset(partial)
	if cl != nil {
		j.out.Client, j.out.Seen = &cl.tx, cl.seen
	}
	if sv != nil {
		j.out.Server = &sv.tx
		if sv.seen.After(j.out.Seen) {
			j.out.Seen = sv.seen
		}
	}
	j.emitOut()
}

// emitOutcome emits a held FTP output.
func (j *Joiner) emitOutcome(o *outcome) {
	j.out.reset(o.partial)
	if o.hasClient {
		j.out.Client, j.out.Seen = &o.client.tx, o.client.seen
	}
	if o.hasServer {
		j.out.Server = &o.server.tx
		if o.server.seen.After(j.out.Seen) {
			j.out.Seen = o.server.seen
		}
	}
	if o.hasData[0] {
		j.out.ClientData = &o.clientData
	}
	if o.hasData[1] {
		j.out.ServerData = &o.serverData
	}
	j.emitOut()
}

// emitOut counts j.out and passes it on.
func (j *Joiner) emitOut() {
	o := &j.out
	switch {
	case o.Client != nil && o.Server != nil:
		j.counters.Joined++
	case o.Client != nil:
		j.counters.ClientOnly++
	default:
		j.counters.ServerOnly++
	}
	if o.Incomplete() {
		j.counters.Incomplete++
	}
	switch o.Partial {
	case "timeout":
		j.counters.PartialTimeout++
	case "pressure":
		j.counters.PartialPressure++
	case "shutdown":
		j.counters.PartialShutdown++
	}
	j.emit(o)
	// Do not keep the transactions alive through the reused Output.
	o.reset("")
}

// attachData adds the FTP data connections' counts to the transfers of the
// session: each to the transfer whose announced data port it used, else to
// the latest transfer without data, else to the latest transfer. Counts
// without any transfer become outputs of their own.
func (j *Joiner) attachData(c *conn) {
	for side, data := range [2][]queued{c.cd, c.sd} {
		for i := range data {
			d := &data[i]
			o := j.transferFor(c, side, addrPort(d.tx.DstAddr))
			if o == nil {
				if side == 0 {
					j.deliver(c, d, nil, j.flushing)
				} else {
					j.deliver(c, nil, d, j.flushing)
				}
				continue
			}
			j.counters.Attached++
			dst := &o.clientData
			if side == 1 {
				dst = &o.serverData
			}
			if !o.hasData[side] {
				*dst, o.hasData[side] = d.tx, true
				c.strs += txStrings(&d.tx)
				continue
			}
			dst.ReqBytes += d.tx.ReqBytes
			dst.RespBytes += d.tx.RespBytes
			dst.Complete = dst.Complete && d.tx.Complete
			if dst.Msg == "" {
				dst.Msg = d.tx.Msg
				c.strs += len(dst.Msg)
			}
		}
	}
	c.cd = c.popFront(c.cd, len(c.cd))
	c.sd = c.popFront(c.sd, len(c.sd))
}

// transferFor picks the held output a data connection's counts of one side
// (0 client, 1 server) belong to, or nil.
func (j *Joiner) transferFor(c *conn, side, port int) *outcome {
	var free, latest *outcome
	for i := range c.held {
		o := &c.held[i]
		tx := &o.client.tx
		if side == 1 {
			tx = &o.server.tx
		}
		if !(side == 0 && o.hasClient || side == 1 && o.hasServer) || !isTransfer(tx.Method) {
			continue
		}
		if port > 0 && tx.DataPort == port && !o.hasData[side] {
			return o
		}
		if !o.hasData[side] {
			free = o
		}
		latest = o
	}
	if free != nil {
		return free
	}
	return latest
}
