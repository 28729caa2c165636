//go:build !linux

package relp

import "syscall"

// ackQuickly does nothing here: only Linux can switch off the delayed ACK
// for a moment. Against librelp, a batch then ends with a stall of up to
// one delayed-ACK period.
func ackQuickly(syscall.RawConn) {}
