package welf

// truncate shortens text fields until the record is at least excess bytes
// shorter or no text is left: msg first, then the other text fields from the
// last written to the first. It never touches the header or structured
// fields, whose meaning a shortened value would change.
//
// Shortening only lowers the end of each chosen value (a value shortened to
// nothing marks its field removed); compact then moves the bytes once.
func (b *Builder) truncate(excess int) {
	msg := -1
	for i := range b.fields {
		f := &b.fields[i]
		if f.text && string(b.buf[f.key:f.keyEnd]) == "msg" {
			msg = i
			excess -= b.shorten(f, excess)
			break
		}
	}
	for i := len(b.fields) - 1; i >= 0 && excess > 0; i-- {
		if f := &b.fields[i]; f.text && i != msg {
			excess -= b.shorten(f, excess)
		}
	}
	b.compact()
}

// shorten lowers f.end so that the value loses at least need bytes, cutting
// only between escape sequences and whole UTF-8 characters. If that leaves
// nothing, the whole field is removed. It returns the bytes saved.
func (b *Builder) shorten(f *field, need int) int {
	value := b.buf[f.val:f.end]
	keep := cutPoint(value, len(value)-need)
	if keep == 0 {
		saved := f.end - f.start
		if f.quoted {
			saved++ // the closing quote
		}
		f.end = f.val
		return saved
	}
	f.end = f.val + keep
	return len(value) - keep
}

// cutPoint returns the largest n <= limit such that value[:n] ends between
// two encoded characters: never inside an escape sequence (\\, \n, \xNN, …)
// or a multi-byte UTF-8 character. value is escaped output, so every byte
// >= 0x80 belongs to a valid UTF-8 sequence.
func cutPoint(value []byte, limit int) int {
	n := 0
	for n < len(value) {
		size := 1
		switch c := value[n]; {
		case c == '\\' && n+1 < len(value) && value[n+1] == 'x':
			size = escapedRuneLen(value, n)
		case c == '\\':
			size = 2
		case c >= 0x80:
			size = max(validRuneLen(value, n), 1)
		}
		if n+size > limit {
			break
		}
		n += size
	}
	return n
}

// escapedRuneLen returns the length of the \xNN escapes starting at
// value[n] that together stand for one UTF-8 character (a C1 control or a
// separator written escaped), or 4 for a single escaped byte: cutting inside
// such a group would leave a broken character.
func escapedRuneLen(value []byte, n int) int {
	lead, ok := escapedByte(value, n)
	if !ok {
		return 4
	}
	want := 0
	switch {
	case lead >= 0xc2 && lead <= 0xdf:
		want = 2
	case lead >= 0xe0 && lead <= 0xef:
		want = 3
	default:
		return 4
	}
	size := 4
	for k := 1; k < want; k++ {
		c, ok := escapedByte(value, n+size)
		if !ok || c < 0x80 || c > 0xbf {
			return 4
		}
		size += 4
	}
	return size
}

// escapedByte decodes the escape \xNN at value[i].
func escapedByte(value []byte, i int) (byte, bool) {
	if i+4 > len(value) || value[i] != '\\' || value[i+1] != 'x' {
		return 0, false
	}
	hi, okHi := lowerHexValue(value[i+2])
	lo, okLo := lowerHexValue(value[i+3])
	return hi<<4 | lo, okHi && okLo
}

// compact moves the kept part of every field into place after truncate,
// drops removed fields and updates the offsets of the rest.
func (b *Builder) compact() {
	w, kept := 0, 0
	for _, f := range b.fields {
		if f.end == f.val {
			continue // removed by shorten
		}
		shift := f.start - w
		w += copy(b.buf[w:], b.buf[f.start:f.end])
		if f.quoted {
			b.buf[w] = '"'
			w++
		}
		f.start -= shift
		f.key -= shift
		f.keyEnd -= shift
		f.val -= shift
		f.end -= shift
		b.fields[kept] = f
		kept++
	}
	b.buf = b.buf[:w]
	b.fields = b.fields[:kept]
}
