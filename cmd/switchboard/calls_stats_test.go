package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/httpapi"
	"github.com/switchboard-voice/switchboard/sqlite"
)

// TestCallsStats runs `switchboard calls stats` through the SDK against
// the real API over a SQLite store holding three calls of known durations.
func TestCallsStats(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "stats.db"), switchboard.SystemClock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	org, _, err := db.EnsureOrganization(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	secret, key := switchboard.GenerateAPIKey(true)
	key.OrganizationID, key.Scopes = org.ID, []switchboard.Scope{switchboard.ScopeCallsRead}
	if err := db.CreateAPIKey(ctx, &key); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC)
	var updates []switchboard.CallUpdate
	for i, d := range []int{10, 30, -1} { // -1: not answered
		at := day.Add(time.Duration(i) * 25 * time.Hour)
		c := &switchboard.Call{ID: switchboard.NewID(switchboard.PrefixCall), OrganizationID: org.ID,
			Direction: switchboard.DirectionInbound, FromNumber: "+14155550101", ToNumber: "+2348012345601",
			Status: switchboard.CallFailed, CreatedAt: at, UpdatedAt: at.Add(time.Minute), CompletedAt: statsTime(at.Add(time.Minute))}
		if d >= 0 {
			c.Status, c.Duration, c.AnsweredAt = switchboard.CallCompleted, d, statsTime(at.Add(time.Second))
		}
		updates = append(updates, switchboard.CallUpdate{Call: c})
	}
	if err := db.SaveCalls(ctx, updates); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.NewServer(db, slog.New(slog.NewTextHandler(io.Discard, nil)), httpapi.Config{}))
	t.Cleanup(srv.Close)

	run := func(args ...string) (string, string, error) {
		var out, errb bytes.Buffer
		c := newCLI(envOf(map[string]string{"SWITCHBOARD_URL": srv.URL, "SWITCHBOARD_API_KEY": secret}), &out, &errb)
		err := runResource(ctx, c, "calls", callCommands, nil, append([]string{"stats"}, args...))
		return out.String(), errb.String(), err
	}

	out, _, err := run("-o", "json", "--group-by", "day")
	if err != nil {
		t.Fatal(err)
	}
	var st switchboard.CallStats
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if st.TotalCalls != 3 || st.AnsweredCalls != 2 || *st.AnswerRate != 0.6667 || *st.AverageDuration != 20 ||
		*st.P95Duration != 29 || len(st.Series) != 3 || !st.Series[1].Start.Equal(day.AddDate(0, 0, 1)) {
		t.Errorf("stats %s", out)
	}

	out, _, err = run("-o", "table", "--to-date", "2025-01-10")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "PERIOD") || strings.Join(strings.Fields(lines[1]), " ") != "all 1 1 1 10 10 1 0 1 0 0 0 0" {
		t.Errorf("table:\n%s", out)
	}

	_, _, err = run("--group-by", "week")
	if code := exitCode(err); code != 1 || !strings.Contains(err.Error(), "group_by") {
		t.Errorf("--group-by week: exit %d, %v", code, err)
	}
}

func statsTime(t time.Time) *time.Time { return &t }
