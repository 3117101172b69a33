// Package web serves Switchboard's dashboard: server-rendered html/template
// pages under /ui/, with htmx (vendored, one file) for the few parts that
// refresh themselves. Pages call the same store as the API, never the API
// over HTTP. A browser signs in with an API key and gets a server-side
// session (switchboard.SessionService); the key's scopes apply to every
// page and every write.
package web

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/switchboard-voice/switchboard"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Prefix is the path the dashboard is served under.
const Prefix = "/ui/"

// Config is what the dashboard needs of the running program. Zero values
// give the defaults.
type Config struct {
	// Store is the same store the API uses.
	Store switchboard.Store
	// Calls acts on live calls (the SIP edge); nil when the call plane is
	// not running here, and then hangups are refused.
	Calls switchboard.CallControl
	// Node is this node's name in call records.
	Node string
	// SIPDomain is the domain of the numbers' SIP credentials ("": claims
	// issue none), as for the API.
	SIPDomain string
	// SIPListeners are the SIP edge's listening addresses, shown on the
	// overview ("udp+tcp 0.0.0.0:5060").
	SIPListeners []string
	// CheckWebhookURL vets a URL that will receive signed POSTs, as for the
	// API; nil accepts every well-formed URL.
	CheckWebhookURL func(ctx context.Context, url string) error
	// OnDeliveriesQueued wakes the delivery worker after a write.
	OnDeliveriesQueued func()
	// StatusOf maps a domain error code to its HTTP status: the API's one
	// mapping (httpapi.StatusOf), which the dashboard shares rather than
	// keeps a copy of. Required.
	StatusOf func(code string) int
	// IsHTTPS reports whether a request reached us over HTTPS (directly or
	// through a trusted proxy): the session cookie is then Secure. Default:
	// r.TLS != nil.
	IsHTTPS func(r *http.Request) bool
	// ClientAddr names the client of a request for the sign-in rate limit.
	// Default: the host of r.RemoteAddr.
	ClientAddr func(r *http.Request) string
	// SignInFailures is how many failed sign-ins a client address may make
	// in a row before it must wait; one more is allowed every
	// SignInRefill. Defaults: 5 and 12 s (5 a minute).
	SignInFailures int
	SignInRefill   time.Duration
	// Clock gives the time; default switchboard.SystemClock.
	Clock  switchboard.Clock
	Logger *slog.Logger
}

// Handler is the dashboard. It is an http.Handler for every path under
// Prefix; mount it there on the API's listener.
type Handler struct {
	cfg     Config
	store   switchboard.Store
	pages   map[string]*template.Template
	static  http.Handler
	limiter *failureLimiter
	handler http.Handler
}

// New returns the dashboard over cfg.Store.
func New(cfg Config) (*Handler, error) {
	if cfg.Store == nil {
		return nil, errors.New("web: no store")
	}
	if cfg.StatusOf == nil {
		return nil, errors.New("web: no error status mapping")
	}
	if cfg.Clock == nil {
		cfg.Clock = switchboard.SystemClock
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.IsHTTPS == nil {
		cfg.IsHTTPS = func(r *http.Request) bool { return r.TLS != nil }
	}
	if cfg.ClientAddr == nil {
		cfg.ClientAddr = remoteHost
	}
	if cfg.SignInFailures <= 0 {
		cfg.SignInFailures = 5
	}
	if cfg.SignInRefill <= 0 {
		cfg.SignInRefill = 12 * time.Second
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	h := &Handler{
		cfg:     cfg,
		store:   cfg.Store,
		pages:   pages,
		static:  http.StripPrefix(Prefix+"static/", http.FileServerFS(static)),
		limiter: newFailureLimiter(cfg.SignInFailures, cfg.SignInRefill, cfg.Clock),
	}
	h.handler = securityHeaders(http.NewCrossOriginProtection().Handler(h.routes()))
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.handler.ServeHTTP(w, r) }

// contentSecurityPolicy allows nothing but this origin's files: no inline
// script or style (htmx's own indicator style is turned off in the
// layout's htmx-config), no framing, no plugins, forms to us only.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every response of the dashboard
// carries, errors and static files included.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// remoteHost is the host part of r.RemoteAddr.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// maxFormBytes bounds a form's body: the largest (a trunk) is well under it.
const maxFormBytes = 64 << 10

// parseForm reads the request's form within maxFormBytes.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return switchboard.Errorf(switchboard.ECodeValidation, "the form could not be read: %v", err)
	}
	return nil
}

// statusOf is the dashboard's status for a domain error: the API's one
// mapping (Config.StatusOf), but for a form's validation errors, which
// are a page to correct (422) rather than a request to fix (400).
func (h *Handler) statusOf(err error) int {
	code := switchboard.ErrorCode(err)
	if code == switchboard.ECodeValidation || code == switchboard.ECodeInvalidJSON {
		return http.StatusUnprocessableEntity
	}
	return h.cfg.StatusOf(code)
}

// fail renders err as the error page, logging it when it is internal.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, c *session, err error) {
	status := h.statusOf(err)
	if status == http.StatusInternalServerError {
		h.cfg.Logger.ErrorContext(r.Context(), "dashboard request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	h.render(w, r, c, status, "error", "Error", map[string]any{
		"Status": status, "StatusText": http.StatusText(status), "Message": switchboard.ErrorMessage(err),
	})
}

// errf is a validation error of a form's field.
func errf(field, format string, args ...any) error {
	return switchboard.FieldError(field, format, args...)
}
