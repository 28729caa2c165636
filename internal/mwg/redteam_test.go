package mwg

import (
	"encoding/base64"
	"strings"
	"testing"
)

// Second red-team pass: instances found end to end, each kept as a class.

// TestICAPAuthenticatedUserNoPassword: X-Authenticated-User is read like
// Basic credentials: whatever stands behind a ':' of the user, in base64 or
// not, behind a scheme or not, never reaches user.
func TestICAPAuthenticatedUserNoPassword(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct{ value, user string }{
		{b64("WinNT://CORP/alice"), "CORP/alice"},
		{b64("LDAP://alice:s3cret"), "alice"},
		{b64("WinNT://alice:s3cret@CORP"), "alice"},
		{b64("alice:s3cret"), "alice"},
		{"alice:s3cret", "alice"},
		{b64("http://alice:s3cret@h/"), "alice"},
		{b64("Local://al%3Aice:s3cret"), "al%3Aice"},
		{b64("Local://:s3cret"), ""},
	}
	for i, tt := range tests {
		text := ">>>\nREQMOD icap://icap.example/reqmod ICAP/1.0\nHost: icap.example\nX-Authenticated-User: " + tt.value +
			"\nEncapsulated: req-hdr=0, null-body=40\n\nGET http://a.example/ HTTP/1.1\nHost: a.example\n\n<<<\nICAP/1.0 204 No Content\n\n"
		got := feedLines(t, "ICAP-7c0001-S.txt", DefaultOptions(), tailLines([]byte(text), false))
		if len(got) != 1 || got[0].User != tt.user || strings.Contains(formatAll(got), "s3cret") {
			t.Errorf("#%d %q: got\n%s want user=%q", i, tt.value, formatAll(got), tt.user)
		}
	}
}

// TestFTPCommandLineHostile: a command line holding a CR may be two
// commands to the server, so nothing behind the CR is decoded (no password
// reaches a field) and the command says so; the host of "USER user@host" is
// used only if it is a host.
func TestFTPCommandLineHostile(t *testing.T) {
	login := "<<<\n220 ready\n>>>\n"
	tests := []struct{ name, file, text, want string }{
		{"USER, CR, PASS on the client side", "FTP-7c0002-CC.txt", login + "USER u@ftp.example\rPASS s3cret\n<<<\n331 pw\n>>>\nRETR f\n<<<\n530 no\n", lines(
			`FTP-7c0002-CC #0 ftp method="USER" host="ftp.example" port=21 status=331 req=31 resp=7 user="u" msg="CR inside a command line: the rest not decoded"`,
			`FTP-7c0002-CC #1 ftp method="RETR" target="f" path="f" host="ftp.example" port=21 status=530 req=7 resp=7 user="u" complete`)},
		{"USER, CR, PASS on the server side", "FTP-7c0003-SC.txt", login + "USER bob\rPASS s3cret\n<<<\n530 no\n", lines(
			`FTP-7c0003-SC #0 ftp method="USER" status=530 req=21 resp=7 user="bob" msg="CR inside a command line: the rest not decoded"`)},
		{"RETR, CR, DELE", "FTP-7c0004-SC.txt", login + "RETR /pub/f\rDELE /important\n<<<\n226 ok\n", lines(
			`FTP-7c0004-SC #0 ftp method="RETR" target="/pub/f" path="/pub/f" status=226 req=28 resp=7 msg="CR inside a command line: the rest not decoded"`)},
		{"CR before a command name", "FTP-7c0005-SC.txt", login + "NOOP\rPASS s3cret\n<<<\n200 ok\n", lines(
			`FTP-7c0005-SC #0 ftp method="NOOP" status=200 req=17 resp=7 msg="CR inside a command line: the rest not decoded"`)},
		{"USER host with a space and a field", "FTP-7c0006-CC.txt", login + "USER u@evil host x=y\n<<<\n530 no\n", lines(
			`FTP-7c0006-CC #0 ftp method="USER" status=530 req=21 resp=7 user="u" msg="malformed host in USER"`)},
		{"USER host a broken IPv6 literal", "FTP-7c0007-CC.txt", login + "USER u@[::1\" x=y]:21\n<<<\n530 no\n", lines(
			`FTP-7c0007-CC #0 ftp method="USER" status=530 req=21 resp=7 user="u" msg="malformed host in USER"`)},
		{"USER host with a path", "FTP-7c0008-CC.txt", login + "USER u@h/x\n<<<\n530 no\n", lines(
			`FTP-7c0008-CC #0 ftp method="USER" status=530 req=11 resp=7 user="u" msg="malformed host in USER"`)},
		{"USER host an IPv6 literal with port", "FTP-7c0009-CC.txt", login + "USER u@[2001:db8::1]:2121\n<<<\n530 no\n", lines(
			`FTP-7c0009-CC #0 ftp method="USER" host="2001:db8::1" port=2121 status=530 req=26 resp=7 user="u" complete`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := formatAll(feedLines(t, tt.file, DefaultOptions(), tailLines([]byte(tt.text), false)))
			if got != tt.want || strings.Contains(got, "s3cret") || strings.Contains(got, "important") {
				t.Errorf("got:\n%swant:\n%s", got, tt.want)
			}
		})
	}
}

// TestFTPDataMarkersAreContent: an FTP data connection carries one
// transfer in one direction; marker lines of the other direction or layer
// in a hostile file are its content, so its bytes cannot move between
// sent and rcvd, and the record says so.
func TestFTPDataMarkersAreContent(t *testing.T) {
	tests := []struct{ name, file, text, want string }{
		{"download", "FTP-7c0010-SD.txt", "<<<\nhello world\n", lines(`FTP-7c0010-SD #0 ftp resp=12 complete`)},
		{"download posing as an upload", "FTP-7c0011-SD.txt", "<<<\nhello\n>>>\nforged upload\n", lines(
			`FTP-7c0011-SD #0 ftp resp=24 msg="marker line inside a message read as its data"`)},
		{"download with decrypted-layer markers", "FTP-7c0012-SD.txt", "<<<\nhello\n[[[\nxx\n]]]\nyy\n", lines(
			`FTP-7c0012-SD #0 ftp resp=20 msg="marker line inside a message read as its data"`)},
		{"upload posing as a download", "FTP-7c0013-CL.txt", ">>>\nhello\n<<< 2024-03-05 09:00:00 (5 bytes)\nforged\n", lines(
			`FTP-7c0013-CL #0 ftp req=47 msg="marker line inside a message read as its data"`)},
		{"several reads of one download", "FTP-7c0014-CL.txt", "<<<\nab\n<<<\ncd\n", lines(`FTP-7c0014-CL #0 ftp resp=6 complete`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatAll(feedLines(t, tt.file, DefaultOptions(), tailLines([]byte(tt.text), false))); got != tt.want {
				t.Errorf("got:\n%swant:\n%s", got, tt.want)
			}
		})
	}
}

// TestFTPReplyOrder: every line a client sends is answered (500 for what
// the server does not know), so a command welf does not know keeps its
// place in the reply order, and a line that is no command at all puts the
// pairing of the commands behind it in doubt, which their records say: a
// client cannot shift a reply onto a later command and change its result.
func TestFTPReplyOrder(t *testing.T) {
	login := "<<<\n220 ready\n>>>\nUSER bob\n<<<\n331 pw\n>>>\nPASS x\n<<<\n230 ok\n"
	tests := []struct{ name, file, text, want string }{
		{"unknown command pipelined before a DELE", "FTP-7c0020-SC.txt", login + ">>>\nXCRC f\nDELE /important\n<<<\n250 crc ok\n550 denied\n", lines(
			`FTP-7c0020-SC #0 ftp method="DELE" target="/important" path="/important" status=550 req=16 resp=11 user="bob" complete`)},
		{"unknown command without argument before a RETR", "FTP-7c0021-SC.txt", login + ">>>\nFOO\nRETR /secret\n<<<\n200 foo\n550 no\n", lines(
			`FTP-7c0021-SC #0 ftp method="RETR" target="/secret" path="/secret" status=550 req=13 resp=7 user="bob" complete`)},
		{"unknown command before USER on the client side", "FTP-7c0022-CC.txt", "<<<\n220 ready\n>>>\nXYZZ\nUSER bob@ftp.example\n<<<\n230 welcome\n331 pw\n>>>\nPASS x\n<<<\n530 no\n", lines(
			`FTP-7c0022-CC #0 ftp method="PASS" host="ftp.example" port=21 status=530 req=7 resp=7 user="bob" complete`)},
		{"a line that is no command, pipelined", "FTP-7c0023-SC.txt", login + ">>>\nX1 y\nDELE /important\n<<<\n500 what\n550 denied\n", lines(
			`FTP-7c0023-SC #0 ftp method="DELE" target="/important" path="/important" status=500 req=16 resp=9 user="bob" msg="ambiguous: a line before it that is no command may have taken its reply"`)},
		{"a line that is no command, answered before the next", "FTP-7c0024-SC.txt", login + ">>>\nX1 y\n<<<\n500 what\n>>>\nDELE /important\n<<<\n550 denied\n", lines(
			`FTP-7c0024-SC #0 ftp method="DELE" target="/important" path="/important" status=550 req=16 resp=11 user="bob" complete`)},
		{"a command typed one key per read", "FTP-7c0025-SC.txt", login + ">>>\nD\n>>>\nE\n>>>\nLE x\n<<<\n550 no\n>>>\nRETR f\n<<<\n226 ok\n", lines(
			`FTP-7c0025-SC #0 ftp method="RETR" target="f" path="f" status=226 req=7 resp=7 user="bob" msg="ambiguous: a line before it that is no command may have taken its reply"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatAll(feedLines(t, tt.file, DefaultOptions(), tailLines([]byte(tt.text), false))); got != tt.want {
				t.Errorf("got:\n%swant:\n%s", got, tt.want)
			}
		})
	}
}

// TestFTPLineCutByRead: a command line cut by a read is two lines in the
// trace; the command says it may be cut, and no first part of a password
// (before the '@' in the next line) reaches its argument.
func TestFTPLineCutByRead(t *testing.T) {
	login := "<<<\n220 ready\n>>>\nUSER bob\n<<<\n331 pw\n>>>\nPASS x\n<<<\n230 ok\n"
	const cut = `msg="a line behind it that is no command may be the rest of its line"`
	tests := []struct{ name, file, text, want string }{
		{"RETR URL cut in the password", "FTP-7c0030-SC.txt", login + ">>>\nRETR ftp://bob:s3\n>>>\ncret@h/f\n<<<\n226 ok\n", lines(
			`FTP-7c0030-SC #0 ftp method="RETR" target="ftp://" path="ftp://" status=226 req=18 resp=7 user="bob" ` + cut)},
		{"RETR URL cut in the password, the rest like a command name", "FTP-7c0031-SC.txt", login + ">>>\nRETR ftp://bob:s3\n>>>\ncret\n<<<\n226 ok\n", lines(
			`FTP-7c0031-SC #0 ftp method="RETR" target="ftp://" path="ftp://" status=226 req=18 resp=7 user="bob" ` + cut)},
		{"CWD cut in the password", "FTP-7c0032-SC.txt", login + ">>>\nCWD bob:s3\n>>>\ncret@h\n<<<\n250 ok\n>>>\nRETR f\n<<<\n226 ok\n", lines(
			`FTP-7c0032-SC #0 ftp method="CWD" status=250 req=11 resp=7 user="bob" `+cut,
			`FTP-7c0032-SC #1 ftp method="RETR" target="f" path="f" status=226 req=7 resp=7 user="bob" msg="ambiguous: a line before it that is no command may have taken its reply"`)},
		{"a port stays, the last segment goes", "FTP-7c0033-SC.txt", login + ">>>\nRETR ftp://h:2121/f\n>>>\nile\n<<<\n226 ok\n", lines(
			`FTP-7c0033-SC #0 ftp method="RETR" target="ftp://h:2121/" path="ftp://h:2121/" status=226 req=20 resp=7 user="bob" ` + cut)},
		{"a command answered before the next line is whole", "FTP-7c0034-SC.txt", login + ">>>\nRETR a:b\n<<<\n226 ok\n>>>\nXCRC a:b\n<<<\n500 no\n", lines(
			`FTP-7c0034-SC #0 ftp method="RETR" target="a:b" path="a:b" status=226 req=9 resp=7 user="bob" complete`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := formatAll(feedLines(t, tt.file, DefaultOptions(), tailLines([]byte(tt.text), false)))
			if got != tt.want || strings.Contains(got, "s3") {
				t.Errorf("got:\n%swant:\n%s", got, tt.want)
			}
		})
	}
}

// TestHTTPHeaderCutByRead: a header line cut by a read is two lines in the
// trace; the second is no header line, so the field the first gave may be
// cut: no first part of a password (before the '@' in the next line)
// stays in it, and the record says so.
func TestHTTPHeaderCutByRead(t *testing.T) {
	const cut = `msg="a line in the header block that is no header may be the rest of the one before"`
	req := func(hdr string) string {
		return ">>>\nGET http://h.example/ HTTP/1.1\nHost: h.example\n" + hdr + "\n\n<<<\nHTTP/1.1 204 No Content\n\n"
	}
	tests := []struct{ name, file, text, want string }{
		{"Referer", "HTTP-7c0040-C.txt", req("Referer: http://bob:s3\n>>>\ncret@h.example/"), lines(
			`HTTP-7c0040-C #0 http method="GET" target="http://h.example/" path="/" host="h.example" port=80 status=204 req=87 resp=25 ref="http://" ` + cut + ` complete`)},
		{"User-Agent", "HTTP-7c0041-C.txt", req("User-Agent: x http://bob:s3\n>>>\ncret@h.example:8080/"), lines(
			`HTTP-7c0041-C #0 http method="GET" target="http://h.example/" path="/" host="h.example" port=80 status=204 req=97 resp=25 ua="x http://" ` + cut + ` complete`)},
		{"X-Forwarded-For", "HTTP-7c0042-C.txt", req("X-Forwarded-For: http://bob:s3\n>>>\ncret@h.example"), lines(
			`HTTP-7c0042-C #0 http method="GET" target="http://h.example/" path="/" host="h.example" port=80 status=204 req=94 resp=25 client="http://" ` + cut + ` complete`)},
		{"a Referer with a port stays, its last segment goes", "HTTP-7c0043-C.txt", req("Referer: http://h.example:8080/a\n>>>\nb"), lines(
			`HTTP-7c0043-C #0 http method="GET" target="http://h.example/" path="/" host="h.example" port=80 status=204 req=83 resp=25 ref="http://h.example:8080/" ` + cut + ` complete`)},
		{"a header line behind it is not looked at", "HTTP-7c0044-C.txt", req("Referer: http://h.example/a:b\nAccept: */*"), lines(
			`HTTP-7c0044-C #0 http method="GET" target="http://h.example/" path="/" host="h.example" port=80 status=204 req=90 resp=25 ref="http://h.example/a:b" complete`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := formatAll(feedLines(t, tt.file, DefaultOptions(), tailLines([]byte(tt.text), false)))
			if got != tt.want || strings.Contains(got, "s3") {
				t.Errorf("got:\n%swant:\n%s", got, tt.want)
			}
		})
	}
}
