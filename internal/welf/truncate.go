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
			size = 4
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
