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
//   - keys are limited to [A-Za-z0-9_], at most MaxKeyLen bytes, and may not
//     repeat;
//   - DEL, C1 controls, U+2028, U+2029 and bidi controls are escaped.
//
// Backslash, BS, FF, LF, CR and TAB become \\ \b \f \n \r \t; every other
// control character (C0, DEL, and C1 U+0080-U+009F), the line and paragraph
// separators U+2028 and U+2029, the bidi controls (U+061C, U+200E, U+200F,
// U+202A-U+202E, U+2066-U+2069), and every byte of invalid UTF-8 become
// \xNN per byte (lower-case hex); other valid UTF-8 is written raw. A value
// is wrapped in double quotes when it contains a space. An encoded record
// therefore never contains a character any consumer takes as a line end, nor
// a raw quote inside a value, and every value can be decoded back to its
// exact bytes.
//
// Builder writes records into a reused buffer without allocating. To keep a
// record within Options.MaxSize it shortens only free-text fields, never the
// header or structured fields. Decode is the strict inverse, used to verify
// output.
package welf
