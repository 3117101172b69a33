package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// cliRun is what one in-process run of the program left: its stdout,
// its stderr and its exit status, as main would have made them.
type cliRun struct {
	t              *testing.T
	args           []string
	stdout, stderr string
	code           int
}

// sb runs `switchboard ARGS` against ts with key in SWITCHBOARD_API_KEY
// and the server's URL in SWITCHBOARD_URL, stdout not a terminal (so the
// output is JSON unless --output says otherwise).
func (ts *testServer) sb(key string, args ...string) cliRun {
	return ts.sbEnv(map[string]string{"SWITCHBOARD_URL": ts.HTTPURL(), "SWITCHBOARD_API_KEY": key}, args...)
}

func (ts *testServer) sbEnv(env map[string]string, args ...string) cliRun {
	ts.t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, envOf(env), &out, &errOut)
	if err != nil {
		printError(&errOut, err)
	}
	return cliRun{t: ts.t, args: args, stdout: out.String(), stderr: errOut.String(), code: exitCode(err)}
}

// ok fails the test unless the run succeeded, and returns it.
func (r cliRun) ok() cliRun {
	r.t.Helper()
	if r.code != 0 {
		r.t.Fatalf("switchboard %q: exit %d\nstderr: %s\nstdout: %s", r.args, r.code, r.stderr, r.stdout)
	}
	return r
}

// fails checks the exit status and that stderr names the API's code.
func (r cliRun) fails(code int, stderr string) {
	r.t.Helper()
	if r.code != code || !strings.Contains(r.stderr, stderr) {
		r.t.Errorf("switchboard %q: exit %d, stderr %q; want exit %d and %q", r.args, r.code, r.stderr, code, stderr)
	}
	if r.code != 0 && !strings.HasPrefix(r.stderr, "error: ") && !strings.Contains(r.stderr, "\nerror: ") {
		r.t.Errorf("switchboard %q: stderr %q does not start with error:", r.args, r.stderr)
	}
}

// obj decodes stdout as one JSON object.
func (r cliRun) obj() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		r.t.Fatalf("switchboard %q: stdout is not one JSON object: %v\n%s", r.args, err, r.stdout)
	}
	return m
}

// list decodes stdout as one JSON array of objects.
func (r cliRun) list() []map[string]any {
	r.t.Helper()
	var l []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &l); err != nil || l == nil {
		r.t.Fatalf("switchboard %q: stdout is not one JSON array: %v\n%s", r.args, err, r.stdout)
	}
	return l
}

func ids(l []map[string]any) []string {
	var out []string
	for _, m := range l {
		out = append(out, m["id"].(string))
	}
	return out
}

// agentConfig is the provider of the agent endpoints the tests create.
const agentConfig = `{"provider":"elevenlabs","agent_id":"a1"}`

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// TestCLIEndpointsE2E: every endpoints command against the real server,
// in JSON and in tables, with flags and with --data.
func TestCLIEndpointsE2E(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	key := ts.BootstrapKey

	a := ts.sb(key, "endpoints", "create", "--name", "Sales", "--type", "webhook", "--endpoint-url", "https://example.com/decide").ok().obj()
	if str(a, "name") != "Sales" || str(a, "type") != "webhook" || !strings.HasPrefix(str(a, "id"), "ep_") {
		t.Fatalf("created %v", a)
	}
	// --data inline, then from a file, the flags winning over it.
	b := ts.sb(key, "endpoints", "create", "--data", `{"name":"Agent","type":"agent","url":"sip:agent@127.0.0.1:5099","ring_timeout":20,"provider_config":`+agentConfig+`}`).ok().obj()
	if str(b, "url") != "sip:agent@127.0.0.1:5099" || b["ring_timeout"] != float64(20) {
		t.Errorf("created from --data: %v", b)
	}
	file := filepath.Join(t.TempDir(), "ep.json")
	os.WriteFile(file, []byte(`{"name":"From file","type":"agent","url":"sip:x@127.0.0.1","provider_config":`+agentConfig+`}`), 0o600)
	cEP := ts.sb(key, "endpoints", "create", "--data", "@"+file, "--name", "Flag wins").ok().obj()
	if str(cEP, "name") != "Flag wins" || str(cEP, "url") != "sip:x@127.0.0.1" {
		t.Errorf("created from --data @file: %v", cEP)
	}
	ts.sb(key, "endpoints", "create", "--data", `{"nmae":"typo"}`).fails(exitUsage, `unknown field "nmae"`)
	ts.sb(key, "endpoints", "create", "--name", "No type").fails(exitError, "error: VALIDATION_ERROR: ")

	got := ts.sb(key, "endpoints", "get", str(a, "id")).ok().obj()
	if str(got, "id") != str(a, "id") || str(got, "url") != "https://example.com/decide" {
		t.Errorf("get: %v", got)
	}
	all := ts.sb(key, "endpoints", "list").ok().list()
	if want := []string{str(cEP, "id"), str(b, "id"), str(a, "id")}; strings.Join(ids(all), " ") != strings.Join(want, " ") {
		t.Errorf("list = %v, want %v (newest first)", ids(all), want)
	}
	if l := ts.sb(key, "endpoints", "list", "--limit", "2").ok().list(); len(l) != 2 {
		t.Errorf("list --limit 2 gave %d", len(l))
	}
	if l := ts.sb(key, "endpoints", "list", "--type", "webhook").ok().list(); len(l) != 1 || str(l[0], "id") != str(a, "id") {
		t.Errorf("list --type webhook = %v", ids(l))
	}
	up := ts.sb(key, "endpoints", "update", "--name", "Sales EU", "--status", "inactive", str(a, "id")).ok().obj()
	if str(up, "name") != "Sales EU" || str(up, "status") != "inactive" || str(up, "url") != "https://example.com/decide" {
		t.Errorf("update: %v", up)
	}

	// A table: a header and one row per endpoint.
	table := ts.sb(key, "endpoints", "list", "--output", "table").ok().stdout
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[0], "NAME") || !strings.Contains(table, "Sales EU") {
		t.Errorf("table:\n%s", table)
	}
	// Global flags before the command; the command line beats the env.
	r := ts.sbEnv(map[string]string{"SWITCHBOARD_URL": "http://127.0.0.1:1", "SWITCHBOARD_API_KEY": "kros_live_bad", "SWITCHBOARD_OUTPUT": "table"},
		"--url", ts.HTTPURL(), "--api-key", key, "-o", "json", "endpoints", "get", str(a, "id")).ok().obj()
	if str(r, "id") != str(a, "id") {
		t.Errorf("with global flags: %v", r)
	}

	del := ts.sb(key, "endpoints", "delete", str(a, "id")).ok().obj()
	if del["deleted"] != true || str(del, "id") != str(a, "id") {
		t.Errorf("delete: %v", del)
	}
	if out := ts.sb(key, "endpoints", "delete", "-o", "table", str(b, "id")).ok().stdout; !strings.HasPrefix(out, "deleted "+str(b, "id")) {
		t.Errorf("delete (table): %q", out)
	}
	ts.sb(key, "endpoints", "get", str(a, "id")).fails(exitNotFound, "error: ENDPOINT_NOT_FOUND: ")
	ts.sb(key, "endpoints", "get").fails(exitUsage, "usage")
}

// TestCLIErrorsE2E: exit codes and stderr for a missing, a bad and a
// revoked key, a server that is not there, and bad command lines.
func TestCLIErrorsE2E(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.sb("", "endpoints", "list").fails(exitUsage, "no API key")
	ts.sb("kros_live_nonsense", "endpoints", "list").fails(exitAuth, "error: "+switchboard.ECodeInvalidAPIKey+": ")
	// A key without the scope: 403.
	readOnly := ts.cli("keys", "create", "--org", "default", "--scopes", "calls:read")
	ts.sb(readOnly, "endpoints", "create", "--name", "x", "--type", "agent", "--provider-config", agentConfig).fails(exitAuth, "error: ")
	ts.sbEnv(map[string]string{"SWITCHBOARD_URL": "http://127.0.0.1:1", "SWITCHBOARD_API_KEY": "k"}, "--output", "json", "trunks", "list", "--retries", "0").
		fails(exitUsage, "flag provided but not defined")
	ts.sb(ts.BootstrapKey, "endpoints", "list", "--output", "yaml").fails(exitUsage, "--output must be table or json")
	ts.sb(ts.BootstrapKey, "endpoints", "list", "extra").fails(exitUsage, "takes no arguments")
	ts.sb(ts.BootstrapKey, "frobnicate").fails(exitUsage, "unknown command")
	ts.sb(ts.BootstrapKey, "endpoints", "frobnicate").fails(exitUsage, "unknown command")
	ts.sb(ts.BootstrapKey, "deliveries", "replay", "--webhook-id", "wh_x", "--since", "yesterday").fails(exitUsage, "--since")
	ts.sb(ts.BootstrapKey, "webhooks", "get", "wh_nope").fails(exitNotFound, "error: WEBHOOK_NOT_FOUND: Webhook wh_nope not found. (request ")
}

// TestCLIUnreachableE2E: a server that is not there is exit 1 with the
// connection error (after the SDK's retries, kept short by the context).
func TestCLIUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	addr := srv.URL
	srv.Close() // the port is now closed
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := run(ctx, []string{"endpoints", "list"}, envOf(map[string]string{"SWITCHBOARD_URL": addr, "SWITCHBOARD_API_KEY": "k"}), &out, &errOut)
	if exitCode(err) != exitError || err == nil {
		t.Fatalf("exit %d (%v), want 1", exitCode(err), err)
	}
	printError(&errOut, err)
	if !strings.HasPrefix(errOut.String(), "error: ") || out.Len() != 0 {
		t.Errorf("stderr %q stdout %q", errOut.String(), out.String())
	}
}

// TestCLINumbersE2E: available, claim, get, update (attach and detach),
// route, list and release.
func TestCLINumbersE2E(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	key := ts.BootstrapKey
	ts.cli("inventory", "add", "+2348012345901", "+2348012345902")
	avail := ts.sb(key, "numbers", "available", "--country", "NG").ok().list()
	if len(avail) != 2 {
		t.Fatalf("available: %v", avail)
	}
	if l := ts.sb(key, "numbers", "available", "--limit", "1").ok().list(); len(l) != 1 {
		t.Errorf("available --limit 1: %v", l)
	}
	ep := ts.sb(key, "endpoints", "create", "--name", "A", "--type", "agent", "--provider-config", agentConfig).ok().obj()
	n := ts.sb(key, "numbers", "claim", "--endpoint-id", str(ep, "id"), "+2348012345901").ok().obj()
	if str(n, "number") != "+2348012345901" || str(n, "endpoint_id") != str(ep, "id") {
		t.Fatalf("claim: %v", n)
	}
	inv := ts.sb(key, "numbers", "available").ok().list()
	m := ts.sb(key, "numbers", "claim", "--inventory-id", str(inv[0], "id"), "--allow-outbound=false").ok().obj()
	if str(m, "number") != "+2348012345902" || m["allow_outbound"] != false || m["allow_inbound"] != true {
		t.Errorf("claim by inventory id: %v", m)
	}
	ts.sb(key, "numbers", "claim").fails(exitUsage, "NUMBER")

	if g := ts.sb(key, "numbers", "get", str(n, "id")).ok().obj(); str(g, "id") != str(n, "id") {
		t.Errorf("get: %v", g)
	}
	route := ts.sb(key, "numbers", "route", str(n, "id")).ok().obj()
	if str(route, "decision") == "" || str(route, "endpoint_id") != str(ep, "id") {
		t.Errorf("route: %v", route)
	}
	if out := ts.sb(key, "numbers", "route", "-o", "table", str(n, "id")).ok().stdout; !strings.Contains(out, "+2348012345901: ") || !strings.Contains(out, str(ep, "id")) {
		t.Errorf("route (table): %q", out)
	}
	up := ts.sb(key, "numbers", "update", "--endpoint-id", "", "--allow-inbound=false", str(n, "id")).ok().obj()
	if up["endpoint_id"] != nil || up["allow_inbound"] != false {
		t.Errorf("update (detach): %v", up)
	}
	up = ts.sb(key, "numbers", "update", "--data", `{"endpoint_id":"`+str(ep, "id")+`"}`, str(n, "id")).ok().obj()
	if str(up, "endpoint_id") != str(ep, "id") {
		t.Errorf("update (--data): %v", up)
	}
	if l := ts.sb(key, "numbers", "list", "--endpoint-id", str(ep, "id")).ok().list(); len(l) != 1 || str(l[0], "id") != str(n, "id") {
		t.Errorf("list --endpoint-id: %v", ids(l))
	}
	table := ts.sb(key, "numbers", "list", "-o", "table").ok().stdout
	if !strings.Contains(table, "NUMBER") || !strings.Contains(table, "+2348012345902") {
		t.Errorf("table:\n%s", table)
	}
	rel := ts.sb(key, "numbers", "release", str(m, "id")).ok().obj()
	if rel["released"] != true || str(rel, "number") != "+2348012345902" {
		t.Errorf("release: %v", rel)
	}
	ts.sb(key, "numbers", "get", str(m, "id")).fails(exitNotFound, "error: ")
}

// TestCLICallsE2E: list with filters, get, the timeline, hangup's
// answer for a call this node cannot reach, and outbound create's error.
func TestCLICallsE2E(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	key := ts.BootstrapKey
	if l := ts.sb(key, "calls", "list").ok().list(); len(l) != 0 {
		t.Fatalf("calls before any: %v", l)
	}
	ep := ts.sb(key, "endpoints", "create", "--name", "A", "--type", "agent", "--provider-config", agentConfig).ok().obj()
	orgID, epID := str(ep, "organization_id"), str(ep, "id")
	day := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	mk := func(status string, d time.Duration) *switchboard.Call {
		return &switchboard.Call{ID: switchboard.NewID(switchboard.PrefixCall), OrganizationID: orgID,
			Direction: switchboard.DirectionInbound, FromNumber: "+14155550100", ToNumber: "+2348012345621",
			EndpointID: &epID, Status: status, SIPCallID: switchboard.RandomBase62(16) + "@carrier",
			Node: "elsewhere", CreatedAt: day.Add(d), UpdatedAt: day.Add(d)}
	}
	done, live := mk(switchboard.CallCompleted, 0), mk(switchboard.CallInProgress, time.Hour)
	done.Duration = 42
	// Recorded as this node's though its SIP edge does not hold it.
	live.Node = ts.Config.Node
	ts.seedCalls(
		switchboard.CallUpdate{Call: done, Events: []*switchboard.CallEvent{
			{Type: switchboard.EventCallInitiated, Status: switchboard.CallInitiated, Timestamp: day},
			{Type: switchboard.EventCallCompleted, Status: switchboard.CallCompleted, Timestamp: day.Add(42 * time.Second)}}},
		switchboard.CallUpdate{Call: live, Events: []*switchboard.CallEvent{
			{Type: switchboard.EventCallAnswered, Status: switchboard.CallInProgress, Timestamp: day.Add(time.Hour)}}},
	)
	if l := ts.sb(key, "calls", "list").ok().list(); strings.Join(ids(l), " ") != live.ID+" "+done.ID {
		t.Errorf("list = %v", ids(l))
	}
	if l := ts.sb(key, "calls", "list", "--status", "completed", "--from-date", "2025-03-01").ok().list(); len(l) != 1 || str(l[0], "id") != done.ID {
		t.Errorf("list --status completed = %v", ids(l))
	}
	g := ts.sb(key, "calls", "get", done.ID).ok().obj()
	if str(g, "id") != done.ID || g["duration"] != float64(42) {
		t.Errorf("get: %v", g)
	}
	if tbl := ts.sb(key, "calls", "get", "-o", "table", done.ID).ok().stdout; !strings.Contains(tbl, "42s") || !strings.Contains(tbl, "DIRECTION") {
		t.Errorf("get (table):\n%s", tbl)
	}
	evs := ts.sb(key, "calls", "events", done.ID).ok().list()
	if len(evs) != 2 || str(evs[0], "type") != switchboard.EventCallInitiated {
		t.Errorf("events: %v", evs)
	}
	// The live call is another node's: hangup is refused with its code.
	if r := ts.sb(key, "calls", "hangup", live.ID); r.code != exitError || !strings.HasPrefix(r.stderr, "error: ") || !strings.Contains(r.stderr, "error: CONFLICT: ") {
		t.Errorf("hangup of an unreachable call: exit %d %q", r.code, r.stderr)
	}
	ts.sb(key, "calls", "hangup", "call_nope").fails(exitNotFound, "error: CALL_NOT_FOUND: ")
	ts.sb(key, "calls", "create", "--from", "+2348012345621", "--to", "+14155550100").fails(exitNotFound, "error: NUMBER_NOT_OWNED: ")
	ts.sb(key, "calls", "create", "--metadata", "{not json").fails(exitUsage, "--metadata")
}

// TestCLIWebhooksAndDeliveriesE2E: webhooks create (with its secret),
// get, list, update, test, rotate-secret, delete; deliveries list, get,
// retry and replay.
func TestCLIWebhooksAndDeliveriesE2E(t *testing.T) {
	t.Parallel()
	// A receiver that always fails, so deliveries end failed.
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	t.Cleanup(recv.Close)
	ts := startServer(t, withWebhookSchedule(t, "0s"))
	key := ts.BootstrapKey
	w := ts.sb(key, "webhooks", "create", "--webhook-url", recv.URL+"/hook", "--events", "call.*, endpoint.created", "--description", "local").ok().obj()
	if !strings.HasPrefix(str(w, "secret"), "whsec_") || str(w, "description") != "local" {
		t.Fatalf("create: %v", w)
	}
	if tbl := ts.sb(key, "webhooks", "get", "-o", "table", str(w, "id")).ok().stdout; !strings.Contains(tbl, recv.URL) || strings.Contains(tbl, "whsec_") {
		t.Errorf("get (table) shows no secret:\n%s", tbl)
	}
	if l := ts.sb(key, "webhooks", "list").ok().list(); len(l) != 1 || str(l[0], "id") != str(w, "id") {
		t.Errorf("list: %v", l)
	}
	up := ts.sb(key, "webhooks", "update", "--description", "changed", str(w, "id")).ok().obj()
	if str(up, "description") != "changed" || up["active"] != true {
		t.Errorf("update: %v", up)
	}
	rot := ts.sb(key, "webhooks", "rotate-secret", str(w, "id")).ok().obj()
	if str(rot, "secret") == str(w, "secret") || !strings.HasPrefix(str(rot, "secret"), "whsec_") {
		t.Errorf("rotate-secret: %v", rot)
	}
	ev := ts.sb(key, "webhooks", "test", str(w, "id")).ok().obj()
	if str(ev, "event") != "webhook.test" {
		t.Errorf("test: %v", ev)
	}

	var d map[string]any
	eventually(t, 20*time.Second, "the test delivery fails", func() bool {
		l := ts.sb(key, "deliveries", "list", "--webhook-id", str(w, "id"), "--status", "failed").ok().list()
		if len(l) == 1 {
			d = l[0]
		}
		return len(l) == 1
	})
	g := ts.sb(key, "deliveries", "get", str(d, "id")).ok().obj()
	if str(g, "event") != "webhook.test" || len(g["attempts"].([]any)) == 0 {
		t.Errorf("get: %v", g)
	}
	if tbl := ts.sb(key, "deliveries", "list", "-o", "table").ok().stdout; !strings.Contains(tbl, str(d, "id")) || !strings.Contains(tbl, "500") {
		t.Errorf("list (table):\n%s", tbl)
	}
	re := ts.sb(key, "deliveries", "retry", str(d, "id")).ok().obj()
	if str(re, "id") != str(d, "id") {
		t.Errorf("retry: %v", re)
	}
	eventually(t, 20*time.Second, "the retried delivery fails again", func() bool {
		return len(ts.sb(key, "deliveries", "list", "--webhook-id", str(w, "id"), "--status", "failed").ok().list()) == 1
	})
	rp := ts.sb(key, "deliveries", "replay", "--webhook-id", str(w, "id"), "--since", "1h").ok().obj()
	if rp["replayed"] != float64(1) {
		t.Errorf("replay: %v", rp)
	}
	del := ts.sb(key, "webhooks", "delete", str(w, "id")).ok().obj()
	if del["deleted"] != true {
		t.Errorf("delete: %v", del)
	}
	ts.sb(key, "webhooks", "get", str(w, "id")).fails(exitNotFound, "error: WEBHOOK_NOT_FOUND: ")
	ts.sb(key, "deliveries", "get", "whd_nope").fails(exitNotFound, "error: DELIVERY_NOT_FOUND: ")
}

// TestCLIKeysE2E: keys over the API (create, list, get, revoke, delete)
// next to the operator's keys commands on the database, and a revoked
// key's exit status.
func TestCLIKeysE2E(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	key := ts.BootstrapKey
	k := ts.sb(key, "keys", "create", "--name", "ci", "--scopes", "calls:read,endpoints:read").ok().obj()
	secret := str(k, "key")
	if !strings.HasPrefix(secret, "kros_") || str(k, "name") != "ci" {
		t.Fatalf("create: %v", k)
	}
	if tbl := ts.sb(key, "keys", "create", "-o", "table", "--name", "t", "--scopes", "calls:read").ok().stdout; !strings.Contains(tbl, "kros_") {
		t.Errorf("create (table) shows the secret once:\n%s", tbl)
	}
	g := ts.sb(key, "keys", "get", str(k, "id")).ok().obj()
	if str(g, "id") != str(k, "id") || g["key"] != nil {
		t.Errorf("get: %v", g)
	}
	l := ts.sb(key, "keys", "list").ok().list()
	if len(l) != 3 {
		t.Errorf("list: %v", ids(l))
	}
	// The new key works, then is revoked over the API and is refused.
	ts.sb(secret, "calls", "list").ok()
	if out := ts.sb(key, "keys", "revoke", "-o", "table", str(k, "id")).ok().stdout; !strings.HasPrefix(out, "revoked "+str(k, "id")) {
		t.Errorf("revoke over the API: %q", out)
	}
	ts.sb(secret, "calls", "list").fails(exitAuth, "error: ")
	if l := ts.sb(key, "keys", "list", "--revoked", "true").ok().list(); len(l) != 1 || str(l[0], "id") != str(k, "id") {
		t.Errorf("list --revoked true: %v", ids(l))
	}
	other := ts.sb(key, "keys", "create", "--name", "other", "--scopes", "calls:read").ok().obj()
	if d := ts.sb(key, "keys", "delete", str(other, "id")).ok().obj(); d["revoked_at"] == nil {
		t.Errorf("delete: %v", d)
	}
	ts.sb(key, "keys", "get", "key_nope").fails(exitNotFound, "error: ")

	// With --org or --database, or without an API key, keys create|list|
	// revoke stay the operator's, on the database.
	opSecret := ts.cli("keys", "create", "--org", "default", "--name", "operator")
	if !strings.HasPrefix(opSecret, "kros_live_") || strings.Contains(opSecret, "\n") {
		t.Errorf("operator keys create printed %q", opSecret)
	}
	r := ts.sb(key, "keys", "list", "--database", ts.dsn, "--org", "default").ok()
	if !strings.HasPrefix(r.stdout, "ID") || !strings.Contains(r.stdout, "operator") {
		t.Errorf("operator keys list with an API key in the environment:\n%s", r.stdout)
	}
}

// TestCLITrunksE2E: trunks create, get, list, update and delete.
func TestCLITrunksE2E(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	key := ts.BootstrapKey
	tr := ts.sb(key, "trunks", "create", "--name", "Carrier", "--address", "127.0.0.1:5090", "--transport", "udp", "--max-concurrent-calls", "5",
		"--auth-username", "u", "--auth-password", "s3cret-pass").ok().obj()
	if str(tr, "name") != "Carrier" || tr["max_concurrent_calls"] != float64(5) || strings.Contains(ts.sb(key, "trunks", "get", str(tr, "id")).ok().stdout, "s3cret") {
		t.Fatalf("create: %v", tr)
	}
	b := ts.sb(key, "trunks", "create", "--data", `{"name":"Backup","address":"127.0.0.2:5060","failover_addresses":["127.0.0.3:5060"]}`).ok().obj()
	if fa, _ := b["failover_addresses"].([]any); len(fa) != 1 {
		t.Errorf("create with --data: %v", b)
	}
	if l := ts.sb(key, "trunks", "list").ok().list(); len(l) != 2 {
		t.Errorf("list: %v", ids(l))
	}
	up := ts.sb(key, "trunks", "update", "--status", "inactive", "--default", str(tr, "id")).ok().obj()
	if str(up, "status") != "inactive" || up["default"] != true || str(up, "name") != "Carrier" {
		t.Errorf("update: %v", up)
	}
	if l := ts.sb(key, "trunks", "list", "--status", "inactive").ok().list(); len(l) != 1 {
		t.Errorf("list --status inactive: %v", ids(l))
	}
	if tbl := ts.sb(key, "trunks", "list", "-o", "table").ok().stdout; !strings.Contains(tbl, "TRANSPORT") || !strings.Contains(tbl, "Backup") {
		t.Errorf("table:\n%s", tbl)
	}
	if d := ts.sb(key, "trunks", "delete", str(tr, "id")).ok().obj(); d["deleted"] != true {
		t.Errorf("delete: %v", d)
	}
	ts.sb(key, "trunks", "get", str(tr, "id")).fails(exitNotFound, "error: TRUNK_NOT_FOUND: ")
}

// TestCLIListPagesE2E: a list longer than a page (100) is printed whole,
// and --limit stops across a page boundary.
func TestCLIListPagesE2E(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	args := []string{"inventory", "add", "--country", "NG"}
	for i := range 150 {
		args = append(args, fmt.Sprintf("+2348012346%03d", i))
	}
	ts.cli(args...)
	all := ts.sb(ts.BootstrapKey, "numbers", "available").ok().list()
	seen := map[string]bool{}
	for _, n := range all {
		seen[str(n, "number")] = true
	}
	if len(all) != 150 || len(seen) != 150 {
		t.Errorf("available printed %d numbers (%d distinct), want 150", len(all), len(seen))
	}
	if l := ts.sb(ts.BootstrapKey, "numbers", "available", "--limit", "120").ok().list(); len(l) != 120 {
		t.Errorf("--limit 120 printed %d", len(l))
	}
	tbl := ts.sb(ts.BootstrapKey, "numbers", "available", "-o", "table").ok().stdout
	if n := strings.Count(strings.TrimSpace(tbl), "\n"); n != 150 {
		t.Errorf("the table has %d rows, want 150", n)
	}
}

// TestCLIBinaryE2E: the real binary's main turns errors into the
// documented exit statuses and "error: CODE: …" lines on stderr, and
// prints its version.
func TestCLIBinaryE2E(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	bin := buildBinary(t)
	sb := func(args ...string) (stdout, stderr string, code int) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "SWITCHBOARD_URL="+ts.HTTPURL(), "SWITCHBOARD_API_KEY="+ts.BootstrapKey, "SWITCHBOARD_OUTPUT=")
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code = cmd.ProcessState.ExitCode()
		if err != nil && code < 0 {
			t.Fatalf("%v: %v", args, err)
		}
		return out.String(), errOut.String(), code
	}
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"--version"}, 0, "switchboard ", ""},
		{[]string{"version"}, 0, "commit: ", ""},
		{[]string{"--help"}, 0, "endpoints list", ""},
		{[]string{"endpoints", "create", "-h"}, 0, "--provider-config", ""},
		{[]string{"serve", "-h"}, 0, "", "-database"},
		{[]string{"endpoints", "list"}, 0, "[]", ""},
		{[]string{"endpoints", "get", "ep_nope"}, 4, "", "error: ENDPOINT_NOT_FOUND: "},
		{[]string{"endpoints", "list", "--api-key", "kros_live_nonsense"}, 3, "", "error: INVALID_API_KEY: "},
		{[]string{"endpoints", "create", "--name", "x"}, 1, "", "error: VALIDATION_ERROR: "},
		{[]string{"endpoints", "lst"}, 2, "", "error: switchboard endpoints: unknown command"},
	} {
		out, errOut, code := sb(tc.args...)
		if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errOut, tc.stderr) {
			t.Errorf("switchboard %q: exit %d\nstdout: %s\nstderr: %s\nwant exit %d, stdout with %q, stderr with %q",
				tc.args, code, out, errOut, tc.code, tc.stdout, tc.stderr)
		}
	}
}
