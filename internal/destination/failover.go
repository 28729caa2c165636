package destination

import (
	"crypto/tls"
	"strings"

	"github.com/welfbridge/welfbridge/internal/config"
	"github.com/welfbridge/welfbridge/internal/delivery"
	"github.com/welfbridge/welfbridge/internal/failover"
	"github.com/welfbridge/welfbridge/internal/sink"
)

// openPool opens one carrier per receiver of cfg's destination, all with
// the same settings (tlsConf is nil without TLS), behind a failover pool.
func openPool(cfg *config.Config, tlsConf *tls.Config, log Logger) (sink.Sink, func(*sink.Record) int, error) {
	f := cfg.Failover
	var receivers []failover.Receiver
	var overhead func(*sink.Record) int
	closeAll := func() {
		for _, r := range receivers {
			r.Carrier.Close() // nothing was sent: nothing to report
		}
	}
	for _, addr := range f.Addresses {
		c, o, err := openReceiver(cfg, addr, tlsConf, log)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		receivers = append(receivers, failover.Receiver{Name: addr, Carrier: c})
		overhead = o // the same for every receiver
	}
	opts := f.Pool
	opts.ProbeMin, opts.ProbeMax = delivery.DefaultBackoffMin, delivery.DefaultBackoffMax
	opts.StatsInterval, opts.Log = cfg.Delivery.StatsInterval, log
	pool, err := failover.New(receivers, opts)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	log.Infof("failover: %d receivers (%s), balance %s, fail-back after %v", len(receivers), strings.Join(f.Addresses, ", "), opts.Policy, opts.FailbackInterval)
	return pool, overhead, nil
}

// receiverStats returns how to read the counters of carrier's receivers
// when it is a failover pool, else nil.
func receiverStats(carrier sink.Sink) func(*failover.Stats) {
	if p, ok := carrier.(*failover.Pool); ok {
		return p.ReadStats
	}
	return nil
}
