//go:build unix

package netconn

import (
	"net"
	"syscall"
)

// Quiet reports whether nothing at all is readable on conn, the end of the
// stream and a pending error included, without blocking and without
// consuming anything.
func Quiet(conn net.Conn) bool {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var peekErr error
	var b [1]byte
	err = rc.Read(func(fd uintptr) bool {
		_, _, peekErr = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true // never wait for readiness
	})
	return err == nil && peekErr == syscall.EAGAIN
}
