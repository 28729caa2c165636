package config

import (
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/welfbridge/welfbridge/internal/delivery"
)

// Keys of the delivery settings (network destinations).
const (
	KeyQueueMaxBytes   = "Queue_Max_Bytes"
	KeySpoolDir        = "Spool_Dir"
	KeySpoolMaxBytes   = "Spool_Max_Bytes"
	KeySpoolFsync      = "Spool_Fsync"
	KeyShutdownTimeout = "Shutdown_Timeout"
	KeyStatsInterval   = "Stats_Interval"
	KeyFlushWait       = "Flush_Wait"
)

// Delivery holds how records reach a network destination: through a
// bounded queue, optionally a disk spool, and one sender.
type Delivery struct {
	QueueMaxBytes   int64
	SpoolDir        string // "" = no spool
	SpoolMaxBytes   int64
	SpoolFsync      delivery.Fsync
	ShutdownTimeout time.Duration
	StatsInterval   time.Duration // 0 = no periodic counters
	// FlushWait is how long a flush waits for room before it hands the
	// chunk back with FLB_RETRY; 0 hands it back at once.
	FlushWait time.Duration
}

func (p *parser) delivery(d Destination) Delivery {
	c := Delivery{
		QueueMaxBytes:   int64(p.size(KeyQueueMaxBytes, delivery.DefaultQueueMaxBytes)),
		SpoolDir:        p.value(KeySpoolDir),
		SpoolMaxBytes:   int64(p.size(KeySpoolMaxBytes, delivery.DefaultSpoolMaxBytes)),
		ShutdownTimeout: p.duration(KeyShutdownTimeout, delivery.DefaultShutdownTimeout),
		StatsInterval:   p.duration(KeyStatsInterval, delivery.DefaultStatsInterval),
		FlushWait:       p.duration(KeyFlushWait, delivery.DefaultAdmitWait),
	}
	if c.QueueMaxBytes == 0 {
		p.fail(KeyQueueMaxBytes, "0", "allowed: a positive number of bytes, optionally with a K, M or G suffix")
	}
	if v := p.value(KeySpoolFsync); v != "" {
		f, err := delivery.ParseFsync(v)
		if err != nil {
			p.fail(KeySpoolFsync, v, "allowed: always, interval, off")
		}
		c.SpoolFsync = f
	}
	if c.SpoolDir != "" && !filepath.IsAbs(c.SpoolDir) {
		p.fail(KeySpoolDir, c.SpoolDir, "allowed: an absolute directory path")
	}
	if !d.Network() {
		for _, key := range []string{KeyQueueMaxBytes, KeySpoolDir, KeySpoolMaxBytes, KeySpoolFsync, KeyShutdownTimeout, KeyFlushWait} {
			if v := p.value(key); v != "" {
				p.fail(key, v, "applies only to network destinations (udp, tcp, tls, relp, forward)")
			}
		}
	}
	return c
}

// duration reads a duration: Go syntax (500ms, 30s, 5m, 1h) or a whole
// number of seconds, as Fluent Bit's own time properties take.
func (p *parser) duration(key string, def time.Duration) time.Duration {
	v := p.value(key)
	if v == "" {
		return def
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	d, err := time.ParseDuration(strings.ToLower(v))
	if err != nil || d < 0 {
		p.fail(key, v, "allowed: a duration such as 500ms, 30s, 5m or 1h, or a whole number of seconds")
		return def
	}
	return d
}
