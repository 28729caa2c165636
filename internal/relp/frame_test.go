package relp

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestAppendFrame(t *testing.T) {
	tests := []struct {
		txnr    int
		command string
		data    string
		want    string
	}{
		{1, "open", "relp_version=0\ncommands=syslog", "1 open 30 relp_version=0\ncommands=syslog\n"},
		{2, "syslog", "<134>1 - h a - - - Grüße", "2 syslog 26 <134>1 - h a - - - Grüße\n"},
		{999999999, "syslog", "", "999999999 syslog 0\n"},
		{7, "close", "", "7 close 0\n"},
	}
	for _, tt := range tests {
		if got := string(appendFrame([]byte("x"), tt.txnr, tt.command, []byte(tt.data))); got != "x"+tt.want {
			t.Errorf("appendFrame(%d, %q, %q) = %q, want %q", tt.txnr, tt.command, tt.data, got, "x"+tt.want)
		}
	}
}

func TestNextTxnr(t *testing.T) {
	for _, tt := range []struct{ txnr, want int }{{1, 2}, {2, 3}, {999999998, 999999999}, {999999999, 1}} {
		if got := nextTxnr(tt.txnr); got != tt.want {
			t.Errorf("nextTxnr(%d) = %d, want %d", tt.txnr, got, tt.want)
		}
	}
}

// readAll reads frames from input until an error and describes them.
func readAll(input string) ([]string, error) {
	fr := newFrameReader(strings.NewReader(input))
	var got []string
	for {
		f, err := fr.read()
		if err != nil {
			return got, err
		}
		got = append(got, string(appendFrame(nil, f.txnr, string(f.command), f.data)))
	}
}

func TestReadFrame(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    []string // frames read, re-encoded
		wantErr string   // the error after them; "EOF" for a clean end
	}{
		{
			name:    "librelp answers",
			input:   openAnswer + "2 rsp 6 200 OK\n3 rsp 0\n0 serverclose 0\n",
			want:    []string{openAnswer, "2 rsp 6 200 OK\n", "3 rsp 0\n", "0 serverclose 0\n"},
			wantErr: "EOF",
		},
		{
			name:    "empty data after a space",
			input:   "3 rsp 0 \n",
			want:    []string{"3 rsp 0\n"},
			wantErr: "EOF",
		},
		{
			name:    "data holding line feeds and frame syntax",
			input:   "4 rsp 15 500 x\n5 rsp 1 y\n",
			want:    []string{"4 rsp 15 500 x\n5 rsp 1 y\n"},
			wantErr: "EOF",
		},
		{
			name:    "nine-digit numbers",
			input:   "999999999 rsp 6 200 OK\n",
			want:    []string{"999999999 rsp 6 200 OK\n"},
			wantErr: "EOF",
		},
		{
			name:    "nothing",
			wantErr: "EOF",
		},
		{
			name:    "end inside a frame",
			input:   "2 rsp 6 200 OK\n3 rsp 6 20",
			want:    []string{"2 rsp 6 200 OK\n"},
			wantErr: "unexpected EOF",
		},
		{
			name:    "end after the data",
			input:   "2 rsp 6 200 OK",
			wantErr: "unexpected EOF",
		},
		{
			name:    "ten-digit transaction number",
			input:   "1000000000 rsp 6 200 OK\n",
			wantErr: "bad frame from server: transaction number longer than 9 digits",
		},
		{
			name:    "ten-digit data length",
			input:   "2 rsp 0000000006 200 OK\n",
			wantErr: "bad frame from server: data length longer than 9 digits",
		},
		{
			name:    "no transaction number",
			input:   " rsp 6 200 OK\n",
			wantErr: "bad frame from server: transaction number starts with ' ', want a digit",
		},
		{
			name:    "negative transaction number",
			input:   "-2 rsp 6 200 OK\n",
			wantErr: "bad frame from server: transaction number starts with '-', want a digit",
		},
		{
			name:    "two spaces",
			input:   "2  rsp 6 200 OK\n",
			wantErr: "bad frame from server: command starts with ' ', want a letter",
		},
		{
			name:    "tab after the transaction number",
			input:   "2\trsp 6 200 OK\n",
			wantErr: `bad frame from server: '\t' after the transaction number, want a space`,
		},
		{
			name:    "digit in the command",
			input:   "2 rsp2 6 200 OK\n",
			wantErr: "bad frame from server: '2' after the command, want a space",
		},
		{
			name:    "command too long",
			input:   "2 " + strings.Repeat("r", 33) + " 0\n",
			wantErr: "bad frame from server: command longer than 32 letters",
		},
		{
			name:    "data length too large",
			input:   "2 rsp 65537 ",
			wantErr: "bad frame from server: data length 65537 exceeds 65536",
		},
		{
			name:    "data length without data",
			input:   "2 rsp 6\n",
			wantErr: `bad frame from server: '\n' after data length 6, want a space`,
		},
		{
			name:    "data longer than its length",
			input:   "2 rsp 3 200 OK\n",
			wantErr: "bad frame from server: ' ' after 3 data bytes, want a line feed",
		},
		{
			name:    "CRLF",
			input:   "2 rsp 6 200 OK\r\n",
			wantErr: `bad frame from server: '\r' after 6 data bytes, want a line feed`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(tt.input)
			if strings.Join(got, "") != strings.Join(tt.want, "") || len(got) != len(tt.want) {
				t.Errorf("frames %q, want %q", got, tt.want)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("error %q, want %q", err, tt.wantErr)
			}
			if strings.HasPrefix(tt.wantErr, "bad frame") != errors.Is(err, errBadFrame) {
				t.Errorf("error %v: errors.Is(err, errBadFrame) = %v", err, errors.Is(err, errBadFrame))
			}
		})
	}
}

// TestReadFrameDataAliasing: the data of a frame is the reader's buffer,
// reused by the next frame without allocating.
func TestReadFrameDataAliasing(t *testing.T) {
	fr := newFrameReader(strings.NewReader(strings.Repeat("2 rsp 6 200 OK\n", 100)))
	if _, err := fr.read(); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(50, func() {
		if f, err := fr.read(); err != nil || string(f.data) != "200 OK" {
			t.Fatalf("read: %q, %v", f.data, err)
		}
	})
	if allocs != 0 {
		t.Errorf("read allocates %v times per frame", allocs)
	}
	if _, err := readAll(""); err != io.EOF {
		t.Errorf("read of nothing: %v, want io.EOF", err)
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		data     string
		wantCode int
		wantLine string
		wantOK   bool
	}{
		{"200 OK", 200, "200 OK", true},
		{"200 OK\nrelp_version=0\ncommands=syslog", 200, "200 OK", true},
		{"500 error", 500, "500 error", true},
		{"500", 500, "500", true},
		{"500\nmore", 500, "500", true},
		{"", 0, "", false},
		{"OK", 0, "", false},
		{"2000 OK", 0, "", false},
		{"2x0 OK", 0, "", false},
	}
	for _, tt := range tests {
		code, line, ok := status([]byte(tt.data))
		if code != tt.wantCode || string(line) != tt.wantLine || ok != tt.wantOK {
			t.Errorf("status(%q) = %d, %q, %v; want %d, %q, %v", tt.data, code, line, ok, tt.wantCode, tt.wantLine, tt.wantOK)
		}
	}
}

func TestOffers(t *testing.T) {
	tests := []struct {
		data       string
		wantSyslog bool
	}{
		{"200 OK\nrelp_version=0\nrelp_software=librelp,1.11.0,http://librelp.adiscon.com\ncommands=syslog", true},
		{"200 OK\ncommands=foo,syslog,bar", true},
		{"200 OK\ncommands=syslog\n", true},
		{"200 OK\ncommands=syslogx", false},
		{"200 OK\ncommands=", false},
		{"200 OK\ncommand=syslog", false},
		{"200 OK\nrelp_software=syslog", false},
		{"200 OK commands=syslog", false}, // on the status line
		{"200 OK", false},
	}
	for _, tt := range tests {
		if got := listed(offered([]byte(tt.data), "commands"), "syslog"); got != tt.wantSyslog {
			t.Errorf("syslog offered in %q: %v, want %v", tt.data, got, tt.wantSyslog)
		}
	}
}
