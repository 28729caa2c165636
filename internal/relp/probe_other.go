//go:build !unix

package relp

import "syscall"

// quiet cannot peek without blocking here, so it assumes the server is
// still there: a closed session is noticed only by a failed write or a
// missing acknowledgement, and the records are resent.
func quiet(syscall.RawConn) bool { return true }
