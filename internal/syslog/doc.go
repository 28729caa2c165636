// Package syslog formats WELF records as syslog messages and frames them for
// a transport. It does no I/O.
//
// Three message formats are supported:
//
//	rfc5424  <PRI>1 TIMESTAMP HOSTNAME APP-NAME - - - MSG
//	rfc3164  <PRI>Mmm dd hh:mm:ss HOSTNAME TAG: MSG
//	raw      MSG
//
// MSG is the WELF record unchanged. The conventions follow Fluent Bit's
// out_syslog (UTC timestamps with microseconds for RFC 5424, a space-padded
// day for RFC 3164, PRI = facility*8 + severity) with two deliberate
// differences:
//
//   - No UTF-8 BOM before an RFC 5424 MSG. RFC 5424 §6.4 asks for one, but
//     many receivers and SIEM parsers keep it as part of the first WELF key,
//     which then no longer reads "id".
//   - PROCID is always the NILVALUE "-". The id of the Fluent Bit process says
//     nothing about the gateway event and changes on every restart, so it
//     would only break a SIEM's de-duplication of otherwise equal headers.
//
// Header fields are restricted to printable US-ASCII: any other byte,
// including space, becomes "_" (one byte for one byte, so the header length
// is known before formatting). HOSTNAME is capped at 255 bytes and APP-NAME at
// 48 (RFC 5424); the RFC 3164 TAG at 32, with ':' '[' ']' also replaced
// because they end a TAG.
//
// AppendMessage never truncates. The size cap (Options.MaxSize) is enforced
// by the caller when it encodes the WELF record: it asks HeaderLen how many
// bytes the header takes and gives the WELF encoder the rest, which shortens
// only free-text fields and never cuts inside an escape sequence.
package syslog
