package mwg

import (
	"bytes"
	"path"
	"strings"

	"github.com/welfbridge/welfbridge/internal/userinfo"
)

// ftpCommand returns the upper-case name of a known FTP command (RFC 959,
// 2228, 2389, 2428, 3659 and common X-variants), or "".
func ftpCommand(b []byte) string {
	var up [4]byte
	if len(b) < 3 || len(b) > len(up) {
		return ""
	}
	for i, c := range b {
		if !isAlpha(c) {
			return ""
		}
		up[i] = c &^ 0x20
	}
	switch string(up[:len(b)]) {
	case "USER":
		return "USER"
	case "PASS":
		return "PASS"
	case "ACCT":
		return "ACCT"
	case "CWD":
		return "CWD"
	case "XCWD":
		return "XCWD"
	case "CDUP":
		return "CDUP"
	case "XCUP":
		return "XCUP"
	case "PWD":
		return "PWD"
	case "XPWD":
		return "XPWD"
	case "QUIT":
		return "QUIT"
	case "REIN":
		return "REIN"
	case "PORT":
		return "PORT"
	case "PASV":
		return "PASV"
	case "EPRT":
		return "EPRT"
	case "EPSV":
		return "EPSV"
	case "TYPE":
		return "TYPE"
	case "STRU":
		return "STRU"
	case "MODE":
		return "MODE"
	case "RETR":
		return "RETR"
	case "STOR":
		return "STOR"
	case "STOU":
		return "STOU"
	case "APPE":
		return "APPE"
	case "ALLO":
		return "ALLO"
	case "REST":
		return "REST"
	case "RNFR":
		return "RNFR"
	case "RNTO":
		return "RNTO"
	case "ABOR":
		return "ABOR"
	case "DELE":
		return "DELE"
	case "RMD":
		return "RMD"
	case "XRMD":
		return "XRMD"
	case "MKD":
		return "MKD"
	case "XMKD":
		return "XMKD"
	case "LIST":
		return "LIST"
	case "NLST":
		return "NLST"
	case "MLSD":
		return "MLSD"
	case "MLST":
		return "MLST"
	case "SITE":
		return "SITE"
	case "SYST":
		return "SYST"
	case "STAT":
		return "STAT"
	case "HELP":
		return "HELP"
	case "NOOP":
		return "NOOP"
	case "FEAT":
		return "FEAT"
	case "OPTS":
		return "OPTS"
	case "AUTH":
		return "AUTH"
	case "PBSZ":
		return "PBSZ"
	case "PROT":
		return "PROT"
	case "CCC":
		return "CCC"
	case "SIZE":
		return "SIZE"
	case "MDTM":
		return "MDTM"
	case "LANG":
		return "LANG"
	case "HOST":
		return "HOST"
	case "CLNT":
		return "CLNT"
	}
	return ""
}

// ftpReported reports whether a command makes a transaction of its own:
// the transfer commands, which open a data connection, and the commands
// that change the server's files.
func ftpReported(cmd string) bool {
	switch cmd {
	case "RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD",
		"DELE", "RMD", "XRMD", "MKD", "XMKD", "RNTO":
		return true
	}
	return false
}

// ftpTransfer reports whether a command uses the data connection.
func ftpTransfer(cmd string) bool {
	switch cmd {
	case "RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD":
		return true
	}
	return false
}

// isVerb reports whether b can be an FTP command name (RFC 959: three or
// four letters), known or not.
func isVerb(b []byte) bool {
	if len(b) < 3 || len(b) > 4 {
		return false
	}
	for _, c := range b {
		if !isAlpha(c) {
			return false
		}
	}
	return true
}

// splitCommand splits "CMD[ SP arg]".
func splitCommand(b []byte) (cmd, arg []byte) {
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

// parseReply parses "ddd", "ddd text" or "ddd-text".
func parseReply(b []byte) (code int, sep byte, text []byte, ok bool) {
	code, ok = digitsAt(b, 0, 3)
	if !ok || code < 100 || code > 599 {
		return 0, 0, nil, false
	}
	if len(b) == 3 {
		return code, ' ', nil, true
	}
	if b[3] != ' ' && b[3] != '-' {
		return 0, 0, nil, false
	}
	return code, b[3], b[4:], true
}

// hostPort6 finds "h1,h2,h3,h4,p1,p2" in b (PORT argument, 227 reply) and
// returns the port.
func hostPort6(b []byte) int {
	for i := 0; i < len(b); i++ {
		if !isDigit(b[i]) || (i > 0 && isDigit(b[i-1])) {
			continue
		}
		var v [6]int
		j, k := i, 0
		for ; k < len(v); k++ {
			start := j
			for j < len(b) && isDigit(b[j]) && j-start < 3 {
				j++
			}
			n, ok := digitsAt(b, start, j-start)
			if j == start || !ok || n > 255 {
				break
			}
			v[k] = n
			if k < len(v)-1 {
				if j >= len(b) || b[j] != ',' {
					break
				}
				j++
			}
		}
		if k == len(v) {
			return v[4]<<8 | v[5]
		}
	}
	return 0
}

// epsvPort parses the port of a 229 reply: "(|||port|)".
func epsvPort(b []byte) int {
	i := bytes.Index(b, []byte("|||"))
	if i < 0 {
		return 0
	}
	b = b[i+3:]
	j := bytes.IndexByte(b, '|')
	if j < 0 {
		return 0
	}
	return atoiPort(string(b[:j]))
}

// eprtPort parses the port of an EPRT argument: "|1|132.235.1.2|6275|"
// (any delimiter).
func eprtPort(b []byte) int {
	if len(b) < 1 {
		return 0
	}
	parts := bytes.Split(b[1:], b[:1])
	if len(parts) < 3 {
		return 0
	}
	return atoiPort(string(parts[2]))
}

// pwdPath extracts the quoted directory of a 257 reply.
func pwdPath(text []byte) []byte {
	i := bytes.IndexByte(text, '"')
	if i < 0 {
		return nil
	}
	j := bytes.IndexByte(text[i+1:], '"')
	if j < 0 {
		return nil
	}
	return text[i+1 : i+1+j]
}

// ftpReply is the state of a multi-line reply ("123-" … "123 ").
type ftpReply struct {
	multi bool
	code  int
	id    uint64
}

// ftpDecoder decodes an FTP control connection. Every command is paired
// with its final reply in FIFO order; only transfer and file-changing
// commands and failed logins become transactions, the others update the
// session (user, working directory, data port). PASS arguments are never
// read.
type ftpDecoder struct {
	s        *Stream
	user     string
	host     string
	port     int
	cwd      string
	strs     int // len of the session strings
	dataPort int
	reply    [2]ftpReply // per layer
	// unanswered counts, per layer, request lines that are no command
	// and of which no reply has been seen: while there are any, the
	// pairing of commands and replies is in doubt.
	unanswered [2]int
	last       [2]uint64 // per layer, the latest command
}

// mayBeCut: a line that is no command we know, right behind a command
// not yet answered, may be the rest of that command's line, cut by a read
// ("RETR ftp://bob:s3" + "cret@h/f"). The command says so, and its argument
// loses its last segment (cutTail).
func (f *ftpDecoder) mayBeCut(l layer) {
	s := f.s
	p := s.get(f.last[l])
	if p == nil || p.respDone || p.layer != l {
		return
	}
	f.last[l] = 0
	s.fail(p.id, "a line behind it that is no command may be the rest of its line")
	p.silent = false
	if t := cutTail(p.tx.Target); t != p.tx.Target {
		p.tx.Target = t
		if p.tx.Path != "" {
			p.tx.Path = ""
			if t != "" {
				p.tx.Path = f.resolve(p, t)
			}
		}
	}
}

func (f *ftpDecoder) startLine(b []byte) (dir, bool) {
	if _, _, _, ok := parseReply(b); ok {
		return dirResponse, true
	}
	if cmd, _ := splitCommand(b); ftpCommand(cmd) != "" {
		return dirRequest, true
	}
	return 0, false
}

// claim: a multi-line reply goes on until its last line; marker lines of
// the other direction in it are reply text.
func (f *ftpDecoder) claim(l layer, d dir) claim {
	if d == dirResponse && f.reply[l].multi {
		return claimBody
	}
	return claimNone
}

func (f *ftpDecoder) endFrame(layer, dir) int64 { return 0 }

func (f *ftpDecoder) deferred(layer, dir) int64 { return 0 }

func (f *ftpDecoder) ownMarker(layer, dir, int64) bool { return false }

// noteBody notes a marker line read as reply text on the command the reply
// answers, which is reported even if it would not be otherwise; an
// unsolicited reply (the greeting) gets a transaction of its own, so that a
// reply that never ends cannot hide the rest of the session.
func (f *ftpDecoder) noteBody(l layer, _ dir, msg string) {
	r := &f.reply[l]
	p := f.s.get(r.id)
	if p == nil {
		r.id = f.s.answer(l, "ftp")
		if p = f.s.get(r.id); p == nil {
			return
		}
	}
	p.silent, p.broken = false, true
	f.s.note(p, msg)
}

func (f *ftpDecoder) tlsData() {}

func (f *ftpDecoder) retained() int { return f.strs }

func (f *ftpDecoder) feed(l layer, d dir, line []byte) []byte {
	body := trimCR(line)
	w := wireLen(line)
	if d == dirRequest {
		f.command(l, body, w)
	} else {
		f.replyLine(l, body, w)
	}
	return nil
}

func (f *ftpDecoder) command(l layer, body []byte, w int64) {
	s := f.s
	if isBlank(body) {
		return
	}
	// No argument holds a CR (RFC 959 <string>); a server may end the
	// command there and read what follows as the next one ("USER u\rPASS
	// secret"), so that is not decoded, and the command is reported.
	rest := false
	if i := bytes.IndexByte(body, '\r'); i >= 0 {
		body, rest = body[:i], true
	}
	cmdb, arg := splitCommand(body)
	cmd := ftpCommand(cmdb)
	if cmd == "" {
		if isBinary(body) || rest {
			s.undecoded(l, dirRequest, w)
		}
		f.mayBeCut(l)
		if !isVerb(cmdb) {
			f.unanswered[l]++ // a server answers it too (500), or it is part of a line cut by a read
			return
		}
		// A command we do not know: the server answers it, so it takes
		// its place in the reply order (a reply shifted onto the next
		// command would change that command's result), silently.
		if p := s.get(s.open(l)); p != nil {
			p.silent, p.reqDone = true, true
			p.tx.Proto, p.tx.ReqBytes = "ftp", w
		}
		return
	}
	id := s.open(l)
	p := s.get(id)
	if p == nil {
		return
	}
	f.last[l] = id
	p.silent, p.reqDone = !rest, true
	p.tx.Proto, p.tx.Method, p.tx.ReqBytes = "ftp", cmd, w
	if f.unanswered[l] > 0 {
		s.fail(id, "ambiguous: a line before it that is no command may have taken its reply")
		p.silent = false
	}
	if rest {
		s.fail(id, "CR inside a command line: the rest not decoded")
	}
	switch cmd {
	case "USER":
		if !p.suspect && !f.setUser(arg) { // one that may be reply text sets no session
			s.fail(id, "malformed host in USER")
			p.silent = false
		}
	case "PASS", "ACCT":
		// The argument is a secret: not even looked at.
	case "PORT":
		p.tx.DataPort = hostPort6(arg)
	case "EPRT":
		p.tx.DataPort = eprtPort(arg)
	case "CWD", "XCWD":
		p.tx.Target = s.keep(p, arg) // applied when the reply accepts it
	}
	p.tx.User, p.tx.Host, p.tx.Port = s.share(p, f.user), s.share(p, f.host), f.port
	if ftpReported(cmd) {
		p.silent = false
		p.tx.Target = s.keep(p, arg)
		p.tx.Path = f.resolve(p, p.tx.Target)
		if ftpTransfer(cmd) {
			p.tx.DataPort = f.dataPort
		}
	}
}

// setUser takes the USER argument. On client-facing sides MWG's FTP proxy
// takes "user@host[:port]", so the host comes from there; a host that is
// none (a URL parser would refuse it) is not used, and setUser reports
// false.
func (f *ftpDecoder) setUser(arg []byte) bool {
	if userinfo.MayHold(arg) { // "user:password@host"
		var buf [256]byte
		arg = userinfo.Redact(buf[:0], arg)
	}
	user, host := arg, []byte(nil)
	if f.s.name.clientSide() {
		if i := bytes.LastIndexByte(arg, '@'); i > 0 {
			user, host = arg[:i], arg[i+1:]
		}
	}
	if i := bytes.IndexByte(user, ':'); i >= 0 { // "user:password", as some proxies take it
		user = user[:i]
	}
	f.user = f.session(f.user, user)
	valid := host == nil || validHostPort(host)
	if !valid {
		host = nil
	}
	hp := f.session(f.host, host)
	f.host, f.port = splitHostPort(hp)
	if f.host != "" && f.port == 0 {
		f.port = defaultPort("ftp")
	}
	return valid
}

// session replaces a session string with a copy of b, without passwords.
func (f *ftpDecoder) session(old string, b []byte) string {
	if userinfo.MayHold(b) {
		var buf [256]byte
		b = userinfo.Redact(buf[:0], b)
	}
	f.strs -= len(old)
	if string(b) == old {
		f.strs += len(old)
		return old
	}
	n := min(len(b), max(f.s.room(), 0))
	str := string(b[:n])
	f.strs += len(str)
	return str
}

// resolve makes an FTP path argument absolute against the working
// directory, when that is known.
func (f *ftpDecoder) resolve(p *pending, arg string) string {
	switch {
	case strings.HasPrefix(arg, "/"):
		return arg
	case f.cwd == "":
		return arg
	case arg == "":
		return f.cwd
	}
	joined := path.Join(f.cwd, arg)
	if userinfo.MayHold([]byte(joined)) { // "dir" + "/" + "u:p@h" and the like
		joined = string(userinfo.Redact(nil, []byte(joined)))
	}
	if len(joined) > f.s.room() {
		return arg
	}
	p.retained += len(joined)
	f.s.strs += len(joined)
	return joined
}

func (f *ftpDecoder) replyLine(l layer, body []byte, w int64) {
	s := f.s
	r := &f.reply[l]
	if r.multi {
		s.add(r.id, dirResponse, w)
		if code, sep, text, ok := parseReply(body); ok && code == r.code && sep == ' ' {
			r.multi = false
			f.final(r.id, code, text)
		}
		return
	}
	if isBlank(body) {
		return
	}
	code, sep, text, ok := parseReply(body)
	if !ok {
		if isBinary(body) {
			s.undecoded(l, dirResponse, w)
		}
		return
	}
	id := f.awaiting(l)
	if id == 0 && f.unanswered[l] > 0 && sep == ' ' {
		f.unanswered[l]-- // the answer to a line that is no command
	}
	s.add(id, dirResponse, w)
	if sep == '-' {
		*r = ftpReply{multi: true, code: code, id: id}
		return
	}
	f.final(id, code, text)
}

// awaiting returns the oldest command of layer l without final reply, 0
// for an unsolicited reply (the greeting).
func (f *ftpDecoder) awaiting(l layer) uint64 {
	for i := range f.s.q {
		if p := &f.s.q[i]; p.layer == l && !p.respDone && !p.noResp {
			return p.id
		}
	}
	return 0
}

// final applies a complete reply to command id.
func (f *ftpDecoder) final(id uint64, code int, text []byte) {
	s := f.s
	p := s.get(id)
	if p == nil {
		return
	}
	if code < 200 {
		s.interim(p, code)
		return
	}
	p.tx.Status = code
	ok := code < 400 && !p.suspect // a command that may be reply text changes no session
	switch p.tx.Method {
	case "USER", "PASS":
		p.silent = ok && !p.broken // a failed login is reported, and so is a broken reply
	case "PASV":
		if port := hostPort6(text); ok && port > 0 {
			f.dataPort = port
		}
	case "EPSV":
		if port := epsvPort(text); ok && port > 0 {
			f.dataPort = port
		}
	case "PORT", "EPRT":
		if ok && p.tx.DataPort > 0 {
			f.dataPort = p.tx.DataPort
		}
	case "CWD", "XCWD":
		if ok && p.tx.Target != "" {
			dir := p.tx.Target
			if !strings.HasPrefix(dir, "/") && f.cwd != "" {
				dir = path.Join(f.cwd, dir)
			}
			f.cwd = f.session(f.cwd, []byte(dir))
		}
	case "CDUP", "XCUP":
		if ok && f.cwd != "" {
			f.cwd = f.session(f.cwd, []byte(path.Dir(f.cwd)))
		}
	case "PWD", "XPWD":
		if dir := pwdPath(text); ok && len(dir) > 0 {
			f.cwd = f.session(f.cwd, dir)
		}
	}
	s.done(id, dirResponse)
}

// flush keeps the session across an idle flush (the control connection
// goes on) but not when the file is replaced.
func (f *ftpDecoder) flush(reason FlushReason) {
	f.reply = [2]ftpReply{}
	if reason == FlushTruncated {
		*f = ftpDecoder{s: f.s}
	}
}

// ftpData counts the bytes of an FTP data connection (CL, SD files): one
// transaction per Flush, joined with the control connection's transfer
// command by connection id.
type ftpData struct {
	s   *Stream
	run uint64
}

func (f *ftpData) startLine([]byte) (dir, bool) { return 0, false }

// claim: a data connection carries one transfer, in one direction; a
// marker line of the other direction or layer inside it is file content (a
// hostile file could otherwise move its bytes between sent and rcvd).
func (f *ftpData) claim(layer, dir) claim {
	if f.s.get(f.run) != nil {
		return claimBody
	}
	return claimNone
}

func (f *ftpData) endFrame(layer, dir) int64 { return 0 }

func (f *ftpData) deferred(layer, dir) int64 { return 0 }

func (f *ftpData) ownMarker(layer, dir, int64) bool { return false }

func (f *ftpData) noteBody(_ layer, _ dir, msg string) { f.s.fail(f.run, msg) }

func (f *ftpData) tlsData() {}

func (f *ftpData) retained() int { return 0 }

func (f *ftpData) feed(l layer, d dir, line []byte) []byte {
	s := f.s
	p := s.get(f.run)
	if p == nil {
		f.run = s.open(l)
		if p = s.get(f.run); p == nil {
			return nil
		}
		p.held, p.noResp, p.reqDone, p.respDone = true, true, true, true
		p.tx.Proto = "ftp"
	}
	s.add(f.run, d, wireLen(line))
	return nil
}

func (f *ftpData) flush(reason FlushReason) {
	if p := f.s.get(f.run); p != nil {
		p.held = false
		if reason != FlushIdle {
			p.missing = "data connection still open"
		}
	}
	f.run = 0
}
