package airlock

import (
	"bytes"

	"github.com/welfbridge/welfbridge/internal/ascii"
	"github.com/welfbridge/welfbridge/internal/userinfo"
	"github.com/welfbridge/welfbridge/internal/welf"
)

// WriteWELF writes the record's WELF fields, not the header, in the canonical
// order of welf.md §5.1 followed by extensions. It works on whatever fields
// the record holds, so it serves a single message as well as several
// correlated ones merged into one record. A field is written only when its
// source is present; values are written as Airlock logged them, but for
// URL passwords (see redactor).
//
// The header is the caller's: time from Time (@timestamp), fw from host,
// pri from Severity (priority).
//
// Standard fields:
//
//	WELF        Airlock source                                          writer
//	rule        block_type "/" constraint; either alone if the other    Str
//	            is absent
//	proto       vhost_proto                                             Str
//	src         client_ip, else front_src_ip                            typed
//	srcport     front_src_port, only if src is front_src_ip (client_ip  typed
//	            absent or equal to it): the port must belong to src
//	dst         back_dst_ip, else back_host_ip, else vhost_ip           typed
//	dstport     the port of the chosen dst: back_dst_port,              typed
//	            back_host_port or vhost_port
//	dstname     vhost                                                   Str
//	user        audit_token                                             Str
//	op          http_method                                             Str
//	arg         entry_path, plus "?" entry_query if present; without    Str
//	            entry_path, the path and query of entry_url
//	result      http_status                                             typed
//	sent        req_size                                                typed
//	rcvd        resp_size                                               typed
//	duration    lifetime (session end, seconds)                         typed
//	cat         attack_type                                             Str
//	cat_action  "block" for WR-SG-BLOCK* and WR-SG-BLOCKDET* messages   Str
//	            and for any record with block_type or attack_type
//	msg         session end (WR-SG-SESS-005): reason, else message;     Text
//	            back-end (WR-SG-BACK-*): message " (error_code N)";
//	            conntrace and summary: none, their message is fixed
//	            text; any record: none for the conntrace text
//	            "Connection Trace"; otherwise message
//	ref         http_referrer                                           Text
//	agent       http_user_agent                                         Text
//
// A typed field is written (Bytes) only if its value is valid for its type
// (address, port, status, size, duration: see typed.go); otherwise the value
// goes, unchanged, to "unvalidated_" + key in its place.
//
// Extensions, in this order (key = Airlock name unless stated):
//
//	log_id req_id sess_id corr_id corr_id_2 corr_id_3 mapping tenant        Str
//	tech_client_id                                                          Str
//	tech_client_display_name tech_client_label                              Text
//	tech_client_subscription_id sess_auth action th_mode                    Str
//	position                                                                Text
//	error_code (unless in msg)                                              Str
//	reason (unless in msg)                                                  Text
//	front_src front_dst back_src back_dst          ip:port of the           Str
//	back_host_addr (back_host_ip:back_host_port)   *_ip/*_port pairs,
//	vhost_addr (vhost_ip:vhost_port)               "[v6]:port" for IPv6
//	back_host back_host_proto backend_url vhost_proto_vers                  Str
//	http_redirect_url http_accept_lang                                      Str
//	tls_sess_id tls_proto tls_cipher (front_tls_sess_id/_proto/_cipher)     Str
//	tls_client_dn (front_tls_client_subject_dn)                             Text
//	geoip_continent geoip_country geoip_location file                       Str
//	unknown fields: key with every byte outside [A-Za-z0-9_] replaced by    Text
//	"_" (longer than welf.MaxKeyLen: shortened with a hash, see
//	welf.AppendSanitizedKey), prefixed "x_" if it is a standard WELF name,
//	a name written here for another source (tls_proto, front_src,
//	unvalidated_* …) or "partial"; if a field of that key was already
//	written, the first free of key_2, key_3 …; the value is "<redacted>"
//	if the key names a secret (namesSecret), and JSON text in it loses
//	its secrets (AppendRedactedSecrets)
//	extra_dropped: the number of unknown fields beyond MaxExtra             Int
//
// An address pair is written only when its IP is present and it says
// something src/srcport, dst/dstport or an earlier pair did not: in a
// connection trace src/srcport is front_src and dst/dstport back_dst, so
// front_dst and back_src are the extensions; in a request summary dst is
// back_host_addr and vhost_addr is the extension.
//
// @timestamp that Time cannot read (no ISO 8601 time with zone, or a year
// outside 0001-9998) gives way to the event time in the header and is
// written, unchanged, as unvalidated_time (Text) after agent; so is a
// priority that Severity does not know, as unvalidated_pri.
//
// Not written: @timestamp, host, priority (header), program, pid, facility,
// log_cat, rcpt_id (envelope of the gateway's logger), entry_url (arg,
// dstname and proto carry it), and the fixed message texts named above.
//
// No value keeps a URL password: every field is written through a
// redactor.
func (r *Record) WriteWELF(w welf.FieldWriter) {
	r.redactor.w = w
	r.writeWELF(&r.redactor)
	r.redactor.w = nil // do not keep the caller's writer alive
}

func (r *Record) writeWELF(w *redactor) {
	v := &r.values
	kind := r.Kind()

	switch blockType, constraint := v[FieldBlockType], v[FieldConstraint]; {
	case blockType != nil && constraint != nil:
		r.scratch = append(append(append(r.scratch[:0], blockType...), '/'), constraint...)
		w.Bytes("rule", r.scratch)
	case blockType != nil:
		w.Bytes("rule", blockType)
	case constraint != nil:
		w.Bytes("rule", constraint)
	}
	r.writeStr(w, "proto", FieldVhostProto)

	src, srcPort := r.source()
	dst, dstPort := r.destination()
	writeTyped(w, "src", typeAddr, src)
	writeTyped(w, "srcport", typePort, srcPort)
	writeTyped(w, "dst", typeAddr, dst)
	writeTyped(w, "dstport", typePort, dstPort)
	r.writeStr(w, "dstname", FieldVhost)
	r.writeStr(w, "user", FieldAuditToken)
	r.writeStr(w, "op", FieldHTTPMethod)
	if arg := r.appendArg(r.scratch[:0]); len(arg) > 0 {
		r.scratch = arg
		w.Bytes("arg", arg)
	}
	writeTyped(w, "result", typeStatus, v[FieldHTTPStatus])
	writeTyped(w, "sent", typeCount, v[FieldReqSize])
	writeTyped(w, "rcvd", typeCount, v[FieldRespSize])
	writeTyped(w, "duration", typeDuration, v[FieldLifetime])
	r.writeStr(w, "cat", FieldAttackType)
	if kind == KindBlock || kind == KindBlockDetail || v[FieldBlockType] != nil || v[FieldAttackType] != nil {
		w.Str("cat_action", "block")
	}

	reasonInMsg, errorCodeInMsg := false, false
	message := v[FieldMessage]
	switch {
	case kind == KindSessionEnd && v[FieldReason] != nil:
		w.TextBytes("msg", v[FieldReason])
		reasonInMsg = true
	case kind == KindBackend && message != nil && v[FieldErrorCode] != nil:
		r.scratch = append(append(r.scratch[:0], message...), " (error_code "...)
		r.scratch = append(append(r.scratch, v[FieldErrorCode]...), ')')
		w.TextBytes("msg", r.scratch)
		errorCodeInMsg = true
	case kind == KindConntrace || kind == KindSummary || string(message) == conntraceMessage:
		// The message is fixed text: nothing to say.
	default:
		r.writeText(w, "msg", FieldMessage)
	}
	r.writeText(w, "ref", FieldHTTPReferrer)
	r.writeText(w, "agent", FieldHTTPUserAgent)
	if ts := v[FieldTimestamp]; ts != nil {
		if _, ok := r.Time(); !ok {
			// The header has the event time instead: the text is kept.
			w.TextBytes(unvalidatedPrefix+"time", ts)
		}
	}
	if p := v[FieldPriority]; p != nil {
		if _, ok := r.Severity(); !ok {
			w.TextBytes(unvalidatedPrefix+"pri", p) // the header has the default
		}
	}

	r.writeExtensions(w, extensionsBefore[:])
	if !errorCodeInMsg {
		r.writeStr(w, "error_code", FieldErrorCode)
	}
	if !reasonInMsg {
		r.writeText(w, "reason", FieldReason)
	}
	r.writeEndpoints(w, endpoint{src, srcPort}, endpoint{dst, dstPort})
	r.writeExtensions(w, extensionsAfter[:])
	r.writeExtra(w)
}

// conntraceMessage is the fixed message of WR-SG-CONNTRACE.
const conntraceMessage = "Connection Trace"

type extension struct {
	key   string
	field Field
	text  bool
}

var extensionsBefore = [...]extension{
	{"log_id", FieldLogID, false},
	{"req_id", FieldReqID, false},
	{"sess_id", FieldSessID, false},
	{"corr_id", FieldCorrID, false},
	{"corr_id_2", FieldCorrID2, false},
	{"corr_id_3", FieldCorrID3, false},
	{"mapping", FieldMapping, false},
	{"tenant", FieldTenant, false},
	{"tech_client_id", FieldTechClientID, false},
	{"tech_client_display_name", FieldTechClientDisplayName, true},
	{"tech_client_label", FieldTechClientLabel, true},
	{"tech_client_subscription_id", FieldTechClientSubscriptionID, false},
	{"sess_auth", FieldSessAuth, false},
	{"action", FieldAction, false},
	{"th_mode", FieldThMode, false},
	{"position", FieldPosition, true},
}

var extensionsAfter = [...]extension{
	{"back_host", FieldBackHost, false},
	{"back_host_proto", FieldBackHostProto, false},
	{"backend_url", FieldBackendURL, false},
	{"vhost_proto_vers", FieldVhostProtoVers, false},
	{"http_redirect_url", FieldHTTPRedirectURL, false},
	{"http_accept_lang", FieldHTTPAcceptLang, false},
	{"tls_sess_id", FieldFrontTLSSessID, false},
	{"tls_proto", FieldFrontTLSProto, false},
	{"tls_cipher", FieldFrontTLSCipher, false},
	{"tls_client_dn", FieldFrontTLSClientSubjectDN, true},
	{"geoip_continent", FieldGeoIPContinent, false},
	{"geoip_country", FieldGeoIPCountry, false},
	{"geoip_location", FieldGeoIPLocation, false},
	{"file", FieldFile, false},
}

func (r *Record) writeExtensions(w *redactor, exts []extension) {
	for _, e := range exts {
		if e.text {
			r.writeText(w, e.key, e.field)
		} else {
			r.writeStr(w, e.key, e.field)
		}
	}
}

func (r *Record) writeStr(w *redactor, key string, f Field) {
	if v := r.values[f]; v != nil {
		w.Bytes(key, v)
	}
}

func (r *Record) writeText(w *redactor, key string, f Field) {
	if v := r.values[f]; v != nil {
		w.TextBytes(key, v)
	}
}

// source picks src and, if it belongs to it, srcport.
func (r *Record) source() (ip, port []byte) {
	client, front := r.values[FieldClientIP], r.values[FieldFrontSrcIP]
	ip = client
	if ip == nil {
		ip = front
	}
	if front != nil && bytes.Equal(ip, front) {
		port = r.values[FieldFrontSrcPort]
	}
	return ip, port
}

// destination picks dst, preferring the back-end the gateway connected to
// over the configured back-end host over the gateway's own listener, and the
// port of the same pair.
func (r *Record) destination() (ip, port []byte) {
	for _, e := range [...]struct{ ip, port Field }{
		{FieldBackDstIP, FieldBackDstPort},
		{FieldBackHostIP, FieldBackHostPort},
		{FieldVhostIP, FieldVhostPort},
	} {
		if ip := r.values[e.ip]; ip != nil {
			return ip, r.values[e.port]
		}
	}
	return nil, nil
}

// appendArg appends entry_path[?entry_query], or the path and query of
// entry_url when entry_path is absent.
func (r *Record) appendArg(dst []byte) []byte {
	path, query := r.values[FieldEntryPath], r.values[FieldEntryQuery]
	if path == nil && query == nil {
		return append(dst, pathOfURL(r.values[FieldEntryURL])...)
	}
	dst = append(dst, path...)
	if query != nil {
		dst = append(append(dst, '?'), query...)
	}
	return dst
}

// pathOfURL returns the path and query of an absolute URL, without fragment.
func pathOfURL(url []byte) []byte {
	if i := bytes.Index(url, []byte("://")); i >= 0 {
		rest := url[i+len("://"):]
		j := bytes.IndexAny(rest, "/?#")
		if j < 0 {
			return nil
		}
		url = rest[j:]
	}
	if i := bytes.IndexByte(url, '#'); i >= 0 {
		url = url[:i]
	}
	return url
}

type endpoint struct{ ip, port []byte }

func (e endpoint) equal(o endpoint) bool {
	return bytes.Equal(e.ip, o.ip) && bytes.Equal(e.port, o.port)
}

var endpointFields = [...]struct {
	key      string
	ip, port Field
}{
	{"front_src", FieldFrontSrcIP, FieldFrontSrcPort},
	{"front_dst", FieldFrontDstIP, FieldFrontDstPort},
	{"back_src", FieldBackSrcIP, FieldBackSrcPort},
	{"back_dst", FieldBackDstIP, FieldBackDstPort},
	{"back_host_addr", FieldBackHostIP, FieldBackHostPort},
	{"vhost_addr", FieldVhostIP, FieldVhostPort},
}

// writeEndpoints writes the address pairs not already expressed by src,
// dst or an earlier pair.
func (r *Record) writeEndpoints(w *redactor, src, dst endpoint) {
	var written [len(endpointFields) + 2]endpoint
	written[0], written[1] = src, dst
	n := 2
next:
	for _, ef := range endpointFields {
		e := endpoint{r.values[ef.ip], r.values[ef.port]}
		if e.ip == nil {
			continue
		}
		for _, seen := range written[:n] {
			if e.equal(seen) {
				continue next
			}
		}
		written[n] = e
		n++
		r.scratch = appendHostPort(r.scratch[:0], e.ip, e.port)
		w.Bytes(ef.key, r.scratch)
	}
}

// appendHostPort appends ip:port, with an IPv6 address in brackets, or ip
// alone without a port.
func appendHostPort(dst, ip, port []byte) []byte {
	if port == nil {
		return append(dst, ip...)
	}
	if bytes.IndexByte(ip, ':') >= 0 {
		dst = append(append(append(dst, '['), ip...), ']')
	} else {
		dst = append(dst, ip...)
	}
	return append(append(dst, ':'), port...)
}

// writeExtra passes the unknown fields through as text, but for the value
// of a key that names a secret (namesSecret), also inside JSON text
// (AppendRedactedSecrets). A key that is already written (two keys that
// sanitise alike, a key equal to a field written before, a repeated key)
// gets the first free numbered alternative, key_2, key_3 …, so that no
// value is lost.
func (r *Record) writeExtra(w *redactor) {
	for _, kv := range r.extra {
		key := r.extraKey(kv.Key)
		// Airlock's own fields (an earlier value of a repeated key keeps
		// its key) are no secrets: their meaning is known.
		secret := namesSecret(key) && !isKnown(kv.Key)
		if w.Has(key) {
			key = r.freeKey(w, key)
		}
		val := kv.Value
		switch {
		case secret:
			w.Text(key, redactedValue)
			continue
		case bytes.IndexByte(val, '"') >= 0:
			// Nested JSON, or JSON in a string: its members' keys count too.
			r.canon = AppendRedactedSecrets(r.canon[:0], val)
			val = r.canon
		}
		w.TextBytes(key, val)
	}
	if r.dropped > 0 {
		w.Int("extra_dropped", int64(r.dropped))
	}
}

// freeKey returns the first of key_2, key_3 … that w has not written. It
// allocates, but only for a key that collides.
func (r *Record) freeKey(w *redactor, key string) string {
	for n := 2; ; n++ {
		r.scratch = welf.AppendNumberedKey(r.scratch[:0], key, n)
		if !w.Has(string(r.scratch)) {
			return string(r.scratch)
		}
	}
}

// maxKeyCache bounds the sanitized keys a Record remembers.
const maxKeyCache = 32

// extraKey returns the WELF key for an unknown field's key. Keys repeat from
// record to record, so their string forms are cached rather than allocated
// each time.
func (r *Record) extraKey(raw []byte) string {
	if userinfo.MayHoldURL(raw) { // a key is free text too
		r.redactor.buf = userinfo.Redact(r.redactor.buf[:0], raw)
		raw = r.redactor.buf
	}
	// Room for the "x_" a standard name gets is kept in front.
	buf := welf.AppendSanitizedKey(append(r.scratch[:0], "x_"...), raw)
	r.scratch = buf
	if !isStandardKey(buf[2:]) {
		buf = buf[2:]
	}
	for _, k := range r.keys {
		if k == string(buf) {
			return k
		}
	}
	k := string(buf)
	if len(r.keys) < maxKeyCache {
		r.keys = append(r.keys, k)
	}
	return k
}

// isStandardKey reports whether key is a WELF header or standard field
// name, or a name WriteWELF gives a value of another source (an extension
// of another name, unvalidated_<key>), which an unknown field must not pose
// as: an unknown "tls_proto" or "unvalidated_src" would read as the
// gateway's TLS protocol or as a typed field that failed its check. Case
// does not matter ("SRC", "Time"): a consumer may fold it.
func isStandardKey(key []byte) bool {
	var buf [32]byte
	if len(key) > len(buf) {
		return ascii.EqualFold(key[:len(unvalidatedPrefix)], unvalidatedPrefix)
	}
	lower := buf[:len(key)]
	for i, c := range key {
		lower[i] = ascii.Lower(c)
	}
	key = lower
	switch string(key) {
	case "id", "time", "fw", "pri",
		"rule", "proto", "src", "srcport", "srcname", "dst", "dstport", "dstname",
		"user", "op", "arg", "result", "sent", "rcvd", "duration", "vpn", "type",
		"cat", "cat_action", "msg", "ref", "agent",
		"front_src", "front_dst", "back_src", "back_dst", "back_host_addr", "vhost_addr",
		"tls_sess_id", "tls_proto", "tls_cipher", "tls_client_dn",
		"partial", "extra_dropped": // written by the joiner after WriteWELF, and below
		return true
	}
	return bytes.HasPrefix(key, []byte(unvalidatedPrefix))
}

func isKnown(key []byte) bool {
	_, ok := LookupField(key)
	return ok
}
