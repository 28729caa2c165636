package airlock

import "time"

// Time returns @timestamp, an ISO-8601 time with an optional fraction and a
// zone: "2023-12-06T15:19:35.763+01:00" (Gateway), "2024-05-01T08:15:02.123+0000"
// (Microgateway 4.x) or "...Z". ok is false when @timestamp is absent or not
// of that form, or its year outside 0001-9998 (which every zone renders
// within the four digits WELF has). The time keeps the message's UTC
// offset.
//
// The result is kept for the next call on the same text: the pipeline asks
// for the header, WriteWELF for unvalidated_time.
func (r *Record) Time() (t time.Time, ok bool) {
	b := r.values[FieldTimestamp]
	if r.timeCached && string(b) == string(r.timeText) {
		return r.timeValue, r.timeOK
	}
	t, ok = r.parseTime(b)
	if len(b) <= maxCachedTime {
		r.timeText = append(r.timeText[:0], b...)
		r.timeValue, r.timeOK, r.timeCached = t, ok, true
	}
	return t, ok
}

// maxCachedTime bounds the @timestamp text Time keeps: real ones are
// about 29 bytes.
const maxCachedTime = 64

// parseTime parses b as Time describes.
func (r *Record) parseTime(b []byte) (t time.Time, ok bool) {
	// YYYY-MM-DDThh:mm:ss is fixed width; a space instead of T is accepted.
	if len(b) < len("2006-01-02T15:04:05Z") ||
		b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 ||
		year < 1 || year > 9998 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}

	rest := b[19:]
	nsec := 0
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			if n <= 9 { // digits beyond nanoseconds are dropped
				nsec = nsec*10 + int(rest[n]-'0')
			}
			n++
		}
		if n == 1 {
			return time.Time{}, false
		}
		for i := n; i <= 9; i++ {
			nsec *= 10
		}
		rest = rest[n:]
	}

	offset, ok := parseOffset(rest)
	if !ok {
		return time.Time{}, false
	}
	t = time.Date(year, time.Month(month), day, hour, minute, sec, nsec, r.location(offset))
	if t.Day() != day { // time.Date normalises 2024-02-30 to March
		return time.Time{}, false
	}
	return t, true
}

// parseOffset reads "Z", "±hh:mm" or "±hhmm" and returns the offset in seconds.
func parseOffset(b []byte) (int, bool) {
	if len(b) == 1 && (b[0] == 'Z' || b[0] == 'z') {
		return 0, true
	}
	if (len(b) != len("+01:00") && len(b) != len("+0100")) || (b[0] != '+' && b[0] != '-') {
		return 0, false
	}
	hh, okH := digits(b[1:3])
	mmText := b[3:]
	if len(b) == len("+01:00") {
		if b[3] != ':' {
			return 0, false
		}
		mmText = b[4:]
	}
	mm, okM := digits(mmText)
	if !okH || !okM || hh > 23 || mm > 59 {
		return 0, false
	}
	offset := hh*3600 + mm*60
	if b[0] == '-' {
		offset = -offset
	}
	return offset, true
}

// location returns a zone for the offset without allocating in the common
// case of a gateway that always logs the same offset.
func (r *Record) location(offset int) *time.Location {
	if offset == 0 {
		return time.UTC
	}
	if r.zone == nil || r.zoneOffset != offset {
		r.zone = time.FixedZone("", offset)
		r.zoneOffset = offset
	}
	return r.zone
}

// digits parses a short run of decimal digits.
func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
