package airlock

import (
	"strings"

	"github.com/welfbridge/welfbridge/internal/swar"
	"github.com/welfbridge/welfbridge/internal/userinfo"
	"github.com/welfbridge/welfbridge/internal/welf"
)

// redactor is the welf.FieldWriter WriteWELF writes through, so that no
// field, standard, extension or passed through, keeps a URL password: a
// field that holds a URL or an authority (holdsURL) loses the password of
// anything that looks like userinfo (userinfo.Redact); any other field
// does when its value looks like it holds a URL (userinfo.MayHoldURL), so
// that free text such as "value 'x': a@b" stays as it is. A value that
// cannot hold an '@' (mayHoldAt) costs one scan; redacted values are
// composed in buf, reused from record to record.
type redactor struct {
	w   welf.FieldWriter
	buf []byte
}

// holdsURL reports whether the WELF field key holds a URL, a host or an
// address pair, where even "u:p@host" without a scheme is userinfo, or a
// value that failed its type (unvalidated_*): whatever stands where an
// address or a number belongs is not free text.
func holdsURL(key string) bool {
	switch key {
	case "arg", "ref", "dstname", "back_host", "backend_url", "http_redirect_url",
		"front_src", "front_dst", "back_src", "back_dst", "back_host_addr", "vhost_addr":
		return true
	}
	return strings.HasPrefix(key, unvalidatedPrefix)
}

// redact returns val, or its redacted copy in d.buf.
func (d *redactor) redact(key string, val []byte) []byte {
	if !mayHoldAt(val) {
		return val // most values: no userinfo in any spelling
	}
	if holdsURL(key) && !userinfo.MayHold(val) || !holdsURL(key) && !userinfo.MayHoldURL(val) {
		return val
	}
	d.buf = userinfo.Redact(d.buf[:0], val)
	return d.buf
}

// mayHoldAt reports whether v holds an '@', a '%' or the first byte (0xef)
// of a compatibility form of '@' ("＠"): without one, no spelling of
// userinfo is possible (userinfo.AtLen). Every value written passes here,
// so it reads eight bytes at a time, the last word overlapping the one
// before rather than ending in a byte loop.
func mayHoldAt[T swar.Bytes](v T) bool {
	n := len(v)
	if n < 8 {
		for i := range n {
			if c := v[i]; c == '@' || c == '%' || c == 0xef {
				return true
			}
		}
		return false
	}
	for i := 0; i < n-8; i += 8 {
		if atSigns(swar.Load(v, i)) != 0 {
			return true
		}
	}
	return atSigns(swar.Load(v, n-8)) != 0
}

// atSigns masks the bytes of x that mayHoldAt looks for.
func atSigns(x uint64) uint64 { return swar.Eq(x, '@') | swar.Eq(x, '%') | swar.Eq(x, 0xef) }

// Str and Text get constants and composed text; only a value that
// mayHoldAt is looked at closer (and copied: rare).
func (d *redactor) Str(key, val string) {
	if mayHoldAt(val) {
		d.Bytes(key, []byte(val))
		return
	}
	d.w.Str(key, val)
}

func (d *redactor) Text(key, val string) {
	if mayHoldAt(val) {
		d.TextBytes(key, []byte(val))
		return
	}
	d.w.Text(key, val)
}

func (d *redactor) Bytes(key string, val []byte)     { d.w.Bytes(key, d.redact(key, val)) }
func (d *redactor) TextBytes(key string, val []byte) { d.w.TextBytes(key, d.redact(key, val)) }
func (d *redactor) Int(key string, v int64)          { d.w.Int(key, v) }
func (d *redactor) Has(key string) bool              { return d.w.Has(key) }
