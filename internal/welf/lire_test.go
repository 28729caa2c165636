package welf

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Lire::WELF::parse (welf.md §3.1), re-implemented: strip one trailing CR,
// require id= and time= somewhere, then scan globally for key=value with a
// quote-naive regex; the last duplicate wins. Lire does not unescape.
var (
	lireField = regexp.MustCompile(`\b(\w+)=(?:"(.*?)"|([^" ]+))`)
	lireID    = regexp.MustCompile(`\bid=`)
	lireTime  = regexp.MustCompile(`\btime=`)
)

func lireParse(line []byte) (map[string]string, error) {
	line = bytes.TrimSuffix(line, []byte("\r"))
	if !lireID.Match(line) || !lireTime.Match(line) {
		return nil, errors.New("lire: not a WELF record")
	}
	fields := make(map[string]string)
	for _, m := range lireField.FindAllSubmatchIndex(line, -1) {
		key := string(line[m[2]:m[3]])
		if m[4] >= 0 {
			fields[key] = string(line[m[4]:m[5]])
		} else {
			fields[key] = string(line[m[6]:m[7]])
		}
	}
	return fields, nil
}

// unescapeLire undoes our escaping on a value as Lire returns it. It is kept
// independent of Decode so that the two checks do not share a bug.
func unescapeLire(v string) (string, error) {
	var out strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' {
			out.WriteByte(v[i])
			continue
		}
		if i+1 == len(v) {
			return "", fmt.Errorf("lone backslash at the end of %q", v)
		}
		i++
		switch v[i] {
		case '\\':
			out.WriteByte('\\')
		case 'b':
			out.WriteByte('\b')
		case 'f':
			out.WriteByte('\f')
		case 'n':
			out.WriteByte('\n')
		case 'r':
			out.WriteByte('\r')
		case 't':
			out.WriteByte('\t')
		case 'x':
			if i+2 >= len(v) {
				return "", fmt.Errorf(`short \x in %q`, v)
			}
			c, err := strconv.ParseUint(v[i+1:i+3], 16, 8)
			if err != nil {
				return "", fmt.Errorf(`bad \x in %q: %w`, v, err)
			}
			out.WriteByte(byte(c))
			i += 2
		default:
			return "", fmt.Errorf("unknown escape \\%c in %q", v[i], v)
		}
	}
	return out.String(), nil
}

// checkLire fails the test unless Lire reads exactly the keys of want, each
// with a value that unescapes to the wanted bytes.
func checkLire(t *testing.T, rec []byte, want []Field) {
	t.Helper()
	got, err := lireParse(rec)
	if err != nil {
		t.Fatalf("%v: %q", err, rec)
	}
	wantKeys := make([]string, len(want))
	for i, f := range want {
		wantKeys[i] = f.Key
	}
	slices.Sort(wantKeys)
	if gotKeys := slices.Sorted(maps.Keys(got)); !slices.Equal(gotKeys, wantKeys) {
		t.Fatalf("Lire keys %q, want %q\nrecord %q", gotKeys, wantKeys, rec)
	}
	for _, f := range want {
		v, err := unescapeLire(got[f.Key])
		if err != nil {
			t.Fatalf("Lire value of %s: %v", f.Key, err)
		}
		if v != f.Value {
			t.Fatalf("Lire value of %s = %q, want %q\nrecord %q", f.Key, v, f.Value, rec)
		}
	}
}

// TestLireParse pins the re-implementation to the behaviour measured with
// the real Perl regex (welf.md §3.1 table), so that it can be trusted as an
// oracle.
func TestLireParse(t *testing.T) {
	const head = `id=firewall time="2024-03-05 07:08:09" fw=gw1 pri=6 `
	tests := []struct {
		name, rec string
		want      map[string]string
	}{
		{"backslash quote injects", head + `msg="say \"hi\" x=1 now"`, map[string]string{"msg": `say \`, "x": "1"}},
		{"raw quote truncates", head + `msg=a"b rule=3`, map[string]string{"msg": "a", "rule": "3"}},
		{"bare quote overwrites pri", head + `msg=x"pri=0`, map[string]string{"msg": "x", "pri": "0"}},
		{"\\x22 is inert", head + `msg="say \x22hi\x22 pri=0 now"`, map[string]string{"msg": `say \x22hi\x22 pri=0 now`}},
		{"empty bare dropped", head + `user= op=GET`, map[string]string{"op": "GET"}},
		{"empty quoted kept", head + `user=""`, map[string]string{"user": ""}},
		{"dots and dashes cut keys", head + `prefix.key1=v1 my-key=v2`, map[string]string{"key1": "v1", "key": "v2"}},
		{"equals in bare value", head + `arg=/a?b=c&d=e`, map[string]string{"arg": "/a?b=c&d=e"}},
		{"backslashes literal", head + `msg="a\\b c"`, map[string]string{"msg": `a\\b c`}},
		{"trailing CR stripped", head + "rule=3\r", map[string]string{"rule": "3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := lireParse([]byte(tc.rec))
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"id": "firewall", "time": "2024-03-05 07:08:09", "fw": "gw1", "pri": "6"}
			maps.Copy(want, tc.want)
			if !maps.Equal(got, want) {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
	if _, err := lireParse([]byte(`time="2024-03-05 07:08:09" fw=gw1`)); err == nil {
		t.Error("record without id=: want an error")
	}
}
