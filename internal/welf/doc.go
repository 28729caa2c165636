// Package welf encodes and decodes WebTrends Enhanced Log Format records.
//
// A record is a line of key=value fields separated by single spaces that
// starts with the header fields id, time, fw and pri, in that order. WELF
// itself defines no escaping, so this package follows syslog-ng's
// $(format-welf) byte for byte for ordinary values and departs from it only
// where syslog-ng output lets a value forge or cut fields in common parsers
// (Lire::WELF, syslog-ng kv-parser, Logstash kv):
//
//   - '"' is always written as \x22, never raw or as \";
//   - a value that starts with an apostrophe is quoted;
//   - an empty value omits the field instead of writing k=;
//   - keys are limited to [A-Za-z0-9_] and may not repeat.
//
// Backslash, BS, FF, LF, CR and TAB become \\ \b \f \n \r \t; other control
// bytes and every byte of invalid UTF-8 become \xNN (lower-case hex); valid
// UTF-8 and DEL are written raw (DEL as \x7f with Options.EscapeDEL). A value
// is wrapped in double quotes when it contains a space. An encoded record
// therefore never contains CR, LF or a raw quote inside a value, and every
// value can be decoded back to its exact bytes.
//
// Builder writes records into a reused buffer without allocating. To keep a
// record within Options.MaxSize it shortens only free-text fields, never the
// header or structured fields. Decode is the strict inverse, used to verify
// output.
package welf
