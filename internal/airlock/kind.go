package airlock

import "bytes"

// Kind classifies a message by its log_id.
type Kind uint8

// Message kinds.
const (
	KindUnknown         Kind = iota // no log_id, or not an Airlock Gateway ID
	KindConntrace                   // WR-SG-CONNTRACE
	KindSummary                     // WR-SG-SUMMARY
	KindBlock                       // WR-SG-BLOCK-*
	KindBlockDetail                 // WR-SG-BLOCKDET-*
	KindSessionStart                // WR-SG-SESS-004
	KindSessionEnd                  // WR-SG-SESS-005
	KindBackend                     // WR-SG-BACK-*
	KindTLSSessionStart             // WR-SG-TLS-SESS-START
	KindReject                      // WR-SG-REJECT-*
	KindOther                       // any other WR-SG-* or EVENT_*
)

var kindNames = [...]string{
	KindUnknown:         "unknown",
	KindConntrace:       "conntrace",
	KindSummary:         "summary",
	KindBlock:           "block",
	KindBlockDetail:     "block-detail",
	KindSessionStart:    "session-start",
	KindSessionEnd:      "session-end",
	KindBackend:         "backend",
	KindTLSSessionStart: "tls-session-start",
	KindReject:          "reject",
	KindOther:           "other",
}

// String returns a short lower-case name such as "summary".
func (k Kind) String() string {
	if int(k) >= len(kindNames) {
		return "unknown"
	}
	return kindNames[k]
}

// kindOf classifies a log_id value.
func kindOf(logID []byte) Kind {
	switch string(logID) {
	case "WR-SG-CONNTRACE":
		return KindConntrace
	case "WR-SG-SUMMARY":
		return KindSummary
	case "WR-SG-SESS-004":
		return KindSessionStart
	case "WR-SG-SESS-005":
		return KindSessionEnd
	case "WR-SG-TLS-SESS-START":
		return KindTLSSessionStart
	}
	switch {
	// BLOCKDET must be tested first: it also starts with WR-SG-BLOCK.
	case bytes.HasPrefix(logID, []byte("WR-SG-BLOCKDET")):
		return KindBlockDetail
	case bytes.HasPrefix(logID, []byte("WR-SG-BLOCK")):
		return KindBlock
	case bytes.HasPrefix(logID, []byte("WR-SG-BACK-")):
		return KindBackend
	case bytes.HasPrefix(logID, []byte("WR-SG-REJECT-")):
		return KindReject
	case bytes.HasPrefix(logID, []byte("WR-SG-")), bytes.HasPrefix(logID, []byte("EVENT_")):
		return KindOther
	}
	return KindUnknown
}
