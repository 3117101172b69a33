package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestHTTPServerLimits runs serve with short limits and checks each one
// against a misbehaving client: a slow-loris client trickling its headers
// is disconnected after ReadHeader, an idle kept-alive connection after
// Idle, and oversized headers get a 431. It also checks that serve's
// defaults are the documented ones.
func TestHTTPServerLimits(t *testing.T) {
	t.Parallel()
	if d := defaultHTTPLimits; d.ReadHeader != 10*time.Second || d.Idle != 120*time.Second ||
		d.MaxHeaderBytes != 64<<10 || d.Read <= 0 || d.Write < 30*time.Second {
		t.Fatalf("defaultHTTPLimits = %+v", d)
	}
	limits := httpLimits{ReadHeader: 300 * time.Millisecond, Read: time.Minute, Write: time.Minute,
		Idle: 300 * time.Millisecond, MaxHeaderBytes: 1 << 10}
	ts := startServer(t, func(c *ServeConfig) { c.HTTPLimits = limits })
	addr := ts.httpLn.Addr().String()
	dial := func(t *testing.T) net.Conn {
		t.Helper()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	// closedWithin polls conn until the server has closed it; each poll is
	// a short read, and send (if set) is called before each.
	closedWithin := func(t *testing.T, conn net.Conn, within time.Duration, send func() error) time.Duration {
		t.Helper()
		start := time.Now()
		buf := make([]byte, 4096)
		for time.Since(start) < within {
			if send != nil {
				if err := send(); err != nil {
					return time.Since(start) // the server closed the connection
				}
			}
			conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			_, err := conn.Read(buf)
			if errors.Is(err, io.EOF) || (err != nil && !errors.Is(err, os.ErrDeadlineExceeded)) {
				return time.Since(start)
			}
		}
		t.Fatalf("the connection was still open after %v", within)
		return 0
	}

	t.Run("slow loris", func(t *testing.T) {
		t.Parallel()
		conn := dial(t)
		// One header byte per poll (every 50 ms): the whole header would
		// take seconds, ten times the header timeout.
		slow := "GET /v1/health HTTP/1.1\r\nHost: switchboard\r\nX-Slow: " + strings.Repeat("a", 200) + "\r\n\r\n"
		i := 0
		took := closedWithin(t, conn, 5*time.Second, func() error {
			if i >= len(slow) {
				return nil
			}
			_, err := conn.Write([]byte{slow[i]})
			i++
			return err
		})
		if i >= len(slow) {
			t.Fatalf("the whole header went through (%d bytes in %v)", i, took)
		}
		if took < limits.ReadHeader/2 {
			t.Fatalf("closed after %v, before the header timeout %v", took, limits.ReadHeader)
		}
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		t.Parallel()
		conn := dial(t)
		if _, err := io.WriteString(conn, "GET /v1/health HTTP/1.1\r\nHost: switchboard\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(conn)
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		closedWithin(t, conn, 5*time.Second, nil)
	})
	t.Run("header too large", func(t *testing.T) {
		t.Parallel()
		conn := dial(t)
		big := "GET /v1/health HTTP/1.1\r\nHost: switchboard\r\nX-Big: " + strings.Repeat("a", 16<<10) + "\r\n\r\n"
		if _, err := io.WriteString(conn, big); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("status %d, want 431", resp.StatusCode)
		}
	})
}
