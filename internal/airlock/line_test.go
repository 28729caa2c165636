package airlock

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// readLine returns the log_id (or "-") of every record LineReader reads from
// line, and its Stray.
func readLine(line string) (ids []string, stray string) {
	var l LineReader
	var r Record
	l.Reset([]byte(line))
	for l.Next(&r) {
		id := string(r.Get(FieldLogID))
		if id == "" {
			id = "-"
		}
		ids = append(ids, id)
	}
	return ids, l.Stray()
}

func TestLineReader(t *testing.T) {
	const a, b, c = `{"log_id":"A"}`, `{"log_id":"B"}`, `{"log_id":"C"}`
	tests := []struct {
		name, line string
		ids        []string
		stray      string
	}{
		{"one object", a, []string{"A"}, ""},
		{"line end", a + "\r\n", []string{"A"}, ""},
		{"two objects", a + " " + b, []string{"A", "B"}, ""},
		{"adjacent objects", a + b + c, []string{"A", "B", "C"}, ""},
		{"comma separated", a + ", " + b + "," + c + "\n", []string{"A", "B", "C"}, ""},
		{"array of text and object", `["text",` + a + `]`, []string{"A"},
			"text before the JSON object at offset 8 is not a syslog or time header; text after the JSON object at offset 22"},
		{"array of objects", `[` + a + `,` + b + `]`, []string{"A", "B"},
			"text before the JSON object at offset 1 is not a syslog or time header; text after the JSON object at offset 30"},
		{"trailing garbage", a + ` trailing`, []string{"A"}, "text after the JSON object at offset 14"},
		{"trailing comma", a + `,`, []string{"A"}, "text after the JSON object at offset 14"},
		{"garbage stops reading", a + " x " + b, []string{"A"}, "text after the JSON object at offset 14"},
		{"second object broken", a + ` {"log_id":`, []string{"A"}, "invalid JSON at offset 25: unexpected end of input"},
		{"prefix without space", `garbage` + a, []string{"A"}, "text before the JSON object at offset 7 is not a syslog or time header"},
		{"prefix not a header", `x ` + a, []string{"A"}, "text before the JSON object at offset 2 is not a syslog or time header"},
		{"bad PRI", `<abc> ` + a, []string{"A"}, "text before the JSON object at offset 6 is not a syslog or time header"},
		{"RFC 3164", `<134>Mar  5 09:13:02 gw01 SG_child[20419]: ` + a, []string{"A"}, ""},
		{"RFC 5424", `<134>1 2024-03-05T09:12:44.318+01:00 gw01 SG_child 20417 - - ` + a + " " + b, []string{"A", "B"}, ""},
		{"BSD syslog file", `Mar  5 09:13:02 gw01 SG_child[20419]: ` + a, []string{"A"}, ""},
		{"time and host", `2024-03-05T09:12:44.331+01:00 gw01 ` + a, []string{"A"}, ""},
		{"white space", " \t" + a, []string{"A"}, ""},
		{"byte order mark", "\ufeff" + a, []string{"A"}, ""},
		{"byte order mark and header", "\ufeff<14>Mar  5 09:13:02 gw01 x: " + a, []string{"A"}, ""},
		{"byte order mark inside", "x\ufeff" + a, []string{"A"}, "text before the JSON object at offset 4 is not a syslog or time header"},
		{"no object", `no json here`, nil, "no JSON object in line"},
		{"array of numbers", `[1,2,3]`, nil, "no JSON object in line"},
		{"broken only object", `{"log_id":"A"`, nil, "invalid JSON at offset 13: unexpected end of input"},
		{"Kibana export and object", `{"_index":"i","_source":{"log_id":"A"},"fields":{"x":[1]}} ` + b, []string{"A", "B"}, ""},
		{"object without log_id", `{"foo":"bar"} ` + a, []string{"-", "A"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ids, stray := readLine(tc.line)
			if strings.Join(ids, ",") != strings.Join(tc.ids, ",") || stray != tc.stray {
				t.Errorf("got %q, stray %q\nwant %q, stray %q", ids, stray, tc.ids, tc.stray)
			}
		})
	}
}

func TestLineReaderAllocs(t *testing.T) {
	line := append(append(readFixture(t, "summary.json"), ' '), readFixture(t, "block.json")...)
	var l LineReader
	var r Record
	allocs := testing.AllocsPerRun(100, func() {
		l.Reset(line)
		for l.Next(&r) {
		}
		if l.Stray() != "" {
			t.Fatal(l.Stray())
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per line, want 0", allocs)
	}
}

// FuzzLineReader checks that no object of a line vanishes and that no text
// passes unreported: a line that encoding/json reads as k objects (white
// space and single commas between them) gives k records and no stray text,
// and a line with no stray text is such a sequence.
func FuzzLineReader(f *testing.F) {
	for _, s := range []string{
		`{"log_id":"A"} {"log_id":"B"}`, `["text",{"log_id":"A"}]`, `{"log_id":"A"} trailing`,
		`{"a":1},{"b":[{"c":"}"}]}`, `<134>Mar  5 09:13:02 gw01 x: {"a":"b"}`, ` `, `{}{}`, `{"_source":{"a":1},"x":2}{"y":3}`,
	} {
		f.Add([]byte(s))
	}
	var l LineReader
	var r Record
	f.Fuzz(func(t *testing.T, line []byte) {
		n := 0
		l.Reset(line)
		for l.Next(&r) {
			n++
		}
		stray := l.Stray()
		if n == 0 && stray == "" {
			t.Fatalf("no record and no stray text for %q", line)
		}
		if bytes.IndexFunc(line, func(r rune) bool { return r < 0x20 || r == 0xfffd }) >= 0 {
			// encoding/json refuses raw control characters (TAB, LF and CR
			// too) and invalid UTF-8 inside strings, which LineReader takes.
			return
		}
		k, ok := jsonObjects(line)
		if ok && (k != n || stray != "") {
			t.Fatalf("%q: encoding/json reads %d objects, LineReader %d (stray %q)", line, k, n, stray)
		}
		if !ok && stray == "" && skipSpace(line, 0) < len(line) && line[skipSpace(line, 0)] == '{' {
			t.Fatalf("%q: not a sequence of JSON objects, but no stray text reported (%d records)", line, n)
		}
	})
}

// jsonObjects counts the JSON objects of line, separated by white space and
// single commas, using encoding/json; ok is false if the line is anything
// else.
func jsonObjects(line []byte) (int, bool) {
	n := 0
	rest := line
	for {
		rest = bytes.TrimLeft(rest, " \t\r\n")
		if len(rest) == 0 {
			return n, n > 0
		}
		if n > 0 && rest[0] == ',' {
			rest = bytes.TrimLeft(rest[1:], " \t\r\n")
		}
		if len(rest) == 0 || rest[0] != '{' {
			return n, false
		}
		dec := json.NewDecoder(bytes.NewReader(rest))
		var m map[string]json.RawMessage
		if err := dec.Decode(&m); err != nil {
			return n, false
		}
		rest = rest[dec.InputOffset():]
		n++
	}
}
