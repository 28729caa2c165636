package airlock

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// dump renders every present field in Field order, then the unknown fields,
// one "key=value" per line with the value quoted by strconv.Quote only when
// it is not plain printable ASCII.
func dump(r *Record) string {
	var b strings.Builder
	for f := Field(0); f < NumFields; f++ {
		if v := r.Get(f); v != nil {
			b.WriteString(f.Name() + "=" + show(v) + "\n")
		}
	}
	for _, kv := range r.Extra() {
		b.WriteString("extra " + show(kv.Key) + "=" + show(kv.Value) + "\n")
	}
	return b.String()
}

func show(v []byte) string {
	for _, c := range v {
		if c < ' ' || c > '~' {
			return strconv.Quote(string(v))
		}
	}
	return string(v)
}

// recorder is a welf.FieldWriter that records "str key=value", "text key=value"
// or "int key=value" per field, so that tests see the Str/Text choice.
type recorder struct {
	lines []string
	raw   []string // key=value as written, not quoted for display
}

func (w *recorder) add(kind, key, val string) {
	w.lines = append(w.lines, kind+" "+key+"="+show([]byte(val)))
	w.raw = append(w.raw, key+"="+val)
}
func (w *recorder) Str(key, val string)              { w.add("str", key, val) }
func (w *recorder) Bytes(key string, val []byte)     { w.add("str", key, string(val)) }
func (w *recorder) Text(key, val string)             { w.add("text", key, val) }
func (w *recorder) TextBytes(key string, val []byte) { w.add("text", key, string(val)) }
func (w *recorder) Int(key string, v int64)          { w.add("int", key, strconv.FormatInt(v, 10)) }
func (w *recorder) Has(key string) bool {
	for _, l := range w.lines {
		_, kv, _ := strings.Cut(l, " ")
		if k, _, _ := strings.Cut(kv, "="); k == key {
			return true
		}
	}
	return false
}

// welfOf returns r's WELF fields as recorded, one per line.
func welfOf(r *Record) string {
	var w recorder
	r.WriteWELF(&w)
	if len(w.lines) == 0 {
		return ""
	}
	return strings.Join(w.lines, "\n") + "\n"
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lines joins its arguments with a newline after each.
func lines(l ...string) string {
	if len(l) == 0 {
		return ""
	}
	return strings.Join(l, "\n") + "\n"
}
