// Package replay prepares a downloaded trace archive for an offline run of
// the welf plugin: it unpacks a zip without letting any entry escape the
// extraction directory, finds the MWG connection-trace files and Airlock
// logs in it, stages copies that tail reads completely (every last line
// ends with LF, Kibana exports become one JSON record per line, file times
// are kept), and renders the Fluent Bit configuration that reads them once
// and exits, with a Lua time filter that stamps each record with its file's
// time instead of the time of the replay. While Fluent Bit runs, EndWatch
// reads its log to tell when every staged file has been read, so that the
// driver (cmd/welf-replay) can stop a run tail would not end by itself.
package replay
