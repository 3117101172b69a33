package httpapi

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboard-voice/switchboard"
)

// TestHandlerAdapter: a returned error is rendered by the one mapping while
// nothing has been written, and only logged once the response has started.
func TestHandlerAdapter(t *testing.T) {
	t.Parallel()
	ok := func(w http.ResponseWriter) { writeJSON(w, http.StatusOK, map[string]bool{"ok": true}) }
	for _, tc := range []struct {
		name       string
		fn         handlerFunc
		status     int
		body       string // with request_id written as RID
		retryAfter string
		logged     string
	}{
		{name: "no error", fn: func(w http.ResponseWriter, r *http.Request) error { ok(w); return nil },
			status: 200, body: `{"ok":true}`},
		{name: "domain error", fn: func(w http.ResponseWriter, r *http.Request) error {
			return switchboard.FieldError("name", "name is required")
		}, status: 400, body: `{"error":"name is required","code":"VALIDATION_ERROR","details":{"field":"name"},"request_id":"RID"}`},
		{name: "internal error", fn: func(w http.ResponseWriter, r *http.Request) error { return errors.New("disk on fire") },
			status: 500, body: `{"error":"Internal error.","code":"INTERNAL_ERROR","request_id":"RID"}`, logged: "disk on fire"},
		{name: "rate limited", fn: func(w http.ResponseWriter, r *http.Request) error {
			return &retryAfterError{err: switchboard.Errorf(switchboard.ECodeRateLimited, "rate limit exceeded"), wait: 1.25}
		}, status: 429, retryAfter: "2",
			body: `{"error":"rate limit exceeded","code":"RATE_LIMIT_EXCEEDED","request_id":"RID","retry_after":1.25}`},
		{name: "error after the response started", fn: func(w http.ResponseWriter, r *http.Request) error {
			ok(w)
			return errors.New("late failure")
		}, status: 200, body: `{"ok":true}`, logged: "late failure"},
		{name: "panic after the response started", fn: func(w http.ResponseWriter, r *http.Request) error {
			ok(w)
			panic("late panic")
		}, status: 200, body: `{"ok":true}`, logged: "late panic"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			s := &Server{logger: slog.New(slog.NewTextHandler(&logs, nil))}
			rec := httptest.NewRecorder()
			s.withRequest(s.h(tc.fn)).ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
			rid := rec.Header().Get("X-Request-Id")
			want := strings.ReplaceAll(tc.body, "RID", rid) + "\n"
			if rec.Code != tc.status || rec.Body.String() != want || rec.Header().Get("Retry-After") != tc.retryAfter {
				t.Errorf("got %d Retry-After %q %q\nwant %d Retry-After %q %q",
					rec.Code, rec.Header().Get("Retry-After"), rec.Body, tc.status, tc.retryAfter, want)
			}
			if tc.logged != "" && !strings.Contains(logs.String(), tc.logged) {
				t.Errorf("the log does not mention %q:\n%s", tc.logged, &logs)
			}
		})
	}
}
