//go:build unix

package main

import (
	"context"
	"crypto/tls"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// TestSIPTLSReloadOnSIGHUP: serve reloads the TLS certificate on SIGHUP
// and keeps running.
func TestSIPTLSReloadOnSIGHUP(t *testing.T) {
	t.Parallel()
	// Our own registration first: a SIGHUP that arrives before serve's
	// would otherwise end the test binary.
	guard := make(chan os.Signal, 1)
	signal.Notify(guard, syscall.SIGHUP)
	defer signal.Stop(guard)

	ca := newTestCA(t)
	files := newTLSFiles(t, ca, "node-1")
	f := newTLSFixture(t, files)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.ts.waitReloading(ctx) }()
	defer func() { cancel(); <-done }()

	cert, key, _ := ca.issue(t, "node-2")
	writeTestFile(t, files.cert, cert)
	writeTestFile(t, files.key, key)
	eventually(t, 10*time.Second, "certificate reloaded on SIGHUP", func() bool {
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		conn, err := tls.Dial("tcp", f.ts.SIPTLSAddr(), &tls.Config{RootCAs: ca.pool(), ServerName: "localhost"})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Subject.CommonName == "node-2"
	})
}
