// Package event decodes the msgpack chunk Fluent Bit passes to an output
// plugin's flush callback.
//
// A chunk is a plain concatenation of events, either in the Fluent Bit ≥ 2.1
// form [[timestamp, {metadata}], {record}] or the legacy form
// [timestamp, {record}]. The decoder works in place: every []byte, Map, Array
// and Value it returns points into the chunk and stays valid only as long as
// the chunk does. Decoding a chunk allocates nothing in steady state.
//
// Each event is validated in full (including a nesting limit) before Next
// returns it, so iterating its maps and arrays cannot fail.
package event
