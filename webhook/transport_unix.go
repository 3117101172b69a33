//go:build unix

package webhook

import (
	"crypto/tls"
	"errors"
	"net"
	"syscall"
)

// idleAlive reports whether an idle connection has nothing to read: the
// receiver has neither closed it nor sent anything since its last answer.
// It peeks at the socket without waiting, one system call; Go's own read
// with a past deadline would not look at the socket at all.
func idleAlive(nc net.Conn) bool {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return true // not a socket (tests): nothing to look at
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var peekErr error
	var buf [1]byte
	err = raw.Read(func(fd uintptr) bool {
		_, _, peekErr = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true // never wait for the socket to become readable
	})
	// EAGAIN: nothing to read, the connection is as the last answer left
	// it. No error: a byte is waiting, or the receiver closed (EOF).
	return err == nil && (errors.Is(peekErr, syscall.EAGAIN) || errors.Is(peekErr, syscall.EWOULDBLOCK))
}
