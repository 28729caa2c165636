package test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/welfbridge/welfbridge/internal/config"
)

// coreKeys are output properties Fluent Bit's core consumes; they never
// reach the plugin.
var coreKeys = map[string]bool{"name": true, "match": true, "match_regex": true, "alias": true, "workers": true, "retry_limit": true, "log_level": true}

// TestShippedConfigs: every welf output in conf/, classic and YAML, has
// only keys the plugin knows, with values it accepts, so a user who copies
// one gets past Init.
func TestShippedConfigs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(root, "conf", "fluent-bit*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no configs in conf/: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			var outputs []map[string]string
			if strings.HasSuffix(file, ".yaml") {
				outputs = yamlWelfOutputs(t, file)
			} else {
				outputs = classicWelfOutputs(t, file)
			}
			if len(outputs) == 0 {
				t.Fatal("no welf output")
			}
			for i, props := range outputs {
				for key := range props {
					if coreKeys[key] {
						delete(props, key)
					}
				}
				// A key Parse never asks for is a typo Fluent Bit would
				// pass over in silence.
				asked := map[string]bool{}
				get := func(key string) string {
					asked[strings.ToLower(key)] = true
					return props[strings.ToLower(key)]
				}
				if _, err := config.Parse(get, "host"); err != nil {
					t.Errorf("welf output %d: %v", i, err)
				}
				for key := range props {
					if !asked[key] {
						t.Errorf("welf output %d: unknown key %q", i, key)
					}
				}
			}
		})
	}
}

// classicWelfOutputs returns the properties, keys in lower case, of every
// [OUTPUT] section with Name welf.
func classicWelfOutputs(t *testing.T, file string) []map[string]string {
	t.Helper()
	var outputs []map[string]string
	var section map[string]string
	forEachLine(t, file, func(line string) {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = nil
			if strings.EqualFold(line, "[OUTPUT]") {
				section = map[string]string{}
				outputs = append(outputs, section)
			}
		case section != nil:
			key, value, _ := strings.Cut(line, " ")
			section[strings.ToLower(key)] = strings.TrimSpace(value)
		}
	})
	return welfOnly(outputs)
}

// yamlWelfOutputs does the same for the outputs list of a YAML config,
// whose entries are flat "key: value" maps.
func yamlWelfOutputs(t *testing.T, file string) []map[string]string {
	t.Helper()
	var outputs []map[string]string
	var entry map[string]string
	inOutputs := false
	forEachLine(t, file, func(line string) {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
		case trimmed == "outputs:":
			inOutputs = true
		case inOutputs && !strings.HasPrefix(line, "    "):
			inOutputs, entry = false, nil
		case inOutputs:
			if rest, ok := strings.CutPrefix(trimmed, "- "); ok {
				entry = map[string]string{}
				outputs = append(outputs, entry)
				trimmed = rest
			}
			key, value, _ := strings.Cut(trimmed, ":")
			entry[strings.ToLower(key)] = strings.TrimSpace(value)
		}
	})
	return welfOnly(outputs)
}

func welfOnly(outputs []map[string]string) []map[string]string {
	var welf []map[string]string
	for _, o := range outputs {
		if o["name"] == "welf" {
			welf = append(welf, o)
		}
	}
	return welf
}

func forEachLine(t *testing.T, file string, f func(string)) {
	t.Helper()
	fh, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	s := bufio.NewScanner(fh)
	for s.Scan() {
		f(s.Text())
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
}
