package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/httpapi"
	"github.com/switchboard-voice/switchboard/openapi/openapitest"
	"github.com/switchboard-voice/switchboard/sqlite"
)

// callEnv is the API over a fresh SQLite store holding the calls of two
// organisations, A and B, and one call of no organisation.
type callEnv struct {
	t      *testing.T
	db     *sqlite.DB
	orgA   string
	orgB   string
	keyA   string // every scope, organisation A
	keyB   string // every scope, organisation B
	calls  map[string]*switchboard.Call
	logger *slog.Logger
}

// The seeded calls, by name. Organisation A has four, newest first d, c,
// b, a; B has one; one call belongs to no organisation.
var callBase = time.Date(2025, 1, 10, 10, 0, 0, 0, time.UTC)

func newCallEnv(t *testing.T) *callEnv {
	t.Helper()
	ctx := context.Background()
	db := openDB(t, "calls.db")
	e := &callEnv{t: t, db: db, calls: map[string]*switchboard.Call{},
		logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, name := range []string{"a", "b"} {
		org, _, err := db.EnsureOrganization(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if name == "a" {
			e.orgA, e.keyA = org.ID, e.newKey(org.ID, switchboard.AllScopes...)
		} else {
			e.orgB, e.keyB = org.ID, e.newKey(org.ID, switchboard.AllScopes...)
		}
	}
	at := func(d time.Duration) *time.Time { t := callBase.Add(d); return &t }
	pn1, pn2, ep1, ep2 := "pn_one", "pn_two", "ep_one", "ep_two"
	ev := func(typ, status string, d time.Duration) *switchboard.CallEvent {
		return &switchboard.CallEvent{Type: typ, Status: status, Timestamp: callBase.Add(d)}
	}
	e.seed("a", &switchboard.Call{OrganizationID: e.orgA, Direction: "inbound", FromNumber: "+14155550101",
		ToNumber: "+2348012345601", PhoneNumberID: &pn1, EndpointID: &ep1, Status: switchboard.CallCompleted,
		HangupCause: switchboard.HangupUser, HangupBy: switchboard.HangupByCaller, Duration: 180,
		SIPCallID: "a@carrier", Node: "sb-1", CreatedAt: callBase, AnsweredAt: at(5 * time.Second),
		CompletedAt: at(185 * time.Second), UpdatedAt: *at(185 * time.Second)},
		ev(switchboard.EventCallInitiated, switchboard.CallInitiated, 0),
		ev(switchboard.EventCallRinging, switchboard.CallRinging, time.Second),
		ev(switchboard.EventCallAnswered, switchboard.CallInProgress, 5*time.Second),
		ev(switchboard.EventCallCompleted, switchboard.CallCompleted, 185*time.Second))
	// The last stored microsecond of the day: a plain to_date of that day
	// must include it, a plain from_date of the next one must not.
	e.seed("b", &switchboard.Call{OrganizationID: e.orgA, Direction: "inbound", FromNumber: "+14155550102",
		ToNumber: "+2348012345601", PhoneNumberID: &pn1, Status: switchboard.CallFailed,
		HangupCause: switchboard.HangupRejected, FailureReason: "no_endpoint", SIPStatus: 480,
		SIPCallID: "b@carrier", CreatedAt: callBase.Add(14*time.Hour - time.Microsecond), UpdatedAt: callBase.Add(14 * time.Hour)},
		ev(switchboard.EventCallFailed, switchboard.CallFailed, 14*time.Hour-time.Microsecond))
	e.seed("c", &switchboard.Call{OrganizationID: e.orgA, Direction: "inbound", FromNumber: "+14155550103",
		ToNumber: "+2348012345602", PhoneNumberID: &pn2, EndpointID: &ep2, Status: switchboard.CallInProgress,
		SIPCallID: "c@carrier", Node: "sb-1", CreatedAt: callBase.Add(22 * time.Hour), AnsweredAt: at(22*time.Hour + time.Second),
		UpdatedAt: *at(22*time.Hour + time.Second)},
		ev(switchboard.EventCallInitiated, switchboard.CallInitiated, 22*time.Hour),
		ev(switchboard.EventCallAnswered, switchboard.CallInProgress, 22*time.Hour+time.Second))
	// No timeline at all, which the store allows.
	e.seed("d", &switchboard.Call{OrganizationID: e.orgA, Direction: "outbound", FromNumber: "+2348012345602",
		ToNumber: "+14155550104", PhoneNumberID: &pn2, EndpointID: &ep1, Status: switchboard.CallCompleted,
		HangupCause: switchboard.HangupAgent, HangupBy: switchboard.HangupByAgent, Duration: 1,
		SIPCallID: "d@carrier", CreatedAt: callBase.Add(38 * time.Hour), AnsweredAt: at(38 * time.Hour),
		CompletedAt: at(38*time.Hour + 1500*time.Millisecond), UpdatedAt: callBase.Add(39 * time.Hour)})
	e.seed("orgB", &switchboard.Call{OrganizationID: e.orgB, Direction: "inbound", FromNumber: "+14155550105",
		ToNumber: "+2348012345609", PhoneNumberID: &pn1, EndpointID: &ep1, Status: switchboard.CallInProgress,
		SIPCallID: "e@carrier", CreatedAt: callBase.Add(time.Hour), AnsweredAt: at(time.Hour), UpdatedAt: callBase.Add(time.Hour)},
		ev(switchboard.EventCallAnswered, switchboard.CallInProgress, time.Hour))
	e.seed("nobody", &switchboard.Call{Direction: "inbound", FromNumber: "+14155550106", ToNumber: "+2348012345699",
		Status: switchboard.CallFailed, HangupCause: switchboard.HangupRejected, FailureReason: "number_not_found",
		SIPStatus: 404, SIPCallID: "f@carrier", CreatedAt: callBase.Add(2 * time.Hour), UpdatedAt: callBase.Add(2 * time.Hour)},
		ev(switchboard.EventCallFailed, switchboard.CallFailed, 2*time.Hour))
	return e
}

func (e *callEnv) newKey(orgID string, scopes ...switchboard.Scope) string {
	e.t.Helper()
	secret, key := switchboard.GenerateAPIKey(true)
	key.OrganizationID, key.Scopes = orgID, scopes
	if err := e.db.CreateAPIKey(context.Background(), &key); err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// seed stores a call, as the SIP edge would, and remembers it by name.
func (e *callEnv) seed(name string, c *switchboard.Call, evs ...*switchboard.CallEvent) {
	e.t.Helper()
	c.ID = switchboard.NewID(switchboard.PrefixCall)
	if err := e.db.SaveCalls(context.Background(), []switchboard.CallUpdate{{Call: c, Events: evs}}); err != nil {
		e.t.Fatal(err)
	}
	e.calls[name] = c
}

// id returns the ID of a seeded call.
func (e *callEnv) id(name string) string {
	c := e.calls[name]
	if c == nil {
		e.t.Fatalf("no seeded call %q", name)
	}
	return c.ID
}

// api returns the API over the store with the given call control. The
// rate limit is on (and far away) so responses carry the X-RateLimit
// headers the spec requires, as in production.
func (e *callEnv) api(control switchboard.CallControl) http.Handler {
	return httpapi.NewServer(e.db, e.logger, httpapi.Config{Calls: control, RateLimit: 1e6})
}

// callResp is one response, its body decoded.
type callResp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// errField returns details.field of an error response.
func (r *callResp) errField() string {
	d, _ := r.body["details"].(map[string]any)
	f, _ := d["field"].(string)
	return f
}

// ids returns the "id" of each object in the list under key.
func (r *callResp) ids(key string) []string {
	out := []string{}
	items, _ := r.body[key].([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		id, _ := m["id"].(string)
		out = append(out, id)
	}
	return out
}

// do sends one request to h with the key and checks the response against
// the OpenAPI document, as the end-to-end suite does.
func do(t *testing.T, h http.Handler, key, method, path, body string, hdr ...string) *callResp {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, "http://127.0.0.1:8080"+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	openapitest.New(t).Check(t, req, res, rec.Body.Bytes())
	out := &callResp{status: rec.Code, header: rec.Header(), raw: rec.Body.Bytes()}
	if err := json.Unmarshal(out.raw, &out.body); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %v\n%s", method, path, err, out.raw)
	}
	return out
}

// wantErr asserts an error response.
func wantErr(t *testing.T, r *callResp, status int, code string) {
	t.Helper()
	if r.status != status || r.body["code"] != code {
		t.Fatalf("got %d %v, want %d %s: %s", r.status, r.body["code"], status, code, r.raw)
	}
}

func TestListCalls(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t)
	h := e.api(nil)
	cases := []struct {
		query         string
		want          []string // seeded call names, in order
		total         int
		limit, offset int
	}{
		{"", []string{"d", "c", "b", "a"}, 4, 50, 0},
		{"?status=completed", []string{"d", "a"}, 2, 50, 0},
		{"?status=in_progress", []string{"c"}, 1, 50, 0},
		{"?status=busy", nil, 0, 50, 0},
		{"?direction=outbound", []string{"d"}, 1, 50, 0},
		{"?direction=inbound", []string{"c", "b", "a"}, 3, 50, 0},
		{"?phone_number_id=pn_one", []string{"b", "a"}, 2, 50, 0},
		{"?endpoint_id=ep_one", []string{"d", "a"}, 2, 50, 0},
		{"?endpoint_id=pn_one", nil, 0, 50, 0}, // an ID of another kind matches nothing
		{"?from_date=2025-01-11", []string{"d", "c"}, 2, 50, 0},
		{"?to_date=2025-01-10", []string{"b", "a"}, 2, 50, 0}, // the whole day, 23:59:59.999999 included
		{"?from_date=2025-01-10&to_date=2025-01-10", []string{"b", "a"}, 2, 50, 0},
		{"?from_date=2025-01-11&to_date=2025-01-11", []string{"c"}, 1, 50, 0},
		{"?to_date=2025-01-09", nil, 0, 50, 0},
		{"?to_date=2025-01-10T10:00:00Z", []string{"a"}, 1, 50, 0}, // inclusive
		{"?from_date=2025-01-10T10:00:00.000001Z", []string{"d", "c", "b"}, 3, 50, 0},
		{"?from_date=2025-01-10T11:00:00%2B01:00", []string{"d", "c", "b", "a"}, 4, 50, 0},
		{"?from_date=2025-01-10T11:00:01+01:00", []string{"d", "c", "b"}, 3, 50, 0}, // "+" unescaped, read as a space
		{"?from_date=2025-01-10T12:00:00Z&to_date=2025-01-11T00:00:00Z", []string{"b"}, 1, 50, 0},
		{"?to_date=2025-01-11", []string{"c", "b", "a"}, 3, 50, 0},
		{"?to_date=2025-01-12", []string{"d", "c", "b", "a"}, 4, 50, 0}, // d is at 00:00:00 on the 12th
		{"?status=completed&direction=inbound&phone_number_id=pn_one&endpoint_id=ep_one&from_date=2025-01-10&to_date=2025-01-10", []string{"a"}, 1, 50, 0},
		{"?limit=2", []string{"d", "c"}, 4, 2, 0},
		{"?limit=2&offset=2", []string{"b", "a"}, 4, 2, 2},
		{"?limit=3&page=2", []string{"a"}, 4, 3, 3},
		{"?offset=10", nil, 4, 50, 10},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			t.Parallel()
			r := do(t, h, e.keyA, "GET", "/v1/calls"+tc.query, "")
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
			want := []string{}
			for _, name := range tc.want {
				want = append(want, e.id(name))
			}
			if got := r.ids("calls"); !slices.Equal(got, want) {
				t.Errorf("calls %v, want %v (%v)", got, want, tc.want)
			}
			if r.body["total"] != float64(tc.total) || r.body["limit"] != float64(tc.limit) || r.body["offset"] != float64(tc.offset) {
				t.Errorf("total/limit/offset = %v/%v/%v, want %d/%d/%d", r.body["total"], r.body["limit"], r.body["offset"], tc.total, tc.limit, tc.offset)
			}
		})
	}
}

func TestListCallsValidation(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t)
	h := e.api(nil)
	cases := []struct{ query, field string }{
		{"status=picked_up", "status"},
		{"status=COMPLETED", "status"},
		{"direction=sideways", "direction"},
		{"from_date=yesterday", "from_date"},
		{"from_date=2025-02-30", "from_date"},
		{"to_date=2025-01-10T10:00:00", "to_date"}, // no zone: not guessed
		{"to_date=10/01/2025", "to_date"},
		{"from_date=2025-01-11&to_date=2025-01-10", "to_date"},
		{"from_date=2025-01-10T12:00:00Z&to_date=2025-01-10T11:59:59Z", "to_date"},
		{"limit=0", "limit"},
		{"limit=101", "limit"},
		{"offset=-1", "offset"},
		{"page=0", "page"},
		{"page=1&offset=1", "page"},
		{"sort=created_at", "sort"},
		{"start_date=2025-01-10", "start_date"},
		{"status=completed&status=failed", "status"},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			t.Parallel()
			r := do(t, h, e.keyA, "GET", "/v1/calls?"+tc.query, "")
			wantErr(t, r, 400, switchboard.ECodeValidation)
			if r.errField() != tc.field {
				t.Errorf("details.field = %q, want %q: %s", r.errField(), tc.field, r.raw)
			}
		})
	}
}

func TestGetCall(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t)
	h := e.api(nil)
	for _, name := range []string{"a", "b", "c", "d"} {
		stored, err := e.db.FindCall(context.Background(), e.orgA, e.id(name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(stored)
		if err != nil {
			t.Fatal(err)
		}
		for _, prefix := range []string{"/v1", "/api/v1"} {
			r := do(t, h, e.keyA, "GET", prefix+"/calls/"+e.id(name), "")
			if r.status != 200 || strings.TrimSpace(string(r.raw)) != string(want) {
				t.Errorf("GET %s %s = %d\n%s\nwant\n%s", prefix, name, r.status, r.raw, want)
			}
		}
	}
	// The JSON shape the spec documents: nullable IDs and times present as
	// null, the end fields absent until the call ends.
	r := do(t, h, e.keyA, "GET", "/v1/calls/"+e.id("b"), "")
	if v, ok := r.body["endpoint_id"]; !ok || v != nil {
		t.Errorf("endpoint_id of a call routed nowhere: %v, %v", v, ok)
	}
	if v, ok := r.body["answered_at"]; !ok || v != nil {
		t.Errorf("answered_at of a call never answered: %v, %v", v, ok)
	}
	if r.body["sip_status"] != float64(480) || r.body["failure_reason"] != "no_endpoint" || r.body["duration"] != float64(0) {
		t.Errorf("failed call: %s", r.raw)
	}
	r = do(t, h, e.keyA, "GET", "/v1/calls/"+e.id("c"), "")
	for _, k := range []string{"hangup_cause", "hangup_by", "failure_reason", "sip_status"} {
		if _, ok := r.body[k]; ok {
			t.Errorf("live call has %s: %s", k, r.raw)
		}
	}
	if v, ok := r.body["completed_at"]; !ok || v != nil {
		t.Errorf("completed_at of a live call: %v, %v", v, ok)
	}

	for _, id := range []string{"call_doesnotexist", "ep_one", "call_", "call_bad-chars", strings.Repeat("x", 300)} {
		wantErr(t, do(t, h, e.keyA, "GET", "/v1/calls/"+id, ""), 404, switchboard.ECodeCallNotFound)
	}
}

func TestListCallEvents(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t)
	h := e.api(nil)
	types := func(r *callResp) []string {
		out := []string{}
		items, _ := r.body["events"].([]any)
		for _, it := range items {
			m := it.(map[string]any)
			if m["call_id"] != e.id("a") {
				t.Errorf("entry of another call: %v", m)
			}
			out = append(out, m["type"].(string))
		}
		return out
	}
	all := []string{"call.initiated", "call.ringing", "call.answered", "call.completed"}
	cases := []struct {
		query         string
		want          []string
		limit, offset int
	}{
		{"", all, 50, 0},
		{"?limit=2&offset=1", all[1:3], 2, 1},
		{"?limit=3&page=2", all[3:], 3, 3},
		{"?offset=4", nil, 50, 4},
		{"?offset=1000000", nil, 50, 1000000},
	}
	for _, tc := range cases {
		r := do(t, h, e.keyA, "GET", "/v1/calls/"+e.id("a")+"/events"+tc.query, "")
		if r.status != 200 {
			t.Fatalf("%q: %d %s", tc.query, r.status, r.raw)
		}
		if got := types(r); !slices.Equal(got, append([]string{}, tc.want...)) {
			t.Errorf("%q: types %v, want %v", tc.query, got, tc.want)
		}
		if r.body["total"] != float64(4) || r.body["limit"] != float64(tc.limit) || r.body["offset"] != float64(tc.offset) {
			t.Errorf("%q: envelope %s", tc.query, r.raw)
		}
	}
	r := do(t, h, e.keyA, "GET", "/v1/calls/"+e.id("a")+"/events", "")
	first := r.body["events"].([]any)[0].(map[string]any)
	if first["status"] != "initiated" || first["timestamp"] != "2025-01-10T10:00:00Z" || !strings.HasPrefix(first["id"].(string), "cev_") {
		t.Errorf("first entry: %v", first)
	}

	// A call without a timeline has an empty one, not null.
	r = do(t, h, e.keyA, "GET", "/v1/calls/"+e.id("d")+"/events", "")
	if r.status != 200 || string(r.raw) != `{"events":[],"limit":50,"offset":0,"total":0}`+"\n" {
		t.Errorf("empty timeline: %d %s", r.status, r.raw)
	}
	wantErr(t, do(t, h, e.keyA, "GET", "/v1/calls/call_nope/events", ""), 404, switchboard.ECodeCallNotFound)
	r = do(t, h, e.keyA, "GET", "/v1/calls/"+e.id("a")+"/events?type=call.answered", "")
	wantErr(t, r, 400, switchboard.ECodeValidation)
	if r.errField() != "type" {
		t.Errorf("details.field = %q", r.errField())
	}
	wantErr(t, do(t, h, e.keyA, "GET", "/v1/calls/"+e.id("a")+"/events?limit=101", ""), 400, switchboard.ECodeValidation)
}

// TestCallIsolation checks that organisation B never sees A's calls (nor
// the call of no organisation), by any route.
func TestCallIsolation(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t)
	ctl := &fakeControl{live: map[string]bool{e.orgA + "/" + e.id("c"): true}}
	h := e.api(ctl)
	for _, name := range []string{"a", "c", "nobody"} {
		id := e.id(name)
		wantErr(t, do(t, h, e.keyB, "GET", "/v1/calls/"+id, ""), 404, switchboard.ECodeCallNotFound)
		wantErr(t, do(t, h, e.keyB, "GET", "/v1/calls/"+id+"/events", ""), 404, switchboard.ECodeCallNotFound)
		wantErr(t, do(t, h, e.keyB, "POST", "/v1/calls/"+id+"/hangup", ""), 404, switchboard.ECodeCallNotFound)
	}
	wantErr(t, do(t, h, e.keyA, "GET", "/v1/calls/"+e.id("nobody"), ""), 404, switchboard.ECodeCallNotFound)
	// A call without a record here may be one the edge holds, not yet
	// answered: the edge is asked, in B's name, and holds none of B's.
	for _, got := range ctl.hungUp() {
		if !strings.HasPrefix(got, e.orgB+"/") {
			t.Errorf("the call plane was asked to hang up %s, not in B's name", got)
		}
	}
	for _, q := range []string{"", "?phone_number_id=pn_one", "?endpoint_id=ep_one", "?to_date=2025-01-10"} {
		r := do(t, h, e.keyB, "GET", "/v1/calls"+q, "")
		if got := r.ids("calls"); r.status != 200 || !slices.Equal(got, []string{e.id("orgB")}) || r.body["total"] != float64(1) {
			t.Errorf("B lists %q: %d %s", q, r.status, r.raw)
		}
	}
	// Naming the other organisation is refused outright.
	wantErr(t, do(t, h, e.keyB, "GET", "/v1/calls?organization_id="+e.orgA, ""), 403, switchboard.ECodeForbidden)
	wantErr(t, do(t, h, e.keyB, "GET", "/v1/calls/"+e.id("a"), "", "x-organization-id", e.orgA), 403, switchboard.ECodeForbidden)
}

func TestCallScopes(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t)
	ctl := &fakeControl{}
	h := e.api(ctl)
	read := e.newKey(e.orgA, switchboard.ScopeCallsRead)
	write := e.newKey(e.orgA, switchboard.ScopeCallsWrite)
	other := e.newKey(e.orgA, switchboard.ScopeEndpointsRead, switchboard.ScopeEndpointsWrite, switchboard.ScopeWebhooksWrite)
	live := "/v1/calls/" + e.id("c")
	reads := []string{"/v1/calls", live, live + "/events"}
	for _, p := range reads {
		if r := do(t, h, read, "GET", p, ""); r.status != 200 {
			t.Errorf("calls:read GET %s = %d %s", p, r.status, r.raw)
		}
		for _, key := range []string{write, other} {
			r := do(t, h, key, "GET", p, "")
			wantErr(t, r, 403, switchboard.ECodeInsufficientScope)
			if d, _ := r.body["details"].(map[string]any); d["required_scope"] != "calls:read" {
				t.Errorf("required_scope: %s", r.raw)
			}
		}
	}
	for _, key := range []string{read, other} {
		r := do(t, h, key, "POST", live+"/hangup", "")
		wantErr(t, r, 403, switchboard.ECodeInsufficientScope)
		if d, _ := r.body["details"].(map[string]any); d["required_scope"] != "calls:write" {
			t.Errorf("required_scope: %s", r.raw)
		}
	}
	if got := ctl.hungUp(); len(got) != 0 {
		t.Fatalf("a key without calls:write hung up %v", got)
	}
	if r := do(t, h, write, "POST", live+"/hangup", ""); r.status != 202 {
		t.Errorf("calls:write hangup = %d %s", r.status, r.raw)
	}
	wantErr(t, do(t, h, "", "GET", "/v1/calls", ""), 401, switchboard.ECodeMissingAPIKey)
}

// fakeControl is the SIP edge's side of a hangup: it records what it was
// asked and answers what the test says, else as the edge does: a call it
// holds (live, "orgID/callID"; any when live is nil) is hung up, any other
// is CALL_NOT_FOUND.
type fakeControl struct {
	mu     sync.Mutex
	asked  []string // "orgID/callID"
	answer func(orgID, callID string) error
	live   map[string]bool
}

func (f *fakeControl) Hangup(_ context.Context, orgID, callID string) error {
	f.mu.Lock()
	f.asked = append(f.asked, orgID+"/"+callID)
	answer := f.answer
	held := f.live == nil || f.live[orgID+"/"+callID]
	f.mu.Unlock()
	if answer != nil {
		return answer(orgID, callID)
	}
	if !held {
		return switchboard.Errorf(switchboard.ECodeCallNotFound, "No live call %s on this node.", callID)
	}
	return nil
}

func (f *fakeControl) hungUp() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.asked)
}

func TestHangupCall(t *testing.T) {
	t.Parallel()
	notLive := func(string, string) error {
		return switchboard.Errorf(switchboard.ECodeCallNotFound, "No live call here.")
	}
	cases := []struct {
		name    string
		noPlane bool // Config.Calls is nil
		answer  func(e *callEnv) func(string, string) error
		call    string // seeded call name, or a literal ID
		body    string
		status  int
		code    string
		asked   bool // whether the call plane must have been asked
		detail  string
	}{
		{name: "live call", call: "c", status: 202, asked: true},
		{name: "empty object body", call: "c", body: "{}", status: 202, asked: true},
		{name: "body with a field", call: "c", body: `{"cause":"busy"}`, status: 400, code: switchboard.ECodeValidation},
		{name: "body not JSON", call: "c", body: `hang up`, status: 400, code: switchboard.ECodeInvalidJSON},
		{name: "ended call", call: "a", status: 409, code: switchboard.ECodeConflict, detail: "completed"},
		{name: "failed call", call: "b", status: 409, code: switchboard.ECodeConflict, detail: "failed"},
		// No record: the edge is asked, as it may hold a call not yet answered.
		{name: "unknown call", call: "call_nope", status: 404, code: switchboard.ECodeCallNotFound, asked: true},
		{name: "unanswered call held here", call: "call_Vd5BrwGOIhCQr41JZz8c", status: 202, asked: true},
		{name: "ID of another kind", call: "ep_one", status: 404, code: switchboard.ECodeCallNotFound},
		{name: "call plane not running", noPlane: true, call: "c", status: 503, code: switchboard.ECodeUnavailable},
		{name: "ended call without the call plane", noPlane: true, call: "a", status: 409, code: switchboard.ECodeConflict, detail: "completed"},
		{name: "unknown call without the call plane", noPlane: true, call: "call_nope", status: 404, code: switchboard.ECodeCallNotFound},
		{name: "not live on this node", call: "c", status: 409, code: switchboard.ECodeConflict, asked: true, detail: "in_progress",
			answer: func(*callEnv) func(string, string) error { return notLive }},
		{name: "ended meanwhile", call: "c", status: 409, code: switchboard.ECodeConflict, asked: true, detail: "completed",
			answer: func(e *callEnv) func(string, string) error {
				// The call ends (and is saved) while the hangup is on its way.
				return func(string, string) error {
					c := *e.calls["c"]
					end := c.UpdatedAt.Add(time.Minute)
					c.Status, c.HangupCause, c.HangupBy, c.CompletedAt, c.UpdatedAt, c.Duration =
						switchboard.CallCompleted, switchboard.HangupUser, switchboard.HangupByCaller, &end, end, 59
					if err := e.db.SaveCalls(context.Background(), []switchboard.CallUpdate{{Call: &c}}); err != nil {
						return err
					}
					return notLive("", "")
				}
			}},
		{name: "call plane fails", call: "c", status: 500, code: switchboard.ECodeInternal, asked: true,
			answer: func(*callEnv) func(string, string) error {
				return func(string, string) error { return errors.New("sip transport closed") }
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newCallEnv(t)
			ctl := &fakeControl{live: map[string]bool{
				e.orgA + "/" + e.calls["c"].ID: true, e.orgA + "/call_Vd5BrwGOIhCQr41JZz8c": true}}
			if tc.answer != nil {
				ctl.answer = tc.answer(e)
			}
			var h http.Handler
			if tc.noPlane {
				h = e.api(nil)
			} else {
				h = e.api(ctl)
			}
			id := tc.call
			if c := e.calls[tc.call]; c != nil {
				id = c.ID
			}
			r := do(t, h, e.keyA, "POST", "/v1/calls/"+id+"/hangup", tc.body)
			if tc.code != "" {
				wantErr(t, r, tc.status, tc.code)
			} else if r.status != tc.status || r.body["id"] != id || r.body["status"] != "hanging_up" || len(r.body) != 2 {
				t.Fatalf("got %d %s, want %d {id, hanging_up}", r.status, r.raw, tc.status)
			}
			if tc.detail != "" {
				if d, _ := r.body["details"].(map[string]any); d["status"] != tc.detail {
					t.Errorf("details.status: %s, want %s", r.raw, tc.detail)
				}
			}
			if tc.code == switchboard.ECodeInternal && strings.Contains(string(r.raw), "sip transport") {
				t.Errorf("an internal error leaked: %s", r.raw)
			}
			var want []string
			if tc.asked {
				want = []string{e.orgA + "/" + id}
			}
			if got := ctl.hungUp(); !slices.Equal(got, want) {
				t.Errorf("call plane asked %v, want %v", got, want)
			}
		})
	}
}

// TestHangupIdempotent checks that a retried hangup with the same
// Idempotency-Key is answered from the first response without asking the
// call plane again, and that a 503 is not stored (a retry once the call
// plane runs acts).
func TestHangupIdempotent(t *testing.T) {
	t.Parallel()
	e := newCallEnv(t)
	ctl := &fakeControl{}
	h := e.api(ctl)
	path := "/v1/calls/" + e.id("c") + "/hangup"
	first := do(t, h, e.keyA, "POST", path, "", "Idempotency-Key", "hangup-1")
	again := do(t, h, e.keyA, "POST", path, "", "Idempotency-Key", "hangup-1")
	if first.status != 202 || again.status != 202 || string(first.raw) != string(again.raw) ||
		again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("first %d %s, again %d %s %v", first.status, first.raw, again.status, again.raw, again.header)
	}
	if got := ctl.hungUp(); len(got) != 1 {
		t.Errorf("call plane asked %d times, want once", len(got))
	}
	wantErr(t, do(t, h, e.keyA, "POST", path, `{"x":1}`, "Idempotency-Key", "hangup-1"), 422, switchboard.ECodeIdempotencyReused)

	down := e.api(nil)
	wantErr(t, do(t, down, e.keyA, "POST", path, "", "Idempotency-Key", "hangup-2"), 503, switchboard.ECodeUnavailable)
	if r := do(t, h, e.keyA, "POST", path, "", "Idempotency-Key", "hangup-2"); r.status != 202 {
		t.Errorf("retry after a 503: %d %s", r.status, r.raw)
	}
}
