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

// TestHTTPSReloadOnSIGHUP: serve reloads the HTTPS certificate on SIGHUP,
// on the listener it keeps open.
func TestHTTPSReloadOnSIGHUP(t *testing.T) {
	t.Parallel()
	guard := make(chan os.Signal, 1)
	signal.Notify(guard, syscall.SIGHUP)
	defer signal.Stop(guard)

	ca := newTestCA(t)
	files := newTLSFiles(t, ca, "api-1")
	ts := startServer(t, withHTTPTLS(files))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); ts.waitReloading(ctx) }()
	defer func() { cancel(); <-done }()

	cert, key, _ := ca.issue(t, "api-2")
	writeTestFile(t, files.cert, cert)
	writeTestFile(t, files.key, key)
	eventually(t, 10*time.Second, "HTTPS certificate reloaded on SIGHUP", func() bool {
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		// A new connection each time: a kept-alive one has the old certificate.
		hc := httpsClient(ca)
		defer hc.CloseIdleConnections()
		resp, err := hc.Get(ts.HTTPURL() + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0].Subject.CommonName == "api-2"
	})
}
