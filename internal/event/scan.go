package event

import (
	"errors"
	"fmt"

	"github.com/tinylib/msgp/msgp"
)

// maxDepth bounds container nesting within one event (the event array itself
// is level 1). Recursive consumers such as Value.AppendText rely on it, and a
// hostile chunk could otherwise exhaust the stack of a Fluent Bit thread.
const maxDepth = 64

// objectLen returns the length of the msgpack object at the start of b and
// whether its containers nest deeper than maxDepth. It walks iteratively rather
// than with msgp.Skip, which recurses once per level, so that the object's end
// is found even when the nesting is hostile. On error, n is the offset of the
// object that could not be read.
func objectLen(b []byte) (n int, tooDeep bool, err error) {
	var open [maxDepth]uint64 // objects still to read in each enclosing container
	depth := 0                // containers currently open
	left := uint64(1)         // objects still to read at the current level
	rest := b
	for {
		for left == 0 {
			if depth == 0 {
				return len(b) - len(rest), tooDeep, nil
			}
			depth--
			left = open[depth]
		}
		left--
		children, container, tail, err := readHeader(rest)
		if err != nil {
			return len(b) - len(rest), tooDeep, err
		}
		rest = tail
		switch {
		case !container:
		case tooDeep:
			left += children
		case depth == maxDepth:
			// Stop tracking levels: only the object's end matters now.
			tooDeep = true
			for _, l := range open[:depth] {
				left += l
			}
			depth = 0
			left += children
		default:
			open[depth] = left
			depth++
			left = children
		}
	}
}

// skipObject returns b after the msgpack object at its start. It is only used
// inside events objectLen has accepted, where it cannot fail; ok is checked
// anyway so that a bug ends an iteration instead of crashing Fluent Bit.
func skipObject(b []byte) ([]byte, bool) {
	if k := kindOf(leadByte(b)); k != KindMap && k != KindArray {
		rest, err := skipScalar(b)
		return rest, err == nil
	}
	n, _, err := objectLen(b)
	if err != nil {
		return nil, false
	}
	return b[n:], true
}

// readHeader reads the header of the object at the start of b. For a map or
// array it returns the number of objects the container holds (two per map
// entry); any other object is skipped whole.
func readHeader(b []byte) (children uint64, container bool, rest []byte, err error) {
	if len(b) == 0 {
		return 0, false, b, msgp.ErrShortBytes
	}
	switch kindOf(b[0]) {
	case KindMap:
		sz, rest, err := msgp.ReadMapHeaderBytes(b)
		return 2 * uint64(sz), true, rest, err
	case KindArray:
		sz, rest, err := msgp.ReadArrayHeaderBytes(b)
		return uint64(sz), true, rest, err
	default:
		rest, err := skipScalar(b)
		return 0, false, rest, err
	}
}

// skipScalar returns b after the non-container object at its start. fixstr,
// by far the most common type in log records, is sized inline.
func skipScalar(b []byte) ([]byte, error) {
	if lead := leadByte(b); lead&0xe0 == 0xa0 {
		end := 1 + int(lead&0x1f)
		if len(b) < end {
			return b, msgp.ErrShortBytes
		}
		return b[end:], nil
	}
	return msgp.Skip(b)
}

// corruptReason describes why objectLen failed at chunk offset at.
func corruptReason(err error, at int) string {
	var prefix msgp.InvalidPrefixError
	switch {
	case errors.Is(err, msgp.ErrShortBytes):
		return fmt.Sprintf("truncated msgpack object at offset %d", at)
	case errors.As(err, &prefix):
		return fmt.Sprintf("invalid msgpack type byte 0x%02x at offset %d", byte(prefix), at)
	default:
		return fmt.Sprintf("invalid msgpack at offset %d: %v", at, err)
	}
}

// kindOf maps a msgpack type byte to its Kind. It is on every hot path, hence
// the table.
func kindOf(lead byte) Kind { return kindTable[lead] }

// kindTable is read-only after initialization.
var kindTable = func() (t [256]Kind) {
	for i := range t {
		t[i] = classify(byte(i))
	}
	return t
}()

// classify maps a msgpack type byte to its Kind. Positive fixints are KindInt,
// as msgp reports them. The never-used byte 0xc1 maps to KindNil; objectLen
// rejects it before any Value can hold it.
func classify(lead byte) Kind {
	switch {
	case lead <= 0x7f, lead >= 0xe0, lead >= 0xd0 && lead <= 0xd3:
		return KindInt
	case lead <= 0x8f, lead == 0xde, lead == 0xdf:
		return KindMap
	case lead <= 0x9f, lead == 0xdc, lead == 0xdd:
		return KindArray
	case lead <= 0xbf, lead >= 0xc4 && lead <= 0xc6, lead >= 0xd9 && lead <= 0xdb:
		return KindString
	case lead == 0xc2, lead == 0xc3:
		return KindBool
	case lead == 0xca, lead == 0xcb:
		return KindFloat
	case lead >= 0xcc && lead <= 0xcf:
		return KindUint
	case lead >= 0xc7 && lead <= 0xc9, lead >= 0xd4 && lead <= 0xd8:
		return KindExt
	default: // 0xc0 nil, 0xc1 never used
		return KindNil
	}
}

// wireType names the msgpack type of lead as the msgpack specification does,
// which, unlike Kind, tells str from bin.
func wireType(lead byte) string {
	switch {
	case isBin(lead):
		return "bin"
	case lead == 0xc1:
		return "invalid"
	}
	switch k := kindOf(lead); k {
	case KindString:
		return "str"
	default:
		return k.String()
	}
}

// isBin reports whether lead starts a msgpack bin object.
func isBin(lead byte) bool { return lead >= 0xc4 && lead <= 0xc6 }

// readExt splits the ext object at the start of b into its type and payload.
// ok is false if b does not start with a complete ext object.
func readExt(b []byte) (typ int8, data []byte, ok bool) {
	if len(b) < 2 {
		return 0, nil, false
	}
	var size, off int
	switch b[0] {
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1, 2, 4, 8, 16
		size, off = 1<<(b[0]-0xd4), 2
	case 0xc7: // ext 8
		if len(b) < 3 {
			return 0, nil, false
		}
		size, off = int(b[1]), 3
	case 0xc8: // ext 16
		if len(b) < 4 {
			return 0, nil, false
		}
		size, off = int(b[1])<<8|int(b[2]), 4
	case 0xc9: // ext 32
		if len(b) < 6 {
			return 0, nil, false
		}
		size = int(uint32(b[1])<<24 | uint32(b[2])<<16 | uint32(b[3])<<8 | uint32(b[4]))
		off = 6
	default:
		return 0, nil, false
	}
	if size < 0 || len(b)-off < size {
		return 0, nil, false
	}
	return int8(b[off-1]), b[off : off+size], true
}
