package config

import (
	"strings"
	"time"

	"github.com/welfbridge/welfbridge/internal/mwg"
	"github.com/welfbridge/welfbridge/internal/mwgjoin"
)

// Keys of the MWG connection-trace settings, and of the correlation budget
// MWG and Airlock share.
const (
	KeyPathKey          = "Path_Key"
	KeyOffsetKey        = "Offset_Key"
	KeyMarkerMode       = "Marker_Mode"
	KeyIdleTimeout      = "Idle_Timeout"
	KeyMaxConnections   = "Max_Connections"
	KeyMaxHeaderBytes   = "Max_Header_Bytes"
	KeyMaxPendingBytes  = "Max_Pending_Bytes"
	KeyCorrelationClock = "Correlation_Clock"
)

// MWG holds how MWG connection traces are read and joined.
type MWG struct {
	PathKey        string // record key with the trace file's path (tail's Path_Key)
	OffsetKey      string // record key with the line's byte offset (tail's Offset_Key); "" = none
	MarkerMode     mwg.MarkerMode
	IdleTimeout    time.Duration
	MaxConnections int
	MaxHeaderBytes int
	MaxBytes       int64 // Max_Pending_Bytes
	RecordTime     bool  // Correlation_Clock record
}

// defaultMaxPendingBytes bounds what correlation state may hold per instance.
const defaultMaxPendingBytes = 64 << 20

func (p *parser) mwg() MWG {
	m := MWG{
		PathKey:        p.word(KeyPathKey, "file"),
		OffsetKey:      p.word(KeyOffsetKey, ""),
		IdleTimeout:    p.duration(KeyIdleTimeout, mwgjoin.DefaultIdleTimeout),
		MaxConnections: p.count(KeyMaxConnections, mwgjoin.DefaultMaxConnections),
		MaxHeaderBytes: p.size(KeyMaxHeaderBytes, mwg.DefaultMaxHeaderBytes),
		MaxBytes:       int64(p.size(KeyMaxPendingBytes, defaultMaxPendingBytes)),
		RecordTime:     p.clock(false),
	}
	if v := p.value(KeyMarkerMode); v != "" {
		mode, err := mwg.ParseMarkerMode(v)
		if err != nil {
			p.fail(KeyMarkerMode, v, "allowed: auto, region, direction")
		}
		m.MarkerMode = mode
	}
	if m.IdleTimeout == 0 {
		p.fail(KeyIdleTimeout, "0", "allowed: a positive duration")
	}
	if m.MaxHeaderBytes < mwg.MinMaxHeaderBytes {
		p.fail(KeyMaxHeaderBytes, p.value(KeyMaxHeaderBytes), "allowed: at least 8K")
	}
	if m.MaxBytes == 0 {
		p.fail(KeyMaxPendingBytes, "0", "allowed: a positive number of bytes, optionally with a K, M or G suffix")
	}
	return m
}

// clock reads Correlation_Clock: whether correlation timeouts run on the
// records' own times (true) or on wall time; def is the source's default.
// The key is read and checked once, for all sources.
func (p *parser) clock(def bool) bool {
	if !p.clockRead {
		p.clockRead = true
		switch v := p.value(KeyCorrelationClock); strings.ToLower(v) {
		case "":
		case "record", "wall":
			p.clockValue = strings.ToLower(v)
		default:
			p.fail(KeyCorrelationClock, v, "allowed: record, wall")
		}
	}
	if p.clockValue == "" {
		return def
	}
	return p.clockValue == "record"
}

// count reads a positive whole number.
func (p *parser) count(key string, def int) int {
	v := p.value(key)
	if v == "" {
		return def
	}
	n, err := ParseSize(v)
	if err != nil || n == 0 || n > 1<<31 || strings.ContainsAny(v, "KMGkmg") {
		p.fail(key, v, "allowed: a positive whole number")
		return def
	}
	return int(n)
}
