package test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/welfbridge/welfbridge/internal/config"
)

// TestScaleOutConfigs: the welf outputs of the scale-out configs in
// conf/scale-out/ (README "Scaling out") have only keys the plugin knows,
// with values it accepts, as TestShippedConfigs checks for conf/.
func TestScaleOutConfigs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(root, "conf", "scale-out", "*.conf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no configs in conf/scale-out: %v", err)
	}
	welfs := 0
	for _, file := range files {
		for i, props := range classicWelfOutputs(t, file) {
			welfs++
			asked := map[string]bool{}
			for key := range coreKeys {
				asked[key] = true
			}
			get := func(key string) string {
				asked[strings.ToLower(key)] = true
				return props[strings.ToLower(key)]
			}
			if _, err := config.Parse(get, "host"); err != nil {
				t.Errorf("%s: welf output %d: %v", filepath.Base(file), i, err)
			}
			for key := range props {
				if !asked[key] {
					t.Errorf("%s: welf output %d: unknown key %q", filepath.Base(file), i, key)
				}
			}
		}
	}
	if welfs != 3 {
		t.Errorf("%d welf outputs in conf/scale-out, want 3 (two aggregators, the MWG node)", welfs)
	}
}
