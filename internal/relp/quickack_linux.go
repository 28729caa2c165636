//go:build linux

package relp

import "syscall"

// ackQuickly makes the kernel acknowledge the server's next TCP segments at
// once instead of delaying the ACK. librelp writes each answer on its own
// and leaves Nagle's algorithm on, so its second small answer waits for our
// ACK of the first, which a delayed ACK holds back for up to 40 ms: a stall
// at the end of every batch. The kernel leaves quick-ACK mode by itself, so
// the client asks again before every wait.
func ackQuickly(raw syscall.RawConn) {
	if raw != nil {
		raw.Control(setQuickAck) // only a hint: a failure costs latency, never data
	}
}

func setQuickAck(fd uintptr) {
	syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
}
