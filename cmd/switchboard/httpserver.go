package main

import (
	"log/slog"
	"net/http"
	"time"
)

// httpLimits are the API server's connection timeouts and header limit,
// which keep a slow or idle client from holding a connection (and its
// goroutine and buffers) for ever.
type httpLimits struct {
	// ReadHeader is how long a client may take to send its request line
	// and headers: a slow-loris client that trickles them is cut off.
	ReadHeader time.Duration
	// Read bounds reading a whole request, body included (bodies are at
	// most httpapi.MaxBodyBytes).
	Read time.Duration
	// Write bounds writing a response. Responses are small JSON; a future
	// streaming response (SSE) must lift it for itself with
	// http.ResponseController.SetWriteDeadline, not by removing it here.
	Write time.Duration
	// Idle is how long a kept-alive connection may wait for its next request.
	Idle time.Duration
	// MaxHeaderBytes caps the request line and headers (net/http allows
	// 4 KiB of slack beyond it); more is a 431.
	MaxHeaderBytes int
}

// defaultHTTPLimits are serve's limits: generous for API clients, short
// enough that holding connections open costs an attacker as much as it
// costs the server.
var defaultHTTPLimits = httpLimits{
	ReadHeader:     10 * time.Second,
	Read:           30 * time.Second,
	Write:          30 * time.Second,
	Idle:           120 * time.Second,
	MaxHeaderBytes: 64 << 10,
}

// newHTTPServer returns the API's http.Server; zero limits are the defaults.
func newHTTPServer(h http.Handler, logger *slog.Logger, l httpLimits) *http.Server {
	if l == (httpLimits{}) {
		l = defaultHTTPLimits
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeader,
		ReadTimeout:       l.Read,
		WriteTimeout:      l.Write,
		IdleTimeout:       l.Idle,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}
