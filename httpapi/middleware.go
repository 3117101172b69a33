package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/switchboard-voice/switchboard"
)

type ctxKey int

const (
	ctxRequest ctxKey = iota // *requestState, set by withRequest
	ctxAPIKey                // *switchboard.APIKey, when auth runs without withRequest
)

// requestState is what the middleware knows about one request, kept in one
// allocation: the recorder the handlers write through, the request id (and
// the header value slice that carries it), and the API key once
// authenticate has resolved it. withRequest puts it in the context once;
// authenticate fills in the key without deriving another request.
type requestState struct {
	statusRecorder
	id       string
	key      *switchboard.APIKey
	idHeader [1]string
}

func stateOf(ctx context.Context) *requestState {
	st, _ := ctx.Value(ctxRequest).(*requestState)
	return st
}

func requestID(ctx context.Context) string {
	if st := stateOf(ctx); st != nil {
		return st.id
	}
	return ""
}

// apiKey returns the authenticated key; only routes behind auth call it.
func apiKey(ctx context.Context) *switchboard.APIKey {
	if st := stateOf(ctx); st != nil && st.key != nil {
		return st.key
	}
	k, _ := ctx.Value(ctxAPIKey).(*switchboard.APIKey)
	return k
}

// newRequestID returns a request id in the form of switchboard.NewID
// (req_ and 20 base62 characters). Request ids correlate log lines and
// need not be secret, so they come from math/rand/v2's per-thread
// generator (ChaCha8, seeded by the OS) rather than a crypto/rand read and
// two buffers per request.
func newRequestID() string {
	const prefix = switchboard.PrefixRequest
	var b [len(prefix) + 20]byte
	copy(b[:], prefix)
	for i := len(prefix); i < len(b); {
		x := rand.Uint64()
		for j := 0; j < 10 && i < len(b); j++ {
			// Six bits at a time, dropping 62 and 63, keeps it uniform.
			if c := x & 63; c < 62 {
				b[i] = base62[c]
				i++
			}
			x >>= 6
		}
	}
	return string(b[:])
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// validRequestID accepts a caller's id only if it is short printable ASCII,
// so it cannot forge log lines or bloat responses.
func validRequestID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap gives http.ResponseController the connection's writer: a long
// response (a test call, the event stream) lifts the server's write
// timeout for itself, and the stream flushes.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// started reports whether the response has begun: after it, an error can
// only be logged.
func (r *statusRecorder) started() bool { return r.status != 0 }

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// withRequest sets the request id, recovers from panics and logs one line
// per request. It wraps every route.
func (s *Server) withRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st := &requestState{statusRecorder: statusRecorder{ResponseWriter: w}}
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		st.id, st.idHeader[0] = id, id
		w.Header()["X-Request-Id"] = st.idHeader[:] // the canonical key, as Header.Set would write it
		r = r.WithContext(context.WithValue(r.Context(), ctxRequest, st))
		rec := &st.statusRecorder
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.fail(rec, r, fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
			}
			if s.logger.Enabled(r.Context(), slog.LevelInfo) {
				attrs := []slog.Attr{
					slog.String("request_id", id), slog.String("method", r.Method),
					slog.String("path", r.URL.Path), slog.Int("status", rec.status),
					slog.Duration("duration", time.Since(start)),
				}
				if c := ClientAddr(r); c.IsValid() { // a trusted proxy's client, else the peer
					attrs = append(attrs, slog.String("client", c.String()))
				}
				if k := apiKey(r.Context()); k != nil {
					attrs = append(attrs, slog.String("org", k.OrganizationID), slog.String("key_id", k.ID))
				}
				s.logger.LogAttrs(r.Context(), slog.LevelInfo, "http request", attrs...)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}
