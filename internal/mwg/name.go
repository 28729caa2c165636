package mwg

import (
	"fmt"
	"strings"
)

// Name identifies a trace file: "HTTP-1a2b3c-C.txt" is
// Name{Proto: "HTTP", ID: "1a2b3c", Side: "C"}.
type Name struct {
	Proto string // HTTP, FTP, ICAP or another protocol, [A-Z0-9]+
	ID    string // connection id, opaque, [0-9A-Za-z]+
	Side  string // C, S, CC, CL, SC, SD or another side, 1 to 3 of [A-Z]
}

// clientSide reports whether the file traces the client-facing side
// (C, CC, CL): its peer is the client.
func (n Name) clientSide() bool { return strings.HasPrefix(n.Side, "C") }

// Known reports whether Side is one that MWG writes for Proto: C and S
// (HTTP, ICAP and any other protocol), and for FTP the control sides CC
// and SC and the data sides CL and SD. Callers that group files by
// connection accept only known sides, so that made-up names cannot take the
// place of real files.
func (n Name) Known() bool {
	if n.Proto == "FTP" {
		switch n.Side {
		case "CC", "CL", "SC", "SD":
			return true
		}
		return false
	}
	return n.Side == "C" || n.Side == "S"
}

// ParseName parses the base name of a trace file path, which must match
// PROTO-ID-SIDE.txt, i.e. ^[A-Z0-9]+-[0-9A-Za-z]+-[A-Z]{1,3}\.txt$.
func ParseName(path string) (Name, error) {
	base := path[strings.LastIndexByte(path, '/')+1:]
	stem, ok := strings.CutSuffix(base, ".txt")
	if !ok {
		return Name{}, fmt.Errorf("mwg: trace file name %q: no .txt suffix", base)
	}
	proto, rest, _ := strings.Cut(stem, "-")
	id, side, _ := strings.Cut(rest, "-")
	if strings.Count(stem, "-") != 2 {
		return Name{}, fmt.Errorf("mwg: trace file name %q: want PROTO-ID-SIDE.txt", base)
	}
	if !allBytes(proto, func(c byte) bool { return c >= 'A' && c <= 'Z' || isDigit(c) }) {
		return Name{}, fmt.Errorf("mwg: trace file name %q: protocol %q is not upper-case letters and digits", base, proto)
	}
	if !allBytes(id, func(c byte) bool { return isAlpha(c) || isDigit(c) }) {
		return Name{}, fmt.Errorf("mwg: trace file name %q: connection id %q is not letters and digits", base, id)
	}
	if len(side) > 3 || !allBytes(side, func(c byte) bool { return c >= 'A' && c <= 'Z' }) {
		return Name{}, fmt.Errorf("mwg: trace file name %q: side %q is not 1 to 3 upper-case letters", base, side)
	}
	// One copy of the stem owns all three parts.
	stem = strings.Clone(stem)
	return Name{
		Proto: stem[:len(proto)],
		ID:    stem[len(proto)+1 : len(proto)+1+len(id)],
		Side:  stem[len(stem)-len(side):],
	}, nil
}

// allBytes reports whether s is non-empty and every byte satisfies ok.
func allBytes(s string, ok func(byte) bool) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}
