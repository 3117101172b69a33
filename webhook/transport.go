package webhook

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// Transport is the HTTP/1.1 RoundTripper deliveries are sent through. It
// makes each request on the caller's goroutine: it takes an idle
// connection (or dials one), writes the request, and reads the response
// there, with the connection's deadline taken from the request's context.
//
// Why not http.Transport: it gives every connection a reader and a writer
// goroutine, so each request is handed between three goroutines. On a node
// sending ten thousand deliveries a second, the HTTP client was two fifths
// of the node's CPU (perf), its two loops more than half of that; with
// this transport the nodes spend about a tenth less CPU per delivery
// (docs/benchmarks.md). A webhook sender needs none of what the loops buy:
// it sends one request per connection at a time, never reads a response
// before its request is written, and does not need HTTP/2 to reach a
// receiver (TLS connections offer only http/1.1).
//
// Parsing is net/http's own (Request.Write, ReadResponse); this type only
// keeps connections. A connection goes back to the pool only when its
// response was read to the end and neither side asked to close it, and is
// taken out again only if the receiver has neither closed it nor written
// to it meanwhile (takeIdle). A request that still fails on a reused
// connection before any byte of a response arrived (the receiver closed it
// just then) is made once more on a new connection, as http.Transport
// does: a delivery may arrive twice, which webhooks allow (receivers dedupe
// on webhook-id), but is not failed for a connection the receiver had
// already dropped.
type Transport struct {
	dialFunc       func(ctx context.Context, network, addr string) (net.Conn, error)
	tlsConfig      *tls.Config // cloned for each TLS connection, with ServerName set
	maxIdlePerHost int         // idle connections kept per receiver
	maxIdle        int         // and in all
	idleTimeout    time.Duration
	maxHeaderBytes int64 // a response's status line and headers

	now   func() time.Time    // time.Now unless a test sets it
	alive func(net.Conn) bool // idleAlive unless a test sets it

	mu        sync.Mutex
	idle      map[string][]*conn // per scheme://host:port, most recent last
	idleCount int
	lastSweep time.Time
}

// NewTransport returns a Transport that opens connections with dial
// (SafeDialer's DialContext in production) and TLS with tlsConfig (nil:
// TLS 1.2 or later, the system's roots). It keeps up to 64 idle
// connections per receiver and 1,024 in all, closes those idle for 90 s,
// and refuses responses whose headers pass 64 KB.
func NewTransport(dial func(ctx context.Context, network, addr string) (net.Conn, error), tlsConfig *tls.Config) *Transport {
	if tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return &Transport{dialFunc: dial, tlsConfig: tlsConfig, maxIdlePerHost: 64, maxIdle: 1024,
		idleTimeout: 90 * time.Second, maxHeaderBytes: 64 << 10, alive: idleAlive}
}

// conn is one connection with its buffers; they live as long as it does.
type conn struct {
	key  string
	nc   net.Conn
	lr   *countingReader
	br   *bufio.Reader
	bw   *bufio.Writer
	used time.Time // when it went idle
}

// countingReader counts the bytes read from a connection and refuses
// those past its limit, which bounds a response's headers.
type countingReader struct {
	r     io.Reader
	n     int64 // bytes read so far
	limit int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n >= c.limit {
		return 0, errHeaderTooLarge
	}
	if rest := c.limit - c.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

var errHeaderTooLarge = errors.New("response headers too large")

// aLongTimeAgo is a deadline in the past: it interrupts a blocked read or
// write at once.
var aLongTimeAgo = time.Unix(1, 0)

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	key, addr, err := connKey(req)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	ctx := req.Context()
	for retried := false; ; retried = true {
		var c *conn
		if !retried {
			c = t.takeIdle(key)
		}
		reused := c != nil
		if c == nil {
			if c, err = t.dial(ctx, key, addr, req.URL.Hostname()); err != nil {
				closeBody(req)
				return nil, err
			}
		}
		resp, err := t.exchange(ctx, c, req)
		if err == nil {
			return resp, nil
		}
		if retried || !reused || c.lr.n > 0 || ctx.Err() != nil {
			closeBody(req)
			return nil, err
		}
		// The receiver closed the idle connection after takeIdle looked at
		// it: try once more, on a new connection.
		again, rerr := rewind(req)
		if rerr != nil {
			closeBody(req)
			return nil, fmt.Errorf("%w (%w)", err, rerr)
		}
		req = again
	}
}

// takeIdle returns an idle connection to key that can carry a request, or
// nil. Those the receiver closed, or sent something on while they were
// idle (some servers send an unsolicited 408 before closing one), are
// closed: such bytes would otherwise be read as the next request's answer.
func (t *Transport) takeIdle(key string) *conn {
	for {
		c := t.get(key)
		if c == nil || t.alive(c.nc) {
			return c
		}
		c.nc.Close()
	}
}

// exchange writes req on c and reads the response headers. On error the
// connection is closed.
func (t *Transport) exchange(ctx context.Context, c *conn, req *http.Request) (*http.Response, error) {
	dl, _ := ctx.Deadline()
	if err := c.nc.SetDeadline(dl); err != nil {
		c.nc.Close()
		return nil, err
	}
	// A cancelled context interrupts whatever the connection is doing;
	// its deadline is then poisoned, so the connection is not reused.
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(aLongTimeAgo) })
	fail := func(err error) (*http.Response, error) {
		stop()
		c.nc.Close()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		// The connection's deadline is the context's, and may pass a moment
		// before the context notices.
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, context.DeadlineExceeded
		}
		return nil, err
	}
	c.lr.n, c.lr.limit = 0, t.maxHeaderBytes
	if err := req.Write(c.bw); err != nil {
		return fail(fmt.Errorf("write request: %w", err))
	}
	if err := c.bw.Flush(); err != nil {
		return fail(fmt.Errorf("write request: %w", err))
	}
	var resp *http.Response
	for informational := 0; ; informational++ {
		r, err := http.ReadResponse(c.br, req)
		if err != nil {
			return fail(fmt.Errorf("read response: %w", err))
		}
		// 1xx answers (103 Early Hints) precede the real one; a POST
		// without Expect never switches protocols, so 101 is an answer.
		if r.StatusCode >= 200 || r.StatusCode == http.StatusSwitchingProtocols || informational == 5 {
			resp = r
			break
		}
	}
	c.lr.limit = math.MaxInt64
	// A response without a body (204, Content-Length: 0) is read to its
	// end already.
	resp.Body = &body{t: t, c: c, rc: resp.Body, stop: stop, reuse: !resp.Close && !req.Close, eof: resp.Body == http.NoBody}
	return resp, nil
}

// body hands its connection back to the pool when read to the end.
type body struct {
	t     *Transport
	c     *conn
	rc    io.ReadCloser
	stop  func() bool
	eof   bool
	done  bool
	reuse bool
}

func (b *body) Read(p []byte) (int, error) {
	if b.done {
		return 0, errors.New("read on closed response body")
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

// Close returns the connection to the pool, or closes it when the body
// was not read to its end: draining an unread body could take as long as
// the receiver likes, and a new connection costs less than that.
func (b *body) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	notCancelled := b.stop()
	if b.eof && b.reuse && notCancelled && b.c.br.Buffered() == 0 {
		b.t.put(b.c)
		return nil
	}
	return b.c.nc.Close()
}

// dial opens a connection to addr, with TLS for https.
func (t *Transport) dial(ctx context.Context, key, addr, host string) (*conn, error) {
	nc, err := t.dialFunc(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(key, "https:") {
		cfg := t.tlsConfig.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		cfg.NextProtos = []string{"http/1.1"}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("tls handshake: %w", err)
		}
		nc = tc
	}
	lr := &countingReader{r: nc, limit: math.MaxInt64}
	return &conn{key: key, nc: nc, lr: lr, br: bufio.NewReader(lr), bw: bufio.NewWriter(nc)}, nil
}

// get takes the most recently used idle connection to key, if any, that
// has not been idle for idleTimeout.
func (t *Transport) get(key string) *conn {
	now := t.clock()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep(now)
	list := t.idle[key]
	for len(list) > 0 {
		c := list[len(list)-1]
		list = list[:len(list)-1]
		t.idleCount--
		if now.Sub(c.used) < t.idleTimeout {
			t.setIdle(key, list)
			return c
		}
		c.nc.Close()
	}
	t.setIdle(key, list)
	return nil
}

// put keeps c for the next request to its receiver, within the bounds.
func (t *Transport) put(c *conn) {
	c.used = t.clock()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.idle == nil {
		t.idle = make(map[string][]*conn)
	}
	list := t.idle[c.key]
	if len(list) >= t.maxIdlePerHost || t.idleCount >= t.maxIdle {
		c.nc.Close()
		return
	}
	t.idle[c.key] = append(list, c)
	t.idleCount++
}

func (t *Transport) setIdle(key string, list []*conn) {
	if len(list) == 0 {
		delete(t.idle, key)
		return
	}
	t.idle[key] = list
}

// sweep closes connections idle for longer than idleTimeout, at most every
// half of it, so that receivers no longer sent to do not keep
// connections open. Lists are oldest first.
func (t *Transport) sweep(now time.Time) {
	if now.Sub(t.lastSweep) < t.idleTimeout/2 {
		return
	}
	t.lastSweep = now
	for key, list := range t.idle {
		n := 0
		for n < len(list) && now.Sub(list[n].used) >= t.idleTimeout {
			list[n].nc.Close()
			n++
		}
		t.idleCount -= n
		t.setIdle(key, list[n:])
	}
}

func (t *Transport) clock() time.Time {
	if t.now != nil {
		return t.now()
	}
	return time.Now()
}

// idleLen is how many connections wait in the pool.
func (t *Transport) idleLen() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.idleCount
}

// CloseIdleConnections closes every idle connection.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for key, list := range t.idle {
		for _, c := range list {
			c.nc.Close()
		}
		delete(t.idle, key)
	}
	t.idleCount = 0
}

// connKey returns the pool key and the address to dial for req's URL.
func connKey(req *http.Request) (key, addr string, err error) {
	u := req.URL
	port := u.Port()
	switch u.Scheme {
	case "http":
		if port == "" {
			port = "80"
		}
	case "https":
		if port == "" {
			port = "443"
		}
	default:
		return "", "", fmt.Errorf("unsupported scheme %q", u.Scheme)
	}
	if u.Hostname() == "" {
		return "", "", errors.New("no host in URL")
	}
	addr = net.JoinHostPort(u.Hostname(), port)
	return u.Scheme + "://" + addr, addr, nil
}

// rewind returns a copy of req whose body can be read again, for a
// second try; RoundTrip must not change the caller's request.
func rewind(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	if req.GetBody == nil {
		return nil, errors.New("connection closed by the receiver, and the request body cannot be sent again")
	}
	b, err := req.GetBody()
	if err != nil {
		return nil, fmt.Errorf("send the request body again: %w", err)
	}
	again := *req
	again.Body = b
	return &again, nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
