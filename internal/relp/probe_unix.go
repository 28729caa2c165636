//go:build unix

package relp

import "syscall"

// quiet reports whether nothing at all is readable on the socket, the end
// of the stream and a pending error included, without blocking and without
// consuming anything.
func quiet(raw syscall.RawConn) bool {
	if raw == nil {
		return false
	}
	var peekErr error
	var b [1]byte
	err := raw.Read(func(fd uintptr) bool {
		_, _, peekErr = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true // never wait for readiness
	})
	return err == nil && peekErr == syscall.EAGAIN
}
