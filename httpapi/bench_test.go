package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/httpapi"
	"github.com/switchboard-voice/switchboard/sqlite"
	"github.com/switchboard-voice/switchboard/storecache"
)

// discardWriter is a ResponseWriter that keeps only the headers, so the
// benchmarks measure the handler chain rather than a recorder.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(int)             {}
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }

// BenchmarkReadPath runs the two routes of bench/api through the whole
// handler chain (request id, auth, limiter, cache, encoder) over the
// cached store, as serve wires it, without the network: the part of the
// request that is ours.
func BenchmarkReadPath(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"), switchboard.SystemClock)
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	store := storecache.New(db, time.Hour, switchboard.SystemClock)
	defer store.Close()
	org, _, _ := store.EnsureOrganization(ctx, "bench")
	secret, key := switchboard.GenerateAPIKey(true)
	key.OrganizationID, key.Scopes = org.ID, switchboard.AllScopes
	if err := store.CreateAPIKey(ctx, &key); err != nil {
		b.Fatal(err)
	}
	var id string
	for i := range 50 {
		ep, _ := switchboard.NewEndpoint(switchboard.EndpointInput{Name: fmt.Sprint("ep ", i), Type: "webhook", URL: "https://127.0.0.1:9/hook"})
		if err := store.CreateEndpoint(ctx, org.ID, ep); err != nil {
			b.Fatal(err)
		}
		id = ep.ID
	}
	api := httpapi.NewServer(store, slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})),
		httpapi.Config{RateLimit: 1e6})
	for name, path := range map[string]string{"get": "/v1/endpoints/" + id, "list": "/v1/endpoints"} {
		b.Run(name, func(b *testing.B) {
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("x-api-key", secret)
			b.ReportAllocs()
			for b.Loop() {
				api.ServeHTTP(&discardWriter{h: http.Header{}}, req)
			}
		})
	}
}
