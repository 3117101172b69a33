package webhook

import (
	"bufio"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// newTestTransport returns the production transport with a plain dialer
// (the SSRF guard has tests of its own, through NewHTTPClient).
func newTestTransport() *http.Transport {
	var d net.Dialer
	return newTransport(d.DialContext, idlePerReceiver)
}

// wrappingTransport is newTestTransport with every connection it dials
// passed through wrap.
func wrappingTransport(wrap func(net.Conn) net.Conn) *http.Transport {
	var d net.Dialer
	return newTransport(func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return wrap(c), nil
	}, idlePerReceiver)
}

// trust makes tr accept srv's certificate.
func trust(tr *http.Transport, srv *httptest.Server) {
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	tr.TLSClientConfig.RootCAs = roots
}

// connCounter is a real HTTP server that counts the connections it accepts.
type connCounter struct {
	srv   *httptest.Server
	conns atomic.Int64
	posts atomic.Int64
}

func newConnCounter(t *testing.T, tlsServer bool, h http.HandlerFunc) *connCounter {
	c := &connCounter{}
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.posts.Add(1)
		h(w, r)
	}))
	c.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			c.conns.Add(1)
		}
	}
	if tlsServer {
		c.srv.StartTLS()
	} else {
		c.srv.Start()
	}
	t.Cleanup(c.srv.Close)
	return c
}

func echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Length", fmt.Sprint(len(body)))
	fmt.Fprintf(w, "%s %s", r.Method, body)
}

func post(t *testing.T, c *http.Client, url, body string) (int, string) {
	t.Helper()
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, string(b)
}

// TestTransportReusesConnections: requests in a row share one connection;
// once there is a connection per sender, concurrent requests reuse them;
// and concurrent ones never share a connection at once.
//
// From a cold start net/http may open more connections than there are
// senders (a dial started for a request finishes and joins the pool even
// when the request took a connection freed meanwhile), so the senders'
// connections are opened first, by requests the receiver holds until all
// of them arrived. net/http also drops a connection whose request it has
// not seen written 50 ms after the answer was read, which a starved
// scheduler (a loaded test machine, the race detector) causes now and
// then: the bounds allow for that, and still fail if connections are not
// reused.
func TestTransportReusesConnections(t *testing.T) {
	t.Parallel()
	const senders, each = 8, 25
	for _, tlsServer := range []bool{false, true} {
		t.Run(fmt.Sprint("tls=", tlsServer), func(t *testing.T) {
			t.Parallel()
			var held atomic.Int64
			allHeld := make(chan struct{})
			srv := newConnCounter(t, tlsServer, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/hold" {
					if held.Add(1) == senders {
						close(allHeld)
					}
					<-allHeld
				}
				echo(w, r)
			})
			tr := newTestTransport()
			if tlsServer {
				trust(tr, srv.srv)
			}
			client := &http.Client{Transport: tr}
			for i := range 20 {
				body := fmt.Sprintf(`{"n":%d}`, i)
				if code, got := post(t, client, srv.srv.URL+"/hook", body); code != 200 || got != "POST "+body {
					t.Fatalf("request %d: %d %q", i, code, got)
				}
			}
			if n := srv.conns.Load(); n > 20/2 {
				t.Errorf("20 requests in a row used %d connections, want 1", n)
			}

			var wg sync.WaitGroup
			for range senders {
				wg.Go(func() { post(t, client, srv.srv.URL+"/hold", "{}") })
			}
			wg.Wait()
			before := srv.conns.Load() // a connection per sender now

			for s := range senders {
				wg.Go(func() {
					for i := range each {
						body := fmt.Sprintf(`{"s":%d,"n":%d,"pad":"%s"}`, s, i, strings.Repeat("x", 5000*(i%3)))
						resp, err := client.Post(srv.srv.URL+"/hook", "application/json", strings.NewReader(body))
						if err != nil {
							t.Errorf("sender %d request %d: %v", s, i, err)
							return
						}
						got, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if string(got) != "POST "+body {
							t.Errorf("sender %d request %d: answer for another request (%d bytes)", s, i, len(got))
						}
					}
				})
			}
			wg.Wait()
			if n := srv.conns.Load() - before; n > senders*each/4 {
				t.Errorf("%d senders with a connection each opened %d more for %d requests", senders, n, senders*each)
			}
			if n, want := srv.posts.Load(), int64(20+senders+senders*each); n != want {
				t.Errorf("the receiver saw %d requests, want %d", n, want)
			}
		})
	}
}

// TestTransportOffersHTTP1OverTLS: a receiver that speaks HTTP/2 is
// still reached, over HTTP/1.1.
func TestTransportOffersHTTP1OverTLS(t *testing.T) {
	t.Parallel()
	var proto atomic.Value
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proto.Store(r.Proto)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	tr := newTestTransport()
	trust(tr, srv)
	if code, _ := post(t, &http.Client{Transport: tr}, srv.URL, "{}"); code != 200 {
		t.Fatalf("status %d", code)
	}
	if p := proto.Load(); p != "HTTP/1.1" {
		t.Errorf("request arrived as %v, want HTTP/1.1", p)
	}

	// A certificate the client does not trust is refused.
	_, err := (&http.Client{Transport: newTestTransport()}).Post(srv.URL, "application/json", strings.NewReader("{}"))
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("untrusted certificate: err = %v, want x509.UnknownAuthorityError", err)
	}
}

// rawServer accepts connections and hands each to serve, for receivers
// that misbehave in ways net/http's server will not.
func rawServer(t *testing.T, serve func(c net.Conn, br *bufio.Reader)) (url string, conns *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns = new(atomic.Int64)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open { // a client may keep one idle
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			conns.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c, bufio.NewReader(c))
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/hook", conns
}

// readRequest reads one request and its body, or reports false.
func readRequest(br *bufio.Reader) (string, bool) {
	req, err := http.ReadRequest(br)
	if err != nil {
		return "", false
	}
	b, err := io.ReadAll(req.Body)
	return string(b), err == nil
}

// lateCloseConn shows the client nothing past its first answer until the
// next request was written on it: the receiver's close then reaches the
// client only after it chose the idle connection and wrote on it, the race
// a receiver's keep-alive timeout runs with the next delivery.
type lateCloseConn struct {
	net.Conn
	answer  int // bytes of the first answer
	read    atomic.Int64
	written chan struct{} // closed by the first write after the answer
	closed  chan struct{}
	wrote   sync.Once
	close   sync.Once
}

func (c *lateCloseConn) Read(p []byte) (int, error) {
	if rest := int64(c.answer) - c.read.Load(); rest > 0 {
		p = p[:min(int64(len(p)), rest)]
	} else {
		select {
		case <-c.written:
		case <-c.closed:
		}
	}
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c *lateCloseConn) Write(p []byte) (int, error) {
	after := c.read.Load() >= int64(c.answer)
	n, err := c.Conn.Write(p)
	if after {
		c.wrote.Do(func() { close(c.written) })
	}
	return n, err
}

func (c *lateCloseConn) Close() error {
	c.close.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// TestTransportRetriesStaleConnection: a receiver that closed an idle
// connection (keep-alive timeout) just as a delivery was written on it
// costs no failed delivery: the request is made again, once, on a new
// connection. net/http does so for a POST only because newRequest marks it
// idempotent, without sending the mark.
func TestTransportRetriesStaleConnection(t *testing.T) {
	t.Parallel()
	const answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	closed := make(chan struct{}, 4)
	var got sync.Map
	url, conns := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return
		}
		if _, ok := req.Header["Idempotency-Key"]; ok {
			t.Errorf("the receiver got an Idempotency-Key header: %q", req.Header["Idempotency-Key"])
		}
		got.Store(string(body), true)
		// Keep-alive by all appearances, then gone.
		io.WriteString(c, answer)
		c.Close()
		closed <- struct{}{}
	})
	tr := wrappingTransport(func(c net.Conn) net.Conn {
		return &lateCloseConn{Conn: c, answer: len(answer), written: make(chan struct{}), closed: make(chan struct{})}
	})
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	for i, body := range []string{"first", "second"} {
		req, err := newRequest(t.Context(), url, []byte(body), http.Header{})
		if err != nil {
			t.Fatal(err)
		}
		sent := req.Body
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
		if req.Body != sent {
			t.Errorf("request %d: the caller's request was changed", i)
		}
		<-closed // the receiver has closed the connection the client keeps
	}
	for _, body := range []string{"first", "second"} {
		if _, ok := got.Load(body); !ok {
			t.Errorf("the receiver never got %q", body)
		}
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (the first, and the one the second request was made again on)", n)
	}
}

// closeWatchConn tells when the client closes it.
type closeWatchConn struct {
	net.Conn
	once   sync.Once
	closed chan struct{}
}

func (c *closeWatchConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// TestTransportDropsUsedIdleConnections: an idle connection the receiver
// closed, or wrote to (an unsolicited 408 before closing), is not used for
// the next request, whose answer would otherwise be that 408.
func TestTransportDropsUsedIdleConnections(t *testing.T) {
	t.Parallel()
	for _, after := range []string{"", "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"} {
		t.Run(fmt.Sprintf("then %q", after), func(t *testing.T) {
			t.Parallel()
			pooled := make(chan struct{})
			url, conns := rawServer(t, func(c net.Conn, br *bufio.Reader) {
				if _, ok := readRequest(br); !ok {
					return
				}
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				<-pooled // the client keeps the connection idle now
				io.WriteString(c, after)
			})
			release := sync.OnceFunc(func() { close(pooled) })
			t.Cleanup(release) // before the server's cleanup waits for its handlers
			dialed := make(chan *closeWatchConn, 2)
			tr := wrappingTransport(func(c net.Conn) net.Conn {
				w := &closeWatchConn{Conn: c, closed: make(chan struct{})}
				dialed <- w
				return w
			})
			t.Cleanup(tr.CloseIdleConnections)
			client := &http.Client{Transport: tr}
			if code, _ := post(t, client, url, "first"); code != 200 {
				t.Fatalf("first: status %d", code)
			}
			first := <-dialed
			select {
			case <-first.closed:
				// See TestTransportReusesConnections.
				t.Skip("net/http dropped the first connection before the receiver did anything")
			default:
			}
			release()
			// Wait until the client saw what the receiver did.
			select {
			case <-first.closed:
			case <-time.After(10 * time.Second):
				t.Fatal("the client never dropped the idle connection")
			}
			if code, body := post(t, client, url, "second"); code != 200 || body != "ok" {
				t.Fatalf("second: %d %q, want the receiver's 200", code, body)
			}
			if n := conns.Load(); n != 2 {
				t.Errorf("%d connections, want 2", n)
			}
		})
	}
}

// TestTransportNoRetryOnNewConnection: a new connection that fails is not
// tried again (the receiver may have the request).
func TestTransportNoRetryOnNewConnection(t *testing.T) {
	t.Parallel()
	url, conns := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		readRequest(br) // and close without an answer
	})
	_, err := (&http.Client{Transport: newTestTransport()}).Post(url, "application/json", strings.NewReader("{}"))
	if err == nil {
		t.Fatal("no error for a connection closed without an answer")
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// TestTransportKeepsOnlyFinishedConnections: a connection goes back to the
// pool only when its answer was read to the end and neither side asked to
// close it. Three requests, so that a kept connection is seen reused even
// if net/http dropped one (see TestTransportReusesConnections).
func TestTransportKeepsOnlyFinishedConnections(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		answer   string // after the request
		readAll  bool
		wantKept bool
	}{
		{"whole body read", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", true, true},
		{"chunked body read", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", true, true},
		{"no body", "HTTP/1.1 204 No Content\r\n\r\n", false, true},
		{"body not read", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, false},
		{"Connection: close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello", true, false},
		{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello", true, false},
		{"early hints first", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, conns := rawServer(t, func(c net.Conn, br *bufio.Reader) {
				for {
					if _, ok := readRequest(br); !ok {
						return
					}
					io.WriteString(c, tt.answer)
				}
			})
			tr := newTestTransport()
			client := &http.Client{Transport: tr}
			const requests = 3
			for i := range requests {
				resp, err := client.Post(url, "application/json", strings.NewReader("{}"))
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if resp.StatusCode >= 300 || resp.StatusCode < 200 {
					t.Fatalf("request %d: status %d", i, resp.StatusCode)
				}
				if tt.readAll {
					if b, err := io.ReadAll(resp.Body); err != nil || string(b) != "hello" {
						t.Fatalf("request %d: body %q, %v", i, b, err)
					}
				}
				resp.Body.Close()
			}
			switch n := conns.Load(); {
			case tt.wantKept && n == requests:
				t.Errorf("%d requests used %d connections, want 1", requests, n)
			case !tt.wantKept && n != requests:
				t.Errorf("%d requests used %d connections, want one each", requests, n)
			}
		})
	}
}

// TestTransportBounds: a receiver that never answers, or answers with
// endless headers, costs at most the timeout and the header limit.
func TestTransportBounds(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	silent, _ := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		readRequest(br)
		<-release
	})
	endless, _ := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		readRequest(br)
		io.WriteString(c, "HTTP/1.1 200 OK\r\n")
		line := "X-Pad: " + strings.Repeat("x", 1000) + "\r\n"
		for {
			if _, err := io.WriteString(c, line); err != nil {
				return
			}
		}
	})
	// Registered last, so run first: after the parallel subtests, before
	// the servers' cleanups wait for their handlers.
	t.Cleanup(func() { close(release) })
	client := &http.Client{Transport: newTestTransport()}

	t.Run("deadline", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, silent, strings.NewReader("{}"))
		start := time.Now()
		_, err := client.Do(req)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want the deadline", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %v", d)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, silent, strings.NewReader("{}"))
		time.AfterFunc(100*time.Millisecond, cancel)
		_, err := client.Do(req)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("client timeout", func(t *testing.T) {
		t.Parallel()
		c := &http.Client{Transport: newTestTransport(), Timeout: 200 * time.Millisecond}
		resp, err := c.Post(silent, "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
			t.Fatal("a receiver that never answers did not time out")
		}
	})
	t.Run("endless headers", func(t *testing.T) {
		t.Parallel()
		resp, err := client.Post(endless, "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
			t.Fatal("endless headers were accepted")
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("headers exceeded %d bytes", maxHeaderBytes)) {
			t.Errorf("err = %v, want the header limit", err)
		}
	})
}

// TestWorkerKeepsAConnectionPerSender: the worker's client keeps as many
// idle connections per receiver as the worker has senders, and never
// fewer than NewHTTPClient's.
func TestWorkerKeepsAConnectionPerSender(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ concurrency, want int }{
		{0, idlePerReceiver}, // the default concurrency
		{8, idlePerReceiver},
		{128, 128},
		{2000, 2000},
	} {
		w := NewWorker(nil, WorkerConfig{Concurrency: tt.concurrency})
		tr := w.cfg.Client.Transport.(*http.Transport)
		if tr.MaxIdleConnsPerHost != tt.want || tr.MaxIdleConns < tt.want {
			t.Errorf("concurrency %d: %d idle per receiver, %d in all; want %d per receiver",
				tt.concurrency, tr.MaxIdleConnsPerHost, tr.MaxIdleConns, tt.want)
		}
	}
}

// TestTransportRefusesOtherSchemes: only http and https.
func TestTransportRefusesOtherSchemes(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"ftp://example.com/x", "file:///etc/passwd", "http:///nohost"} {
		req, err := http.NewRequest(http.MethodPost, u, strings.NewReader("{}"))
		if err != nil {
			continue
		}
		if resp, err := newTestTransport().RoundTrip(req); err == nil {
			resp.Body.Close()
			t.Errorf("%s: no error", u)
		}
	}
}
