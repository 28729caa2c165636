package mwgjoin

import "bytes"

// NameError is returned by Joiner.Add for a record whose file is not
// usable as a trace file: its base name does not parse as
// PROTO-ID-SIDE.txt, or its side is not one MWG writes for its protocol
// (mwg.Name.Known).
// The record is dropped; nothing else is affected.
type NameError struct {
	Path string // the Path_Key value
	Err  error
	// First is set the first time the Joiner refuses this path, within
	// the bounded set of paths it remembers: the caller reports those and
	// only counts the others.
	First bool
}

func (e *NameError) Error() string { return "mwgjoin: " + e.Path + ": " + e.Err.Error() }

func (e *NameError) Unwrap() error { return e.Err }

// maxReported bounds the refused paths a Joiner remembers to report once.
const maxReported = 1024

// splitName locates, without validating them, the connection key and the
// side in a trace file path: for "/dir/HTTP-1a2b3c-C.txt" the key is
// "/dir/HTTP-1a2b3c" and the side "C". The key keeps the directory, so that
// the traces of two appliances collected side by side stay apart.
// mwg.ParseName validates a name when its file is first seen.
func splitName(path []byte) (key, side []byte, ok bool) {
	stem, found := bytes.CutSuffix(path, []byte(".txt"))
	if !found {
		return nil, nil, false
	}
	base := stem[bytes.LastIndexByte(stem, '/')+1:]
	i := bytes.LastIndexByte(base, '-')
	if i <= 0 {
		return nil, nil, false
	}
	cut := len(stem) - len(base) + i
	return stem[:cut], stem[cut+1:], true
}
