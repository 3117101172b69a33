package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/switchboard-voice/switchboard"
)

type ctxKey int

const (
	ctxRequestID ctxKey = iota
	ctxAPIKey
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxRequestID).(string)
	return id
}

// apiKey returns the authenticated key; only routes behind auth call it.
func apiKey(ctx context.Context) *switchboard.APIKey {
	k, _ := ctx.Value(ctxAPIKey).(*switchboard.APIKey)
	return k
}

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
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = switchboard.NewID(switchboard.PrefixRequest)
		}
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), ctxRequestID, id))
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.writeError(rec, r, fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
			}
			if s.logger.Enabled(r.Context(), slog.LevelInfo) {
				attrs := []slog.Attr{
					slog.String("request_id", id), slog.String("method", r.Method),
					slog.String("path", r.URL.Path), slog.Int("status", rec.status),
					slog.Duration("duration", time.Since(start)),
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
