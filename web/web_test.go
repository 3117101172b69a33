package web_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/httpapi"
	"github.com/switchboard-voice/switchboard/sqlite"
	"github.com/switchboard-voice/switchboard/storetest"
	"github.com/switchboard-voice/switchboard/web"
)

// env is a dashboard over a fresh SQLite store with a fake clock.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	store  *sqlite.DB
	path   string
	clock  *storetest.Clock
	orgID  string
	secret string // a key with every scope
}

func newEnv(t *testing.T, cfg web.Config) *env {
	t.Helper()
	e := &env{t: t, clock: storetest.NewClock(), path: filepath.Join(t.TempDir(), "switchboard.db")}
	db, err := sqlite.Open(e.path, e.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.store = db
	org, _, err := db.EnsureOrganization(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	e.orgID = org.ID
	e.secret = e.key("admin", switchboard.AllScopes...)
	cfg.Store, cfg.Clock, cfg.StatusOf = db, e.clock.Now, httpapi.StatusOf
	h, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(web.Prefix, h)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// key creates an API key of the organisation with the scopes.
func (e *env) key(name string, scopes ...switchboard.Scope) string {
	e.t.Helper()
	secret, k := switchboard.GenerateAPIKey(true)
	k.OrganizationID, k.Name, k.Scopes = e.orgID, name, scopes
	if err := e.store.CreateAPIKey(e.t.Context(), &k); err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// client is a browser: a cookie jar, and redirects not followed so that
// tests see them.
func (e *env) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// do sends a request and returns the response and its body.
func (e *env) do(c *http.Client, method, path string, form url.Values, hdr ...string) (*http.Response, string) {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// signIn signs c in with secret and returns the session cookie.
func (e *env) signIn(c *http.Client, secret string) *http.Cookie {
	e.t.Helper()
	resp, body := e.do(c, "POST", "/ui/signin", url.Values{"api_key": {secret}, "next": {"/ui/"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/" {
		e.t.Fatalf("sign in: %d %s, want 303 to /ui/\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "switchboard_session" {
			return ck
		}
	}
	e.t.Fatalf("sign in set no session cookie: %v", resp.Header["Set-Cookie"])
	return nil
}

func wantStatus(t *testing.T, what string, resp *http.Response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Errorf("%s: status %d, want %d", what, resp.StatusCode, want)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	c := e.client()
	e.signIn(c, e.secret)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/ui/signin"}, {"GET", "/ui/"}, {"GET", "/ui/endpoints"}, {"GET", "/ui/calls/live/rows"},
		{"GET", "/ui/static/style.css"}, {"GET", "/ui/static/htmx.min.js"}, {"GET", "/ui/no-such-page"},
		{"POST", "/ui/endpoints"}, {"GET", "/ui/static/none.js"}, {"GET", "/ui/static/"},
	} {
		resp, _ := e.do(c, tc.method, tc.path, url.Values{})
		if tc.path == "/ui/static/" {
			wantStatus(t, "the static directory", resp, http.StatusNotFound) // no listing
		}
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "script-src 'self'", "style-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s %s: CSP %q lacks %q", tc.method, tc.path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("%s %s: CSP %q allows something unsafe", tc.method, tc.path, csp)
		}
		if got := h.Get("Referrer-Policy"); got != "same-origin" {
			t.Errorf("%s %s: Referrer-Policy %q", tc.method, tc.path, got)
		}
		if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s: X-Content-Type-Options %q", tc.method, tc.path, got)
		}
	}
}

// inline finds what the CSP would block in a page: inline script, inline
// style, event-handler attributes.
var inline = regexp.MustCompile(`(?i)<script(\s[^>]*)?>\s*[^<\s]|<script>|<style|\sstyle=|\son[a-z]+=|javascript:`)

func TestPagesHaveNoInlineScriptOrStyle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	c := e.client()
	e.signIn(c, e.secret)
	for _, path := range []string{"/ui/signin", "/ui/", "/ui/endpoints", "/ui/endpoints/new?provider=vapi",
		"/ui/endpoints/new?provider=webhook", "/ui/numbers", "/ui/numbers/available", "/ui/calls", "/ui/calls/live",
		"/ui/webhooks", "/ui/webhooks/new", "/ui/deliveries", "/ui/trunks", "/ui/trunks/new"} {
		browser := c
		if path == "/ui/signin" {
			browser = e.client() // a signed-in browser is sent on to the overview
		}
		resp, body := e.do(browser, "GET", path, nil)
		body = html.UnescapeString(body)
		wantStatus(t, path, resp, http.StatusOK)
		if m := inline.FindString(body); m != "" {
			t.Errorf("%s has %q, which the CSP blocks", path, m)
		}
		if !strings.Contains(body, `<script src="/ui/static/htmx.min.js"`) || !strings.Contains(body, `"includeIndicatorStyles":false`) {
			t.Errorf("%s does not load htmx from /ui/static with its inline indicator style off", path)
		}
	}
}

func TestSessionCookieAndStorage(t *testing.T) {
	t.Parallel()
	for _, https := range []bool{false, true} {
		e := newEnv(t, web.Config{IsHTTPS: func(*http.Request) bool { return https }})
		c := e.client()
		ck := e.signIn(c, e.secret)
		if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/ui/" || ck.Secure != https {
			t.Errorf("https=%v: cookie %+v, want HttpOnly, SameSite=Strict, Path=/ui/, Secure=%v", https, ck, https)
		}
		if ck.MaxAge != int(switchboard.SessionTTL/time.Second) {
			t.Errorf("cookie Max-Age %d, want 12 h", ck.MaxAge)
		}
		// The store keeps the token's SHA-256, never the token.
		raw, err := sql.Open("sqlite", e.path)
		if err != nil {
			t.Fatal(err)
		}
		var hashes []string
		rows, err := raw.QueryContext(t.Context(), `SELECT token_hash FROM ui_sessions`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var h string
			rows.Scan(&h)
			hashes = append(hashes, h)
		}
		rows.Close()
		raw.Close()
		sum := sha256.Sum256([]byte(ck.Value))
		if len(hashes) != 1 || hashes[0] != hex.EncodeToString(sum[:]) || strings.Contains(hashes[0], ck.Value) {
			t.Errorf("stored sessions %v, want only the SHA-256 of the token", hashes)
		}
	}
}

func TestSignOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	c := e.client()
	ck := e.signIn(c, e.secret)
	resp, _ := e.do(c, "POST", "/ui/signout", url.Values{})
	wantStatus(t, "sign out", resp, http.StatusSeeOther)
	var cleared bool
	for _, k := range resp.Cookies() {
		cleared = cleared || k.Name == ck.Name && k.MaxAge < 0
	}
	if !cleared {
		t.Errorf("sign out did not clear the cookie: %v", resp.Header["Set-Cookie"])
	}
	// The old token is dead on the server, not only forgotten by the browser.
	replay := e.client()
	u, _ := url.Parse(e.srv.URL + "/ui/")
	replay.Jar.SetCookies(u, []*http.Cookie{{Name: ck.Name, Value: ck.Value, Path: "/ui/"}})
	resp, _ = e.do(replay, "GET", "/ui/endpoints", nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/ui/signin") {
		t.Errorf("signed-out token: %d %s, want a redirect to sign in", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestSessionEnds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	signedOut := func(c *http.Client, what string) {
		t.Helper()
		resp, _ := e.do(c, "GET", "/ui/endpoints", nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/signin?next=%2Fui%2Fendpoints" {
			t.Errorf("%s: %d %q, want a redirect to sign in", what, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	// Expiry: 12 h after sign-in, used or not.
	c := e.client()
	e.signIn(c, e.secret)
	e.clock.Advance(switchboard.SessionTTL - time.Second)
	resp, _ := e.do(c, "GET", "/ui/endpoints", nil)
	wantStatus(t, "just before expiry", resp, http.StatusOK)
	e.clock.Advance(time.Second)
	signedOut(c, "at expiry")

	// Revoking the key ends each of its sessions at their next request.
	other := e.key("support", switchboard.ScopeEndpointsRead)
	c1, c2 := e.client(), e.client()
	e.signIn(c1, other)
	e.signIn(c2, other)
	k, err := e.store.FindAPIKeyByHash(t.Context(), switchboard.HashAPIKey(other))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.RevokeAPIKey(t.Context(), e.orgID, k.ID); err != nil {
		t.Fatal(err)
	}
	signedOut(c1, "revoked key, first session")
	signedOut(c2, "revoked key, second session")
	resp, body := e.do(e.client(), "POST", "/ui/signin", url.Values{"api_key": {other}})
	wantStatus(t, "sign in with a revoked key", resp, http.StatusUnauthorized)
	if !strings.Contains(body, "not valid") {
		t.Errorf("sign in with a revoked key says %q", body)
	}
}

func TestWithoutSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	c := e.client()
	for _, tc := range []struct {
		method, path string
		hdr          []string
		status       int
		location     string
	}{
		{"GET", "/ui/", nil, http.StatusSeeOther, "/ui/signin"},
		{"GET", "/ui/calls?status=failed", nil, http.StatusSeeOther, "/ui/signin?next=%2Fui%2Fcalls%3Fstatus%3Dfailed"},
		{"POST", "/ui/endpoints", nil, http.StatusUnauthorized, ""},
		{"POST", "/ui/calls/call_x/hangup", nil, http.StatusUnauthorized, ""},
		{"GET", "/ui/calls/live/rows", []string{"HX-Request", "true"}, http.StatusUnauthorized, ""},
	} {
		resp, body := e.do(c, tc.method, tc.path, url.Values{}, tc.hdr...)
		wantStatus(t, tc.method+" "+tc.path, resp, tc.status)
		if got := resp.Header.Get("Location"); got != tc.location {
			t.Errorf("%s %s: Location %q, want %q", tc.method, tc.path, got, tc.location)
		}
		if tc.status == http.StatusUnauthorized && len(tc.hdr) == 0 && !strings.Contains(body, "not signed in") {
			t.Errorf("%s %s: body does not say why:\n%s", tc.method, tc.path, body)
		}
		if len(tc.hdr) > 0 && resp.Header.Get("HX-Redirect") != "/ui/signin" {
			t.Errorf("htmx poll without a session: HX-Redirect %q", resp.Header.Get("HX-Redirect"))
		}
	}
	// A forged cookie is no session either.
	u, _ := url.Parse(e.srv.URL + "/ui/")
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "switchboard_session", Value: strings.Repeat("a", 40), Path: "/ui/"}})
	resp, _ := e.do(c, "GET", "/ui/endpoints", nil)
	wantStatus(t, "forged cookie", resp, http.StatusSeeOther)
}

func TestSignInRedirectStaysHere(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	for next, want := range map[string]string{
		"/ui/calls?status=failed": "/ui/calls?status=failed",
		"//evil.example/ui/":      "/ui/",
		"https://evil.example/":   "/ui/",
		"/v1/endpoints":           "/ui/",
		"/ui/\\evil":              "/ui/",
	} {
		resp, _ := e.do(e.client(), "POST", "/ui/signin", url.Values{"api_key": {e.secret}, "next": {next}})
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != want {
			t.Errorf("next=%q: %d to %q, want 303 to %q", next, resp.StatusCode, got, want)
		}
	}
}

func TestSignInRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{SignInFailures: 3, SignInRefill: 10 * time.Second})
	bad, _ := switchboard.GenerateAPIKey(true) // well-formed, unknown
	for i, k := range []string{"nonsense", bad, e.secret[:len(e.secret)-1] + "x"} {
		resp, _ := e.do(e.client(), "POST", "/ui/signin", url.Values{"api_key": {k}})
		wantStatus(t, "failure "+string(rune('1'+i)), resp, http.StatusUnauthorized)
	}
	// Past the limit even the right key waits: nothing is checked.
	resp, body := e.do(e.client(), "POST", "/ui/signin", url.Values{"api_key": {e.secret}})
	wantStatus(t, "past the limit", resp, http.StatusTooManyRequests)
	if resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "Too many failed sign-ins") {
		t.Errorf("past the limit: Retry-After %q, body says %q", resp.Header.Get("Retry-After"), body)
	}
	e.clock.Advance(10 * time.Second)
	e.signIn(e.client(), e.secret)
}

func TestCrossOriginWritesRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	c := e.client()
	e.signIn(c, e.secret)
	form := url.Values{"provider": {"sip"}, "name": {"evil"}, "url": {"sip:evil@example.com"}, "status": {"active"}, "ring_timeout": {"30"}}
	for _, hdr := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example"},
		{"Sec-Fetch-Site", "same-site", "Origin", "https://sub.example"},
	} {
		resp, _ := e.do(c, "POST", "/ui/endpoints", form, hdr...)
		wantStatus(t, "cross-origin POST "+strings.Join(hdr, " "), resp, http.StatusForbidden)
	}
	if _, n, _ := e.store.ListEndpoints(t.Context(), e.orgID, switchboard.EndpointFilter{}); n != 0 {
		t.Errorf("cross-origin POSTs created %d endpoints", n)
	}
	resp, _ := e.do(c, "POST", "/ui/endpoints", form, "Sec-Fetch-Site", "same-origin", "Origin", e.srv.URL)
	wantStatus(t, "same-origin POST", resp, http.StatusSeeOther)
}

func TestScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	ro := e.key("read-only", switchboard.ScopeEndpointsRead, switchboard.ScopeCallsRead)
	c := e.client()
	e.signIn(c, ro)

	resp, body := e.do(c, "GET", "/ui/endpoints", nil)
	wantStatus(t, "endpoints", resp, http.StatusOK)
	if strings.Contains(body, "/ui/endpoints/new") {
		t.Errorf("a read-only key is offered to create endpoints")
	}
	for _, hidden := range []string{`href="/ui/numbers"`, `href="/ui/webhooks"`, `href="/ui/trunks"`} {
		if strings.Contains(body, hidden) {
			t.Errorf("the menu of a key without the scope links %s", hidden)
		}
	}
	if !strings.Contains(body, `href="/ui/calls"`) {
		t.Errorf("the menu does not link the call log the key may read")
	}
	for _, tc := range []struct{ method, path string }{
		{"POST", "/ui/endpoints"}, {"GET", "/ui/endpoints/new"}, {"GET", "/ui/numbers"},
		{"POST", "/ui/numbers"}, {"GET", "/ui/webhooks"}, {"POST", "/ui/calls/call_x/hangup"},
		{"GET", "/ui/calls/call_x/hangup"}, {"GET", "/ui/trunks"}, {"POST", "/ui/trunks"},
		{"GET", "/ui/keys"}, {"POST", "/ui/keys"}, {"POST", "/ui/keys/key_x/revoke"},
	} {
		resp, body := e.do(c, tc.method, tc.path, url.Values{"provider": {"sip"}, "name": {"x"}, "ring_timeout": {"30"}})
		wantStatus(t, tc.method+" "+tc.path, resp, http.StatusForbidden)
		if !strings.Contains(body, "lacks the") {
			t.Errorf("%s %s: the refusal does not name the scope", tc.method, tc.path)
		}
	}
	if _, n, _ := e.store.ListEndpoints(t.Context(), e.orgID, switchboard.EndpointFilter{}); n != 0 {
		t.Errorf("a read-only key created %d endpoints", n)
	}
}

func TestHtmxVendored(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("static/htmx.min.js")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	const want = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717" // static/README.md
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Errorf("static/htmx.min.js has sha256 %s, want %s (update static/README.md when upgrading)", got, want)
	}
	readme, err := os.ReadFile("static/README.md")
	if err != nil || !strings.Contains(string(readme), want) || !strings.Contains(string(readme), "2.0.11") {
		t.Errorf("static/README.md does not record htmx's version and hash")
	}
}

// TestEveryPageRenders walks the pages with data in the store, so each
// template meets real values (a template error is a 500).
func TestEveryPageRenders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	ctx := context.Background()
	c := e.client()
	e.signIn(c, e.secret)
	ep, err := switchboard.NewEndpoint(switchboard.EndpointInput{Name: "Support", Type: "agent", URL: "sip:agent@127.0.0.1:5099",
		ProviderConfig: map[string]any{"provider": "sip"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateEndpoint(ctx, e.orgID, ep); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AddInventory(ctx, []*switchboard.InventoryNumber{{Number: "+2348012345678", Country: "NG", Type: "mobile"}}); err != nil {
		t.Fatal(err)
	}
	inv, _, err := e.store.ListAvailable(ctx, switchboard.AvailableFilter{})
	if err != nil || len(inv) != 1 {
		t.Fatalf("inventory: %v %v", inv, err)
	}
	resp, _ := e.do(c, "POST", "/ui/numbers", url.Values{"inventory_id": {inv[0].ID}})
	wantStatus(t, "claim", resp, http.StatusSeeOther)
	pnPath := resp.Header.Get("Location")
	resp, _ = e.do(c, "POST", strings.Split(pnPath, "?")[0], url.Values{"endpoint_id": {ep.ID}, "allow_inbound": {"1"}})
	wantStatus(t, "attach", resp, http.StatusSeeOther)
	resp, body := e.do(c, "GET", pnPath, nil)
	wantStatus(t, "number", resp, http.StatusOK)
	if !strings.Contains(body, "Explain route") || !strings.Contains(body, "ring <a href=\"/ui/endpoints/"+ep.ID+"\">Support</a>") {
		t.Errorf("the number page does not explain the route to Support:\n%s", body)
	}
	resp, body = e.do(c, "POST", "/ui/webhooks", url.Values{"url": {"https://hooks.example.com/x"}, "events": {"call.completed"}, "active": {"1"}})
	wantStatus(t, "create webhook", resp, http.StatusOK)
	if !strings.Contains(body, "shown only this once") {
		t.Errorf("the new webhook's secret is not shown:\n%s", body)
	}
	hooks, _, _ := e.store.ListWebhooks(ctx, e.orgID, switchboard.Page{})
	resp, _ = e.do(c, "POST", "/ui/webhooks/"+hooks[0].ID+"/test", url.Values{})
	wantStatus(t, "test webhook", resp, http.StatusSeeOther)
	ds, _, _ := e.store.ListDeliveries(ctx, e.orgID, switchboard.DeliveryFilter{})
	resp, _ = e.do(c, "POST", "/ui/trunks", url.Values{"name": {"Carrier"}, "address": {"sip.carrier.example.com"}, "transport": {"udp"},
		"number_format": {"e164"}, "status": {"active"}, "max_concurrent_calls": {"10"}})
	wantStatus(t, "create trunk", resp, http.StatusSeeOther)
	call := &switchboard.Call{ID: switchboard.NewID(switchboard.PrefixCall), OrganizationID: e.orgID, Direction: "inbound",
		FromNumber: "+15551230000", ToNumber: "+2348012345678", EndpointID: &ep.ID, Status: switchboard.CallRinging,
		SIPCallID: "abc@carrier", Node: "n1", CreatedAt: e.clock.Now(), UpdatedAt: e.clock.Now(),
		Metadata: []byte(`{"crm_ticket":"T-42"}`)}
	if err := e.store.SaveCalls(ctx, []switchboard.CallUpdate{{Call: call, Events: []*switchboard.CallEvent{
		{Type: switchboard.EventCallInitiated, Timestamp: call.CreatedAt, Status: call.Status},
		{Type: "call.failover", Timestamp: call.CreatedAt, Status: call.Status, Detail: "to fallback endpoint " + ep.ID}}}}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/ui/", "/ui/endpoints", "/ui/endpoints/" + ep.ID, "/ui/numbers", "/ui/calls", "/ui/calls?status=ringing&from=2025-06-01&to=2025-06-01",
		"/ui/calls/live", "/ui/calls/live/rows", "/ui/calls/" + call.ID, "/ui/calls/" + call.ID + "/hangup", "/ui/webhooks", "/ui/webhooks/" + hooks[0].ID,
		"/ui/deliveries", "/ui/deliveries/" + ds[0].ID, "/ui/deliveries?call_id=" + call.ID, "/ui/trunks", "/ui/endpoints/" + ep.ID + "/delete",
		"/ui/keys", "/ui/keys?state=active&mode=live"} {
		resp, body := e.do(c, "GET", path, nil)
		wantStatus(t, path, resp, http.StatusOK)
		if m := inline.FindString(body); m != "" {
			t.Errorf("%s has %q, which the CSP blocks", path, m)
		}
	}
	_, body = e.do(c, "GET", "/ui/calls/"+call.ID, nil)
	body = html.UnescapeString(body)
	for _, want := range []string{"<dt>Failover</dt><dd>yes", `{"crm_ticket":"T-42"}`, "call.failover", "Support"} {
		if !strings.Contains(body, want) {
			t.Errorf("the call page lacks %q", want)
		}
	}
	_, body = e.do(c, "GET", "/ui/calls/live/rows", nil)
	body = html.UnescapeString(body)
	if !strings.Contains(body, "+15551230000") || strings.Contains(body, "<html") {
		t.Errorf("the live rows fragment is not the live table alone:\n%s", body)
	}
	_, body = e.do(c, "GET", "/ui/calls?status=completed", nil)
	if strings.Contains(html.UnescapeString(body), "+15551230000") {
		t.Errorf("the call log filtered on completed lists a ringing call")
	}
	// Hangup without a call plane here is refused with the reason.
	resp, body = e.do(c, "POST", "/ui/calls/"+call.ID+"/hangup", url.Values{})
	wantStatus(t, "hangup without a call plane", resp, http.StatusServiceUnavailable)
	if !strings.Contains(body, "call plane is not running") {
		t.Errorf("hangup without a call plane says:\n%s", body)
	}
}

// TestKeys: a key made on the page is shown once and works; a key cannot
// grant a scope it lacks; revoking a key from the page ends its sessions.
func TestKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	manager := e.key("manager", switchboard.ScopeKeysRead, switchboard.ScopeKeysWrite, switchboard.ScopeEndpointsRead)
	c := e.client()
	e.signIn(c, manager)
	resp, body := e.do(c, "GET", "/ui/keys", nil)
	wantStatus(t, "keys", resp, http.StatusOK)
	if strings.Contains(body, `value="endpoints:write"`) {
		t.Errorf("the form offers a scope the key lacks")
	}
	resp, body = e.do(c, "POST", "/ui/keys", url.Values{"name": {"too strong"}, "scopes": {"endpoints:write"}, "mode": {"live"}})
	wantStatus(t, "a key with a scope its maker lacks", resp, http.StatusUnprocessableEntity)
	if !strings.Contains(html.UnescapeString(body), "cannot grant scopes it does not hold") {
		t.Errorf("the refusal does not say why:\n%s", body)
	}
	resp, body = e.do(c, "POST", "/ui/keys", url.Values{"name": {"reader"}, "scopes": {"endpoints:read"}, "mode": {"test"}, "expires_at": {"2030-01-02T03:04"}})
	wantStatus(t, "create key", resp, http.StatusOK)
	secret := regexp.MustCompile(`kros_test_[0-9A-Za-z]+`).FindString(body)
	if secret == "" || !strings.Contains(body, "shown only this once") {
		t.Fatalf("the new key is not shown once:\n%s", body)
	}
	k, err := e.store.FindAPIKeyByHash(t.Context(), switchboard.HashAPIKey(secret))
	if err != nil || k.Name != "reader" || k.Live || k.ExpiresAt == nil || k.ExpiresAt.Format(time.RFC3339) != "2030-01-02T03:04:00Z" {
		t.Fatalf("the stored key: %+v, %v", k, err)
	}
	_, body = e.do(c, "GET", "/ui/keys", nil)
	if strings.Contains(body, secret) || !strings.Contains(body, k.KeyPrefix) {
		t.Errorf("the list shows the secret, or not the prefix")
	}
	reader := e.client()
	e.signIn(reader, secret)
	resp, _ = e.do(c, "POST", "/ui/keys/"+k.ID+"/revoke", url.Values{})
	wantStatus(t, "revoke", resp, http.StatusSeeOther)
	resp, _ = e.do(reader, "GET", "/ui/endpoints", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a session of the revoked key still opens pages: %d", resp.StatusCode)
	}
	_, body = e.do(c, "GET", "/ui/keys?state=revoked", nil)
	if !strings.Contains(body, "key-"+k.ID) {
		t.Errorf("the revoked filter does not list the revoked key")
	}
}

// TestNumberSIPPassword: a claim and a rotation each show the number's SIP
// password once; the number page never does.
func TestNumberSIPPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{SIPDomain: "sip.example.com"})
	c := e.client()
	e.signIn(c, e.secret)
	if _, err := e.store.AddInventory(t.Context(), []*switchboard.InventoryNumber{{Number: "+2348012345600", Country: "NG", Type: "mobile"}}); err != nil {
		t.Fatal(err)
	}
	inv, _, _ := e.store.ListAvailable(t.Context(), switchboard.AvailableFilter{})
	password := regexp.MustCompile(`<output id="secret" class="secret"><code>([^<]+)</code>`)
	resp, body := e.do(c, "POST", "/ui/numbers", url.Values{"inventory_id": {inv[0].ID}})
	wantStatus(t, "claim", resp, http.StatusOK)
	first := password.FindStringSubmatch(body)
	if first == nil || !strings.Contains(body, "domain sip.example.com") {
		t.Fatalf("the claim does not show the SIP password:\n%s", body)
	}
	pns, _, _ := e.store.ListPhoneNumbers(t.Context(), e.orgID, switchboard.PhoneNumberFilter{})
	_, body = e.do(c, "GET", "/ui/numbers/"+pns[0].ID, nil)
	if strings.Contains(body, first[1]) || !strings.Contains(body, "Rotate the SIP password") {
		t.Errorf("the number page shows the password, or offers no rotation")
	}
	resp, body = e.do(c, "POST", "/ui/numbers/"+pns[0].ID+"/sip-credentials", url.Values{})
	wantStatus(t, "rotate", resp, http.StatusOK)
	second := password.FindStringSubmatch(body)
	if second == nil || second[1] == first[1] {
		t.Errorf("the rotation shows no new password: %v after %v", second, first)
	}
}

// TestLivePolling: the live page polls its own page of the table, and the
// table's page links lead to the page, not to the fragment.
func TestLivePolling(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	c := e.client()
	e.signIn(c, e.secret)
	var updates []switchboard.CallUpdate
	for i := range 30 {
		now := e.clock.Now().Add(time.Duration(i) * time.Second)
		updates = append(updates, switchboard.CallUpdate{Call: &switchboard.Call{ID: switchboard.NewID(switchboard.PrefixCall),
			OrganizationID: e.orgID, Direction: "inbound", FromNumber: "+15551230000", ToNumber: "+2348012345678",
			Status: switchboard.CallInProgress, SIPCallID: switchboard.RandomBase62(10), Node: "n1", CreatedAt: now, UpdatedAt: now}})
	}
	if err := e.store.SaveCalls(t.Context(), updates); err != nil {
		t.Fatal(err)
	}
	_, body := e.do(c, "GET", "/ui/calls/live?page=2", nil)
	if !strings.Contains(body, `hx-get="/ui/calls/live/rows?page=2"`) || !strings.Contains(body, `hx-trigger="every 2s"`) {
		t.Errorf("the live page does not poll its page every 2 s")
	}
	_, body = e.do(c, "GET", "/ui/calls/live/rows?page=1", nil)
	if !strings.Contains(body, `href="/ui/calls/live?page=2"`) || strings.Contains(body, "/rows?page") {
		t.Errorf("the fragment's page links do not lead to the live page:\n%s", body)
	}
}

// TestNumberFormKeepsWhatTheKeyCannotSee: a key that may change numbers but
// not read endpoints or trunks saves the directions without detaching the
// endpoint and trunk it was not shown.
func TestNumberFormKeepsWhatTheKeyCannotSee(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	ctx := t.Context()
	ep, _ := switchboard.NewEndpoint(switchboard.EndpointInput{Name: "Agent", Type: "agent", URL: "sip:a@127.0.0.1",
		ProviderConfig: map[string]any{"provider": "sip"}})
	if err := e.store.CreateEndpoint(ctx, e.orgID, ep); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AddInventory(ctx, []*switchboard.InventoryNumber{{Number: "+2348012345601", Country: "NG", Type: "mobile"}}); err != nil {
		t.Fatal(err)
	}
	pn, err := e.store.ClaimNumber(ctx, e.orgID, switchboard.ClaimRequest{Number: "+2348012345601", EndpointID: &ep.ID, AllowInbound: true, AllowOutbound: true})
	if err != nil {
		t.Fatal(err)
	}
	c := e.client()
	e.signIn(c, e.key("numbers only", switchboard.ScopeNumbersRead, switchboard.ScopeNumbersWrite))
	_, body := e.do(c, "GET", "/ui/numbers/"+pn.ID, nil)
	if strings.Contains(body, `name="endpoint_id"`) || strings.Contains(body, `name="trunk_id"`) {
		t.Errorf("the form offers endpoints or trunks to a key that may not read them")
	}
	resp, _ := e.do(c, "POST", "/ui/numbers/"+pn.ID, url.Values{"allow_inbound": {"1"}})
	wantStatus(t, "save directions", resp, http.StatusSeeOther)
	got, err := e.store.FindPhoneNumber(ctx, e.orgID, pn.ID)
	if err != nil || got.EndpointID == nil || *got.EndpointID != ep.ID || got.AllowOutbound {
		t.Errorf("after saving: %+v, %v; want the endpoint kept and outbound off", got, err)
	}
}
