package flbhost_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// maxJSONDepth is the harness's nesting limit (MAX_JSON_DEPTH in flbhost.c);
// deeper lines are treated as unparsable, so they arrive raw.
const maxJSONDepth = 256

// jsonLineSeeds cover every branch of the C parser; they are also checked by
// TestJSONLines so plain go test exercises them.
var jsonLineSeeds = []string{
	`{}`,
	` {"a" : "b" } `,
	`{"s":"\"\\\/\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00"}`,
	`{"lone_high":"\ud800","lone_low":"\udc00x","high_then_text":"\ud800\u0041"}`,
	`{"ints":[0,-0,1,-1,127,128,255,256,65535,65536,4294967295,4294967296,-32,-33,-128,-129,-32768,-32769,-2147483648,-2147483649]}`,
	`{"limits":[9223372036854775807,9223372036854775808,18446744073709551615,18446744073709551616,-9223372036854775808,-9223372036854775809]}`,
	`{"floats":[0.0,-0.0,1.5,1e3,1E-3,2.5e+10,1e400,-1e400,1e-400,4.9e-324]}`,
	`{"lit":[true,false,null],"nested":{"a":[{"b":{}}],"c":[[]]}}`,
	`{"dup":1,"dup":2}`,
	`{"long":"` + strings.Repeat("x", 70000) + `","medium":"` + strings.Repeat("m", 300) + `"}`,
	`{"m0":0,"m1":1,"m2":2,"m3":3,"m4":4,"m5":5,"m6":6,"m7":7,"m8":8,"m9":9,"m10":10,"m11":11,"m12":12,"m13":13,"m14":14,"m15":15}`,
	`{"k` + strings.Repeat("y", 40) + `":1}`,
	strings.Repeat(`{"a":`, maxJSONDepth) + `1` + strings.Repeat(`}`, maxJSONDepth),
	strings.Repeat(`{"a":`, maxJSONDepth+1) + `1` + strings.Repeat(`}`, maxJSONDepth+1),
	`[1,2]`,
	`"just a string"`,
	`42`,
	`{"a":1} trailing`,
	`{"a":1,}`,
	`{"a":01}`,
	`{"a":1.}`,
	`{"a":-}`,
	`{"a":.5}`,
	`{"a":"tab	inside"}`,
	`{"a":"\x"}`,
	`{"a":"\u12"}`,
	`{"a":tru}`,
	`{"a" 1}`,
	`{a:1}`,
	`{"a":"unterminated`,
	"{\"nul\":\"a\x00b\"}",
	"plain \x00 text",
	` `,
	`not json at all`,
}

func TestJSONLines(t *testing.T) {
	arts := mustBuild(t)
	for i, line := range jsonLineSeeds {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			checkJSONLine(t, arts, line)
		})
	}
}

// FuzzJSONLine compares the harness's JSON-to-msgpack conversion with
// encoding/json: a line holding one JSON object must reach the plugin as that
// object, anything else as {"log": line}.
func FuzzJSONLine(f *testing.F) {
	for _, seed := range jsonLineSeeds {
		f.Add(seed)
	}
	arts := mustBuild(f)
	f.Fuzz(func(t *testing.T, line string) {
		// Lines are split on LF with a trailing CR removed, and invalid UTF-8
		// is passed through where encoding/json would replace it, so such
		// inputs have no encoding/json counterpart.
		// Duplicate keys are packed twice, as Fluent Bit's own JSON packer
		// does; the probe's Go map and encoding/json keep one of them each,
		// so such objects have no counterpart to compare with either.
		if line == "" || strings.ContainsAny(line, "\r\n") || !utf8.ValidString(line) || hasDuplicateKeys(line) {
			t.Skip()
		}
		checkJSONLine(t, arts, line)
	})
}

func checkJSONLine(t *testing.T, arts artifacts, line string) {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "probe.out")
	writeFile(t, filepath.Join(dir, "in.log"), line+"\n")
	writeFile(t, filepath.Join(dir, "parsers.conf"), "[PARSER]\n    Name json\n    Format json\n")
	conf := fmt.Sprintf("[SERVICE]\n    parsers_file parsers.conf\n"+
		"[INPUT]\n    Name tail\n    Path %s/in.log\n    Tag app\n    Parser json\n"+
		"[OUTPUT]\n    Name probe\n    Match app\n    Probe_Out %s\n", dir, out)

	r := runHost(t, dir, conf, "-q", "-e", arts.probe, "--time", fixedTime)

	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit status %d, stderr:\n%s", r.code, r.stderr)
	}
	var got []string
	for _, l := range strings.Split(readFileOrEmpty(t, out), "\n") {
		if rest, ok := strings.CutPrefix(l, "  record 1714564800.250000000 "); ok {
			got = append(got, rest)
		}
	}
	want := renderJSON(map[string]interface{}{"log": line})
	if obj, ok := jsonObject(line); ok {
		want = renderJSON(obj)
	}
	if len(got) != 1 || got[0] != want {
		t.Errorf("line %q\n--- got records:\n%s\n--- want:\n%s", line, strings.Join(got, "\n"), want)
	}
}

// jsonObject decodes line the way the harness should: exactly one JSON
// object, nested at most maxJSONDepth deep.
func jsonObject(line string) (map[string]interface{}, bool) {
	if !json.Valid([]byte(line)) {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var v interface{}
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	obj, ok := v.(map[string]interface{})
	if !ok || nesting(obj) > maxJSONDepth {
		return nil, false
	}
	return obj, true
}

func nesting(v interface{}) int {
	deepest := 0
	switch x := v.(type) {
	case map[string]interface{}:
		for _, e := range x {
			deepest = max(deepest, nesting(e))
		}
	case []interface{}:
		for _, e := range x {
			deepest = max(deepest, nesting(e))
		}
	default:
		return 0
	}
	return deepest + 1
}

// renderJSON prints a decoded JSON value in the probe's record notation:
// strings quoted, integers plain, floats always with '.' or an exponent,
// object members sorted.
func renderJSON(v interface{}) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case string:
		return strconv.Quote(x)
	case json.Number:
		return renderNumber(string(x))
	case []interface{}:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = renderJSON(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case map[string]interface{}:
		parts := make([]string, 0, len(x))
		for k, e := range x {
			parts = append(parts, strconv.Quote(k)+":"+renderJSON(e))
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, ",") + "}"
	default:
		return fmt.Sprintf("%T(%v)", x, x)
	}
}

// renderNumber follows the harness: integer syntax becomes int64, or uint64
// above INT64_MAX, and anything else (or out of range) float64.
func renderNumber(n string) string {
	if !strings.ContainsAny(n, ".eE") {
		if i, err := strconv.ParseInt(n, 10, 64); err == nil {
			return strconv.FormatInt(i, 10)
		}
		if u, err := strconv.ParseUint(n, 10, 64); err == nil {
			return strconv.FormatUint(u, 10)
		}
	}
	f, _ := strconv.ParseFloat(n, 64) // ±Inf on overflow, as strtod
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eIN") {
		s += ".0"
	}
	return s
}

// hasDuplicateKeys reports whether any JSON object in line repeats a key.
func hasDuplicateKeys(line string) bool {
	dec := json.NewDecoder(strings.NewReader(line))
	type object struct {
		keys      map[string]bool
		expectKey bool
	}
	var stack []*object
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *object
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				if top != nil && !top.expectKey && top.keys != nil {
					top.expectKey = true // this object is the value of a key
				}
				stack = append(stack, &object{keys: map[string]bool{}, expectKey: true})
				continue
			case '[':
				if top != nil && top.keys != nil {
					top.expectKey = true
				}
				stack = append(stack, &object{})
				continue
			default:
				stack = stack[:len(stack)-1]
				continue
			}
		case string:
			if top != nil && top.keys != nil && top.expectKey {
				if top.keys[v] {
					return true
				}
				top.keys[v] = true
				top.expectKey = false
				continue
			}
		}
		if top != nil && top.keys != nil {
			top.expectKey = true // a value ends; the next token is a key
		}
	}
}

func TestHasDuplicateKeys(t *testing.T) {
	for line, want := range map[string]bool{
		`{"":"","":"0"}`:                    true,
		`{"a":1,"b":{"a":2},"c":[{"a":3}]}`: false,
		`{"a":{"x":1,"x":2}}`:               true,
		`{"a":[1,{"k":1}],"a":0}`:           true,
		`{"a":"b","b":"a"}`:                 false,
		`[{"a":1},{"a":1}]`:                 false,
		`not json`:                          false,
	} {
		if got := hasDuplicateKeys(line); got != want {
			t.Errorf("hasDuplicateKeys(%s) = %v, want %v", line, got, want)
		}
	}
}
