package replay

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

const tmpl = `# comment
[SERVICE]
    Flush 1

[INPUT]
    Name  tail
    Path  /old/*.txt
    # trailing comment

[OUTPUT]
    Name        welf
    Match       replay
    destination stdout
    Time_Zone   local
    # no workers

[OUTPUT]
    Name  stdout
    Match other
`

func TestRender(t *testing.T) {
	got, err := Render([]byte(tmpl), Params{
		Path:        "/stage/mwg/*/*.txt,/stage/airlock/*.log",
		Destination: "file:///out/x.welf",
		Set:         []Property{{"time_zone", "UTC"}, {"FW", "mwg01"}},
		Extra:       "[FILTER]\n    Name lua\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `# comment
[SERVICE]
    Flush 1

[INPUT]
    Name  tail
    Path  /stage/mwg/*/*.txt,/stage/airlock/*.log
    # trailing comment

[OUTPUT]
    Name        welf
    Match       replay
    destination file:///out/x.welf
    Time_Zone   UTC
    FW mwg01
    # no workers

[OUTPUT]
    Name  stdout
    Match other

[FILTER]
    Name lua
`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, bad := range []string{
		"[OUTPUT]\n    Name welf\n",
		"[INPUT]\n    Name tail\n    Path x\n",
		"[INPUT]\n    Name tail\n[OUTPUT]\n    Name welf\n",
		"[INPUT]\n    Name tail\n    Path x\n[INPUT]\n    Name tail\n    Path y\n[OUTPUT]\n    Name welf\n",
	} {
		if _, err := Render([]byte(bad), Params{Path: "p", Destination: "stdout"}); err == nil {
			t.Errorf("no error for\n%s", bad)
		}
	}
}

// TestRenderShipped: the shipped replay configuration renders.
func TestRenderShipped(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	shipped, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "conf", "fluent-bit-replay.conf"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Render(shipped, Params{Path: "/stage/mwg/*/*.txt", Destination: "file:///out.welf"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"    Path             /stage/mwg/*/*.txt\n", "    Destination   file:///out.welf\n", "    Exit_On_EOF      on\n"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("rendered config lacks %q:\n%s", want, got)
		}
	}
}

func TestParseProperty(t *testing.T) {
	for in, want := range map[string]Property{"Time_Zone=UTC": {"Time_Zone", "UTC"}, "FW mwg 01": {"FW", "mwg 01"}, " WELF_Id = x ": {"WELF_Id", "x"}} {
		if got, err := ParseProperty(in); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "FW", "FW=", "=x", "F W=x", "FW=a\nb", "[OUTPUT]=x"} {
		if _, err := ParseProperty(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestTimeScript(t *testing.T) {
	files := []StagedFile{
		{Path: "/stage/mwg/0/HTTP-1-C.txt", ModTime: time.Unix(1709625600, 5)},
		{Path: "/stage/we\"ird\\\n\xff", ModTime: time.Unix(1, 0)},
	}
	got := string(TimeScript(files, "file"))
	many := make([]StagedFile, 2*luaBatch+1)
	if n := strings.Count(string(TimeScript(many, "file")), "(function()\n"); n != 3 {
		t.Errorf("%d files in %d functions, want 3", len(many), n)
	}
	for _, want := range []string{
		"local mtime = {}\n(function()\n" + `  mtime["/stage/mwg/0/HTTP-1-C.txt"] = 1709625600.000000005` + "\n",
		`  mtime["/stage/we\034ird\092\010\255"] = 1.000000000` + "\nend)()\n",
		`function welf_replay_time(tag, timestamp, record)`,
		`  local t = mtime[record["file"]]`,
		"  return 1, t, record\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("script lacks %q:\n%s", want, got)
		}
	}
}
