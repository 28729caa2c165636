package eventtest

import (
	"encoding/hex"
	"testing"
	"time"
)

func TestAppend(t *testing.T) {
	ts := time.Date(2024, 3, 5, 8, 12, 44, 318000000, time.UTC) // 0x65e6d3fc s, 0x12f44b80 ns
	tests := []struct {
		name string
		got  []byte
		want string // hex
	}{
		{
			name: "V2 with every value type",
			got: AppendV2(nil, ts, map[string]any{
				"u": uint64(200), "t": true, "n": nil, "m": map[string]any{"k": []any{int64(1), "z"}},
				"i": -1, "f": 1.5, "b": []byte("x"), "a": "y",
			}),
			want: "9292d70065e6d3fc12f44b808088" +
				"a161a179" + // "a": "y"
				"a162c40178" + // "b": bin "x"
				"a166cb3ff8000000000000" + // "f": 1.5
				"a169ff" + // "i": -1
				"a16d81a16b9201a17a" + // "m": {"k": [1, "z"]}
				"a16ec0" + // "n": nil
				"a174c3" + // "t": true
				"a175ccc8", // "u": 200
		},
		{
			name: "V2 nil record",
			got:  AppendV2(nil, ts, nil),
			want: "9292d70065e6d3fc12f44b808080",
		},
		{
			name: "legacy",
			got:  AppendLegacy(nil, ts, map[string]any{"a": "y"}),
			want: "92d70065e6d3fc12f44b8081a161a179",
		},
		{
			name: "group start",
			got:  AppendGroupStart(nil),
			want: "9292d700ffffffff000000008080",
		},
		{
			name: "group end appended to existing bytes",
			got:  AppendGroupEnd([]byte{0xc0}),
			want: "c09292d700fffffffe000000008080",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hex.EncodeToString(tt.got); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
