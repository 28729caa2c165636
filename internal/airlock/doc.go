// Package airlock decodes Airlock Gateway (WAF) JSON log messages into a
// reusable, typed field set and maps such a field set to WELF fields.
//
// A Record is filled either field by field with Set (when Fluent Bit already
// parsed the JSON into a map) or from a raw line with ParseLine (JSON object
// possibly behind a syslog or "<time> <host> " prefix, or a Kibana export
// document); LineReader reads every object of a line that holds several,
// and reports the text of a line that is in no object. Records are meant to
// be reused: one per goroutine, Reset between messages. Once a record's
// buffers have grown to the size of the messages, decoding and mapping a
// message do not allocate.
//
// WriteWELF maps a record, single or merged by package airlockjoin, to WELF
// fields. The mapping lives here, in the decoder, for records that are
// never joined (Correlate off) as much as for joined ones; package mwg
// holds the MWG mapping likewise. WriteWELF keeps every value: typed standard fields (addresses, ports,
// status, sizes, durations) carry only valid values, anything else goes to
// unvalidated_<key>; unknown fields whose keys meet get numbered suffixes,
// and so does an earlier value of a key that repeats. No value keeps a URL
// password, and a pass-through field whose key names a credential is
// written as <redacted>.
//
// Values are byte slices. They may point into the caller's buffer (the
// Fluent Bit chunk or the line passed to ParseLine) and are valid only as
// long as that buffer is.
package airlock
