package httpapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/httpapi"
	"github.com/switchboard-voice/switchboard/sqlite"
)

// TestHealthChecksDatabase: /healthz answers 200 while the database
// answers and 503 once it does not (here: a real SQLite store, closed
// under the running server), with the cause logged once, not per check,
// and not shown to the caller.
func TestHealthChecksDatabase(t *testing.T) {
	t.Parallel()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "health.db"), switchboard.SystemClock)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	api := httpapi.NewServer(db, slog.New(slog.NewTextHandler(&logs, nil)), httpapi.Config{})
	check := func(want int, wantBody string) {
		t.Helper()
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		if rec.Code != want || strings.TrimSpace(rec.Body.String()) != wantBody {
			t.Fatalf("GET /healthz = %d %s, want %d %s", rec.Code, rec.Body, want, wantBody)
		}
	}
	check(200, `{"status":"ok"}`)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	check(503, `{"status":"unavailable"}`)
	check(503, `{"status":"unavailable"}`)
	if n := strings.Count(logs.String(), "health check failing"); n != 1 {
		t.Errorf("logged the failing check %d times, want once:\n%s", n, &logs)
	}
	if !strings.Contains(logs.String(), "database is closed") {
		t.Errorf("the log does not say why:\n%s", &logs)
	}
}
