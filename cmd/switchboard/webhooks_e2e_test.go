package main

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// strs turns a decoded JSON array of strings into a []string.
func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// field returns details.field of an error response.
func (r *response) field() any {
	d, _ := r.Body["details"].(map[string]any)
	return d["field"]
}

// items returns the objects of a list envelope.
func (r *response) items(key string) []map[string]any {
	var out []map[string]any
	for _, x := range r.list(key) {
		out = append(out, x.(map[string]any))
	}
	return out
}

func mustSecret(t *testing.T, secret string) {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if !strings.HasPrefix(secret, "whsec_") || err != nil || len(raw) != 32 {
		t.Fatalf("secret %q is not whsec_ + base64(32 bytes)", secret)
	}
}

func TestWebhookSubscriptions(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	c := ts.client(ts.BootstrapKey)

	// Defaults: every event, active, empty description, a fresh secret.
	all := c.must(201, c.do("POST", "/v1/webhooks", map[string]any{"url": "https://a.example/hook"}))
	if !strings.HasPrefix(all.str("id"), "wh_") || !slices.Equal(strs(all.Body["events"]), []string{"*"}) ||
		all.Body["active"] != true || all.str("description") != "" || all.str("url") != "https://a.example/hook" ||
		all.Body["previous_secret_expires_at"] != nil || !strings.HasPrefix(all.str("organization_id"), "org_") {
		t.Fatalf("defaults: %s", all.Raw)
	}
	mustSecret(t, all.str("secret"))
	c.must(201, c.do("POST", "/v1/webhooks", map[string]any{"url": "https://a.example/empty", "events": []string{}}))

	// KrosAI's aliases are stored canonically; wildcards are kept; the
	// duplicates that folding makes are dropped.
	aliased := c.must(201, c.do("POST", "/api/v1/webhooks", map[string]any{
		"url":    "https://b.example/hook",
		"events": []string{"call.started", "call.ended", "number.provisioned", "call.answered", "number.*", "endpoint.*"},
		"active": false, "description": "CRM sync",
	}))
	if got, want := strs(aliased.Body["events"]), []string{"call.answered", "call.completed", "phone_number.purchased", "phone_number.*", "endpoint.*"}; !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	if aliased.Body["active"] != false || aliased.str("description") != "CRM sync" || aliased.str("secret") == all.str("secret") {
		t.Fatalf("create: %s", aliased.Raw)
	}
	calls := c.must(201, c.do("POST", "/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/hook", "events": []string{"call.*"}}))
	if !slices.Equal(strs(calls.Body["events"]), []string{"call.*"}) {
		t.Fatalf("wildcard: %s", calls.Raw)
	}

	// Validation errors name the field.
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"url": "https://a.example/x", "events": []string{"call.started", "call.exploded"}}, "events"},
		{map[string]any{"url": "https://a.example/x", "events": []string{"webhook.test"}}, "events"},
		{map[string]any{"url": "https://a.example/x", "events": []string{"sms.*"}}, "events"},
		{map[string]any{"url": "https://a.example/x", "events": "call.*"}, "events"},
		{map[string]any{"events": []string{"*"}}, "url"},
		{map[string]any{"url": "ftp://a.example/x"}, "url"},
		{map[string]any{"url": "https://user:pw@a.example/x"}, "url"},
		{map[string]any{"url": "https://a.example/x", "description": strings.Repeat("x", 501)}, "description"},
		{map[string]any{"url": "https://a.example/x", "secret": "whsec_mine"}, "secret"},
	} {
		r := c.mustErr(400, "VALIDATION_ERROR", c.do("POST", "/v1/webhooks", tc.body))
		if r.field() != tc.field {
			t.Errorf("body %v: field %v, want %s: %s", tc.body, r.field(), tc.field, r.Raw)
		}
	}
	unknown := c.mustErr(400, "VALIDATION_ERROR", c.do("POST", "/v1/webhooks", map[string]any{
		"url": "https://a.example/x", "events": []string{"call.started", "call.exploded"}}))
	if d := unknown.Body["details"].(map[string]any); d["index"] != float64(1) || !strings.Contains(unknown.str("error"), "call.exploded") {
		t.Fatalf("unknown event must be named with its index: %s", unknown.Raw)
	}

	// List: envelope, newest first, paging.
	list := c.must(200, c.do("GET", "/v1/webhooks", nil))
	if list.Body["total"] != float64(4) || len(list.list("webhooks")) != 4 || list.items("webhooks")[0]["id"] != calls.str("id") {
		t.Fatalf("list: %s", list.Raw)
	}
	page := c.must(200, c.do("GET", "/v1/webhooks?limit=1&offset=3", nil))
	if len(page.list("webhooks")) != 1 || page.items("webhooks")[0]["id"] != all.str("id") || page.Body["limit"] != float64(1) {
		t.Fatalf("paging: %s", page.Raw)
	}
	for _, q := range []string{"limit=0", "limit=101", "offset=-1", "active=true"} {
		c.mustErr(400, "VALIDATION_ERROR", c.do("GET", "/v1/webhooks?"+q, nil))
	}

	// Get and patch.
	id := aliased.str("id")
	got := c.must(200, c.do("GET", "/v1/webhooks/"+id, nil))
	if got.str("secret") != aliased.str("secret") || !slices.Equal(strs(got.Body["events"]), strs(aliased.Body["events"])) {
		t.Fatalf("get: %s", got.Raw)
	}
	upd := c.must(200, c.do("PATCH", "/v1/webhooks/"+id, map[string]any{"events": []string{"call.connected", "endpoint.created"}, "active": true}))
	if !slices.Equal(strs(upd.Body["events"]), []string{"call.answered", "endpoint.created"}) || upd.Body["active"] != true ||
		upd.str("url") != "https://b.example/hook" || upd.str("description") != "CRM sync" || upd.str("secret") != aliased.str("secret") {
		t.Fatalf("patch: %s", upd.Raw)
	}
	cleared := c.must(200, c.do("PATCH", "/v1/webhooks/"+id, map[string]any{"events": nil, "description": nil, "url": "https://c.example/new"}))
	if !slices.Equal(strs(cleared.Body["events"]), []string{"*"}) || cleared.str("description") != "" || cleared.str("url") != "https://c.example/new" {
		t.Fatalf("patch with nulls: %s", cleared.Raw)
	}
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"events": []string{"call.exploded"}}, "events"},
		{map[string]any{"active": nil}, "active"},
		{map[string]any{"url": "mailto:a@b.example"}, "url"},
		{map[string]any{"secret": "whsec_mine"}, "secret"},
	} {
		r := c.mustErr(400, "VALIDATION_ERROR", c.do("PATCH", "/v1/webhooks/"+id, tc.body))
		if r.field() != tc.field {
			t.Errorf("patch %v: field %v, want %s: %s", tc.body, r.field(), tc.field, r.Raw)
		}
	}

	// Rotation: a new secret; the old one keeps signing for 24 hours.
	before := time.Now()
	rot := c.must(200, c.do("POST", "/v1/webhooks/"+id+"/rotate-secret", nil))
	mustSecret(t, rot.str("secret"))
	if rot.str("secret") == aliased.str("secret") || strings.Contains(string(rot.Raw), aliased.str("secret")) {
		t.Fatalf("rotate must return a new secret and never the previous one: %s", rot.Raw)
	}
	exp, err := time.Parse(time.RFC3339Nano, rot.str("previous_secret_expires_at"))
	if err != nil || exp.Before(before.Add(24*time.Hour-time.Minute)) || exp.After(time.Now().Add(24*time.Hour+time.Minute)) {
		t.Fatalf("previous_secret_expires_at %q is not ~24 h ahead: %s", rot.str("previous_secret_expires_at"), rot.Raw)
	}
	if g := c.must(200, c.do("GET", "/v1/webhooks/"+id, nil)); g.str("secret") != rot.str("secret") || g.str("previous_secret_expires_at") == "" {
		t.Fatalf("rotation not stored: %s", g.Raw)
	}
	// A PATCH leaves the secrets alone.
	if p := c.must(200, c.do("PATCH", "/v1/webhooks/"+id, map[string]any{"description": "after"})); p.str("secret") != rot.str("secret") ||
		p.str("previous_secret_expires_at") != rot.str("previous_secret_expires_at") {
		t.Fatalf("patch changed the secrets: %s", p.Raw)
	}
	rot2 := c.must(200, c.do("POST", "/v1/webhooks/"+id+"/rotate-secret", map[string]any{}))
	if rot2.str("secret") == rot.str("secret") {
		t.Fatalf("second rotation: %s", rot2.Raw)
	}
	c.mustErr(400, "VALIDATION_ERROR", c.do("POST", "/v1/webhooks/"+id+"/rotate-secret", map[string]any{"secret": "whsec_mine"}))

	// Delete, then it is gone; IDs of the wrong kind are 404s too.
	del := c.must(200, c.do("DELETE", "/v1/webhooks/"+id, nil))
	if del.str("id") != id || del.Body["deleted"] != true {
		t.Fatalf("delete: %s", del.Raw)
	}
	for _, bad := range []string{id, "ep_x", "whd_x", "nonsense", "wh_%27%20OR%201%3D1"} {
		c.mustErr(404, "WEBHOOK_NOT_FOUND", c.do("GET", "/v1/webhooks/"+bad, nil))
		c.mustErr(404, "WEBHOOK_NOT_FOUND", c.do("PATCH", "/v1/webhooks/"+bad, map[string]any{"active": false}))
		c.mustErr(404, "WEBHOOK_NOT_FOUND", c.do("DELETE", "/v1/webhooks/"+bad, nil))
		c.mustErr(404, "WEBHOOK_NOT_FOUND", c.do("POST", "/v1/webhooks/"+bad+"/rotate-secret", nil))
		c.mustErr(404, "WEBHOOK_NOT_FOUND", c.do("POST", "/v1/webhooks/"+bad+"/test", nil))
	}
	if l := c.must(200, c.do("GET", "/v1/webhooks", nil)); l.Body["total"] != float64(3) {
		t.Fatalf("list after delete: %s", l.Raw)
	}
	c.mustErr(405, "METHOD_NOT_ALLOWED", c.do("PUT", "/v1/webhooks/"+all.str("id"), map[string]any{"url": "https://a.example"}))
}

func TestWebhookDeliveries(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.cli("inventory", "add", "+2348012345001")
	c := ts.client(ts.BootstrapKey)

	every := c.must(201, c.do("POST", "/v1/webhooks", map[string]any{"url": "https://all.example/hook", "events": []string{"*"}}))
	calls := c.must(201, c.do("POST", "/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/hook", "events": []string{"call.*"}}))
	numbers := c.must(201, c.do("POST", "/v1/webhooks", map[string]any{"url": "https://n.example/hook", "events": []string{"number.provisioned"}}))
	everyID, callsID, numbersID := every.str("id"), calls.str("id"), numbers.str("id")

	deliveries := func(query string) *response {
		t.Helper()
		return c.must(200, c.do("GET", "/v1/webhook-deliveries?"+query, nil))
	}
	if d := deliveries(""); d.Body["total"] != float64(0) || d.list("webhook_deliveries") == nil {
		t.Fatalf("a fresh organisation has no deliveries: %s", d.Raw)
	}

	// A test event goes to its subscription only, whatever its filter.
	evt := c.must(202, c.do("POST", "/v1/webhooks/"+callsID+"/test", nil))
	if !strings.HasPrefix(evt.str("id"), "evt_") || evt.str("event") != "webhook.test" || evt.str("timestamp") == "" {
		t.Fatalf("test event: %s", evt.Raw)
	}
	if data, _ := evt.Body["data"].(map[string]any); data["webhook_id"] != callsID {
		t.Fatalf("test event data: %s", evt.Raw)
	}
	mine := deliveries("webhook_id=" + callsID)
	if mine.Body["total"] != float64(1) {
		t.Fatalf("deliveries of the tested subscription: %s", mine.Raw)
	}
	d := mine.items("webhook_deliveries")[0]
	if !strings.HasPrefix(d["id"].(string), "whd_") || d["status"] != "pending" || d["event"] != "webhook.test" ||
		d["event_id"] != evt.str("id") || d["webhook_id"] != callsID || d["endpoint_id"] != nil ||
		d["url"] != "http://127.0.0.1:9/hook" || d["payload"] != nil {
		t.Fatalf("test delivery: %v", d)
	}
	if others := deliveries("webhook_id=" + everyID); others.Body["total"] != float64(0) {
		t.Fatalf("a test event must reach only its subscription: %s", others.Raw)
	}
	one := c.must(200, c.do("GET", "/v1/webhook-deliveries/"+d["id"].(string), nil))
	var payload struct {
		ID        string         `json:"id"`
		Event     string         `json:"event"`
		Timestamp time.Time      `json:"timestamp"`
		Data      map[string]any `json:"data"`
	}
	raw, _ := json.Marshal(one.Body["payload"])
	if err := json.Unmarshal(raw, &payload); err != nil || payload.ID != evt.str("id") || payload.Event != "webhook.test" ||
		payload.Timestamp.IsZero() || payload.Data["webhook_id"] != callsID || one.str("status") != "pending" {
		t.Fatalf("delivery payload: %s", one.Raw)
	}
	// A replayed test (same Idempotency-Key) queues nothing more.
	k := header("Idempotency-Key", "test-once")
	first := c.must(202, c.do("POST", "/v1/webhooks/"+everyID+"/test", nil, k))
	again := c.must(202, c.do("POST", "/v1/webhooks/"+everyID+"/test", nil, k))
	if again.str("id") != first.str("id") || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("idempotent test: %s / %s", first.Raw, again.Raw)
	}
	if n := deliveries("webhook_id=" + everyID); n.Body["total"] != float64(1) {
		t.Fatalf("a replayed test must not queue twice: %s", n.Raw)
	}

	// A webhook endpoint's endpoint.created reaches "*" but not "call.*",
	// and its payload never carries the endpoint's signing secret.
	ep := c.must(201, c.do("POST", "/v1/endpoints", map[string]any{"name": "Router", "type": "webhook", "url": "https://router.example/calls"}))
	epSecret := ep.str("secret")
	mustSecret(t, epSecret)
	created := deliveries("event=endpoint.created")
	if created.Body["total"] != float64(1) || created.items("webhook_deliveries")[0]["webhook_id"] != everyID {
		t.Fatalf("endpoint.created deliveries: %s", created.Raw)
	}
	if n := deliveries("event=endpoint.created&webhook_id=" + callsID); n.Body["total"] != float64(0) {
		t.Fatalf("a call.* subscription received endpoint.created: %s", n.Raw)
	}
	c.must(200, c.do("PATCH", "/v1/endpoints/"+ep.str("id"), map[string]any{"name": "Router v2"}))
	for _, typ := range []string{"endpoint.created", "endpoint.updated"} {
		l := deliveries("event=" + typ + "&webhook_id=" + everyID)
		if l.Body["total"] != float64(1) {
			t.Fatalf("%s deliveries: %s", typ, l.Raw)
		}
		full := c.must(200, c.do("GET", "/v1/webhook-deliveries/"+l.items("webhook_deliveries")[0]["id"].(string), nil))
		p := full.Body["payload"].(map[string]any)
		data := p["data"].(map[string]any)
		if p["event"] != typ || data["id"] != ep.str("id") || data["type"] != "webhook" {
			t.Fatalf("%s payload: %s", typ, full.Raw)
		}
		if _, ok := data["secret"]; ok || strings.Contains(string(full.Raw), epSecret) || strings.Contains(string(full.Raw), "whsec_") {
			t.Fatalf("%s payload leaks the endpoint's signing secret: %s", typ, full.Raw)
		}
	}

	// An alias subscription (number.provisioned) gets phone_number.purchased.
	c.must(201, c.do("POST", "/v1/phone-numbers", map[string]any{"number": "+2348012345001"}))
	if n := deliveries("event=phone_number.purchased&webhook_id=" + numbersID); n.Body["total"] != float64(1) {
		t.Fatalf("number.provisioned subscription: %s", n.Raw)
	}
	if n := deliveries("webhook_id=" + numbersID); n.Body["total"] != float64(1) {
		t.Fatalf("number.provisioned subscription received other events: %s", n.Raw)
	}

	// An inactive subscription receives nothing, but can still be tested.
	c.must(200, c.do("PATCH", "/v1/webhooks/"+everyID, map[string]any{"active": false}))
	before := deliveries("webhook_id=" + everyID).Body["total"].(float64)
	c.must(201, c.do("POST", "/v1/endpoints", map[string]any{"name": "Other", "type": "webhook", "url": "https://other.example/calls"}))
	if n := deliveries("webhook_id=" + everyID); n.Body["total"] != before {
		t.Fatalf("an inactive subscription received an event: %s", n.Raw)
	}
	c.must(202, c.do("POST", "/v1/webhooks/"+everyID+"/test", nil))
	if n := deliveries("webhook_id=" + everyID); n.Body["total"] != before+1 {
		t.Fatalf("test of an inactive subscription: %s", n.Raw)
	}

	// Filters and paging.
	total := deliveries("").Body["total"].(float64)
	pending := deliveries("status=pending")
	if pending.Body["total"].(float64) < 1 {
		t.Fatalf("status=pending: %s", pending.Raw)
	}
	for _, x := range pending.items("webhook_deliveries") {
		if x["status"] != "pending" {
			t.Fatalf("status=pending returned %v", x)
		}
	}
	if p := deliveries("limit=2&offset=1"); len(p.list("webhook_deliveries")) != 2 || p.Body["total"] != total || p.Body["offset"] != float64(1) {
		t.Fatalf("paging: %s", p.Raw)
	}
	for _, q := range []string{"status=lost", "status=PENDING", "limit=0", "offset=-1", "colour=red", "status=pending&status=failed"} {
		r := c.mustErr(400, "VALIDATION_ERROR", c.do("GET", "/v1/webhook-deliveries?"+q, nil))
		if q == "status=lost" && r.field() != "status" {
			t.Fatalf("bad status must name the field: %s", r.Raw)
		}
	}

	// A deleted subscription's deliveries stay in the log.
	c.must(200, c.do("DELETE", "/v1/webhooks/"+callsID, nil))
	if n := deliveries("webhook_id=" + callsID); n.Body["total"] != float64(1) {
		t.Fatalf("deliveries of a deleted subscription: %s", n.Raw)
	}
	for _, bad := range []string{"whd_nope", "wh_x", callsID, evt.str("id"), "nonsense"} {
		c.mustErr(404, "DELIVERY_NOT_FOUND", c.do("GET", "/v1/webhook-deliveries/"+bad, nil))
	}
}

func TestWebhookIsolationAndScopes(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.client(ts.BootstrapKey)
	b := ts.newKey("acme")

	hook := a.must(201, a.do("POST", "/v1/webhooks", map[string]any{"url": "https://a.example/hook"}))
	id := hook.str("id")
	a.must(202, a.do("POST", "/v1/webhooks/"+id+"/test", nil))
	dl := a.must(200, a.do("GET", "/v1/webhook-deliveries", nil))
	if dl.Body["total"] != float64(1) {
		t.Fatalf("deliveries: %s", dl.Raw)
	}
	deliveryID := dl.items("webhook_deliveries")[0]["id"].(string)

	// B sees none of A's subscriptions or deliveries, by ID or in lists.
	b.mustErr(404, "WEBHOOK_NOT_FOUND", b.do("GET", "/v1/webhooks/"+id, nil))
	b.mustErr(404, "WEBHOOK_NOT_FOUND", b.do("PATCH", "/v1/webhooks/"+id, map[string]any{"url": "https://evil.example/"}))
	b.mustErr(404, "WEBHOOK_NOT_FOUND", b.do("DELETE", "/v1/webhooks/"+id, nil))
	b.mustErr(404, "WEBHOOK_NOT_FOUND", b.do("POST", "/v1/webhooks/"+id+"/rotate-secret", nil))
	b.mustErr(404, "WEBHOOK_NOT_FOUND", b.do("POST", "/v1/webhooks/"+id+"/test", nil))
	b.mustErr(404, "DELIVERY_NOT_FOUND", b.do("GET", "/v1/webhook-deliveries/"+deliveryID, nil))
	for _, path := range []string{"/v1/webhooks", "/v1/webhook-deliveries", "/v1/webhook-deliveries?webhook_id=" + id} {
		r := b.must(200, b.do("GET", path, nil))
		key := "webhooks"
		if strings.HasPrefix(path, "/v1/webhook-deliveries") {
			key = "webhook_deliveries"
		}
		if r.Body["total"] != float64(0) || len(r.list(key)) != 0 {
			t.Fatalf("%s leaks another organisation's objects: %s", path, r.Raw)
		}
	}
	// B's changes do not reach A's subscription, and A's are untouched.
	b.must(201, b.do("POST", "/v1/endpoints", map[string]any{"name": "B", "type": "webhook", "url": "https://b.example/hook"}))
	if r := a.must(200, a.do("GET", "/v1/webhook-deliveries", nil)); r.Body["total"] != float64(1) {
		t.Fatalf("another organisation's event reached A's subscription: %s", r.Raw)
	}
	if g := a.must(200, a.do("GET", "/v1/webhooks/"+id, nil)); g.str("secret") != hook.str("secret") || g.str("url") != hook.str("url") {
		t.Fatalf("A's subscription changed: %s", g.Raw)
	}

	// Scopes: endpoints:read cannot see webhooks; webhooks:read cannot write.
	epOnly := ts.newKey("default", "endpoints:read")
	for _, path := range []string{"/v1/webhooks", "/v1/webhooks/" + id, "/v1/webhook-deliveries", "/v1/webhook-deliveries/" + deliveryID} {
		r := epOnly.mustErr(403, "INSUFFICIENT_SCOPE", epOnly.do("GET", path, nil))
		if r.Body["details"].(map[string]any)["required_scope"] != "webhooks:read" {
			t.Fatalf("details must name the scope: %s", r.Raw)
		}
	}
	epOnly.mustErr(403, "INSUFFICIENT_SCOPE", epOnly.do("POST", "/v1/webhooks", map[string]any{"url": "https://a.example/x"}))
	ro := ts.newKey("default", "webhooks:read")
	ro.must(200, ro.do("GET", "/v1/webhooks/"+id, nil))
	ro.must(200, ro.do("GET", "/v1/webhook-deliveries/"+deliveryID, nil))
	for _, call := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/v1/webhooks", map[string]any{"url": "https://a.example/x"}},
		{"PATCH", "/v1/webhooks/" + id, map[string]any{"active": false}},
		{"DELETE", "/v1/webhooks/" + id, nil},
		{"POST", "/v1/webhooks/" + id + "/rotate-secret", nil},
		{"POST", "/v1/webhooks/" + id + "/test", nil},
	} {
		r := ro.mustErr(403, "INSUFFICIENT_SCOPE", ro.do(call.method, call.path, call.body))
		if r.Body["details"].(map[string]any)["required_scope"] != "webhooks:write" {
			t.Fatalf("%s %s: details must name the scope: %s", call.method, call.path, r.Raw)
		}
	}
	if g := a.must(200, a.do("GET", "/v1/webhooks/"+id, nil)); g.str("secret") != hook.str("secret") || g.Body["active"] != true {
		t.Fatalf("a refused request changed the subscription: %s", g.Raw)
	}
}

// TestWebhookSSRF runs the server as in production: webhook URLs on
// loopback, private and link-local addresses are refused up front. Only IP
// literals are used: this machine may have no DNS.
func TestWebhookSSRF(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withoutPrivateWebhooks())
	c := ts.client(ts.BootstrapKey)

	refused := func(r *response) *response {
		t.Helper()
		c.mustErr(400, "VALIDATION_ERROR", r)
		if r.field() != "url" {
			t.Fatalf("refusal must name the url field: %s", r.Raw)
		}
		return r
	}
	private := func(r *response) {
		t.Helper()
		if msg := refused(r).str("error"); !strings.Contains(msg, "--webhook-allow-private") {
			t.Fatalf("the refusal must say how to allow private targets: %s", r.Raw)
		}
	}
	for _, u := range []string{
		"http://127.0.0.1:9/hook",
		"http://10.0.0.1/hook",
		"http://192.168.1.1/x",
		"http://172.16.5.4/x",
		"http://[::1]:8080/x",
		"http://[::ffff:127.0.0.1]/x",
		"http://100.64.0.1/x",
	} {
		private(c.do("POST", "/v1/webhooks", map[string]any{"url": u}))
	}
	// Cloud metadata is refused too; the flag would not help, so the
	// message does not suggest it.
	meta := refused(c.do("POST", "/v1/webhooks", map[string]any{"url": "http://169.254.169.254/latest"}))
	if !strings.Contains(meta.str("error"), "169.254.169.254") {
		t.Fatalf("metadata refusal: %s", meta.Raw)
	}
	// Numeric shorthands that C resolvers turn into 127.0.0.1.
	refused(c.do("POST", "/v1/webhooks", map[string]any{"url": "http://2130706433/hook"}))
	refused(c.do("POST", "/v1/webhooks", map[string]any{"url": "http://127.1/hook"}))
	// Names that only mean something inside the server's network are
	// refused by name, before any lookup; metadata names on every server.
	for _, u := range []string{"http://localhost./x", "http://localhost:9/x", "http://printer.local/x", "http://db.internal/x", "http://kubernetes/x"} {
		private(c.do("POST", "/v1/webhooks", map[string]any{"url": u}))
	}
	refused(c.do("POST", "/v1/endpoints", map[string]any{"name": "x", "type": "webhook", "url": "http://metadata.google.internal/computeMetadata/v1/"}))

	// Webhook endpoints are vetted the same way, on create and on PATCH.
	private(c.do("POST", "/v1/endpoints", map[string]any{"name": "x", "type": "webhook", "url": "http://192.168.1.1/x"}))
	ep := c.must(201, c.do("POST", "/v1/endpoints", map[string]any{"name": "x", "type": "webhook", "url": "https://93.184.215.14/calls"}))
	private(c.do("PATCH", "/v1/endpoints/"+ep.str("id"), map[string]any{"url": "http://10.1.2.3/calls"}))

	// A public address is fine, and a subscription cannot be moved to a
	// private one.
	hook := c.must(201, c.do("POST", "/v1/webhooks", map[string]any{"url": "https://1.1.1.1/hook"}))
	private(c.do("PATCH", "/v1/webhooks/"+hook.str("id"), map[string]any{"url": "http://127.0.0.1:9/hook"}))
	if g := c.must(200, c.do("GET", "/v1/webhooks/"+hook.str("id"), nil)); g.str("url") != "https://1.1.1.1/hook" {
		t.Fatalf("a refused PATCH changed the url: %s", g.Raw)
	}
	if l := c.must(200, c.do("GET", "/v1/webhooks", nil)); l.Body["total"] != float64(1) {
		t.Fatalf("a refused URL was stored: %s", l.Raw)
	}

	// The default test server runs with --webhook-allow-private: loopback
	// is accepted there, cloud metadata still is not.
	dev := startServer(t)
	dc := dev.client(dev.BootstrapKey)
	dc.must(201, dc.do("POST", "/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/hook"}))
	dc.must(201, dc.do("POST", "/v1/endpoints", map[string]any{"name": "x", "type": "webhook", "url": "http://192.168.1.1/x"}))
	dc.mustErr(400, "VALIDATION_ERROR", dc.do("POST", "/v1/webhooks", map[string]any{"url": "http://metadata.google.internal./x"}))
	r := dc.mustErr(400, "VALIDATION_ERROR", dc.do("POST", "/v1/webhooks", map[string]any{"url": "http://169.254.169.254/latest"}))
	if r.field() != "url" {
		t.Fatalf("metadata refusal with the flag: %s", r.Raw)
	}
}

// TestWebhookPatchTrimsURL: create trims spaces around a webhook URL
// (NewWebhook, NewEndpoint), and so does Apply on PATCH; the PATCH handlers
// must vet the trimmed value too, so a URL that POST accepts is not a 400
// on PATCH.
func TestWebhookPatchTrimsURL(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	c := ts.client(ts.BootstrapKey)
	hook := c.must(201, c.do("POST", "/v1/webhooks", map[string]any{"url": "  https://1.1.1.1/hook  "}))
	if hook.str("url") != "https://1.1.1.1/hook" {
		t.Fatalf("create must trim the url: %s", hook.Raw)
	}
	if r := c.must(200, c.do("PATCH", "/v1/webhooks/"+hook.str("id"), map[string]any{"url": " https://1.1.1.2/hook "})); r.str("url") != "https://1.1.1.2/hook" {
		t.Fatalf("patch must trim the url: %s", r.Raw)
	}
	ep := c.must(201, c.do("POST", "/v1/endpoints", map[string]any{"name": "x", "type": "webhook", "url": " https://1.1.1.1/x "}))
	if r := c.must(200, c.do("PATCH", "/v1/endpoints/"+ep.str("id"), map[string]any{"url": " https://1.1.1.3/x "})); r.str("url") != "https://1.1.1.3/x" {
		t.Fatalf("patch must trim the url: %s", r.Raw)
	}
}
