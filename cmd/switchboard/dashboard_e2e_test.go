package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchboard-voice/switchboard/internal/sipptest"
)

// signIn signs the tab in with key on the dashboard of ts.
func (b *tab) signIn(base, key string) {
	b.t.Helper()
	b.open(base, "/ui/")
	b.waitText("h1", "Sign in", 10*time.Second)
	b.do("sign in",
		chromedp.SendKeys(chromedp.CSS("#api_key"), key),
		chromedp.Click(chromedp.CSS(".signin button")))
	b.waitText("h1", "Overview", 10*time.Second)
}

// TestDashboardJourney walks the dashboard as an operator does, in a real
// browser against the real program: sign in, create an endpoint, claim a
// number and attach it, subscribe a webhook and send it a test, add a
// trunk, place a call with SIPp and watch it in the live calls, open its
// timeline and the deliveries it caused, hang up a second live call from
// the page, create and revoke an API key, check the pages fit a 375 px
// screen, and sign out.
func TestDashboardJourney(t *testing.T) {
	t.Parallel()
	sipptest.Require(t)
	b := newTab(t)
	ts := startServer(t)
	base := ts.HTTPURL()
	api := ts.client(ts.BootstrapKey)
	const number = "+2348012345691"
	ts.cli("inventory", "add", number)
	agent := sipptest.StartUAS(t, sipptest.UASOptions{Scenario: "uas_answer", IP: "127.0.0.47", Calls: 2})

	b.signIn(base, ts.BootstrapKey)

	// An endpoint: the SIP agent SIPp plays.
	b.open(base, "/ui/endpoints/new")
	b.do("pick the sip provider", chromedp.Click(chromedp.CSS(`a[href="/ui/endpoints/new?provider=sip"]`)))
	b.waitText("h2", "Agent on sip", 10*time.Second)
	b.do("fill the endpoint",
		chromedp.SendKeys(chromedp.CSS("#ep-name"), "Support agent"),
		chromedp.SendKeys(chromedp.CSS("#ep-url"), "sip:agent@"+agent.Addr()+";transport=udp"),
		chromedp.Click(chromedp.CSS("main form button[type=submit]")))
	b.waitText("h1", "Endpoint Support agent", 10*time.Second)
	b.waitText(".flash", "Created.", 5*time.Second)
	epID := strings.TrimPrefix(strings.Split(b.location(), "?")[0], base+"/ui/endpoints/")

	// Claim the number from the inventory: its SIP password is shown once.
	b.open(base, "/ui/numbers/available")
	b.shoot("claim")
	b.do("claim", chromedp.Click(chromedp.CSS(`button[aria-label="Claim `+number+`"]`)))
	b.waitText("h1", "Number "+number+" claimed", 10*time.Second)
	if got := b.text("main"); !strings.Contains(got, "shown only this once") {
		t.Errorf("the claim does not show the SIP password once: %q", got)
	}
	b.do("go to the number", chromedp.Click(chromedp.CSS("main a.button")))
	b.waitText("h1", number, 10*time.Second)
	b.do("attach the endpoint",
		chromedp.SetValue(chromedp.CSS("#n-ep"), epID),
		chromedp.Click(chromedp.CSS("#attach ~ form button[type=submit]")))
	b.waitText(".flash", "Saved.", 10*time.Second)
	b.waitText("#route ~ ol", "ring Support agent", 5*time.Second)
	b.shoot("number")
	b.open(base, "/ui/numbers")
	b.waitText("main table", "Support agent", 5*time.Second)
	b.shoot("numbers")

	// A webhook subscription, its secret shown once, and a test delivery.
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, `{"received":true}`)
	}))
	defer receiver.Close()
	b.open(base, "/ui/webhooks/new")
	b.do("subscribe",
		chromedp.SendKeys(chromedp.CSS("#wh-url"), receiver.URL+"/hooks"),
		chromedp.SendKeys(chromedp.CSS("#wh-desc"), "CRM"),
		chromedp.Click(chromedp.CSS("main form button[type=submit]")))
	b.waitText("h1", "Webhook created", 10*time.Second)
	if secret := b.text("#secret"); !strings.HasPrefix(secret, "whsec_") {
		t.Errorf("the webhook's secret shown once: %q", secret)
	}
	b.do("go to the webhook", chromedp.Click(chromedp.CSS("main a.button")))
	b.waitText("h1", "Webhook", 10*time.Second)
	b.do("send a test", chromedp.Click(chromedp.CSS(`form[action$="/test"] button`)))
	b.waitText(".flash", "Test event queued.", 10*time.Second)
	b.waitText("main table", "webhook.test", 5*time.Second)
	deliveries := b.location()
	eventually(t, 15*time.Second, "the test delivery to be delivered", func() bool {
		b.open(deliveries, "")
		return strings.Contains(b.text("main table"), "delivered")
	})
	b.shoot("deliveries")
	b.do("open the delivery", chromedp.Click(chromedp.CSS("main table tbody a")))
	b.waitText("h1", "Delivery of webhook.test", 10*time.Second)
	if attempts := b.text("#attempts ~ div"); !strings.Contains(attempts, "200") {
		t.Errorf("the delivery's attempts: %q", attempts)
	}
	b.open(base, "/ui/webhooks")
	b.waitText("main table", receiver.URL+"/hooks", 5*time.Second)
	b.shoot("webhooks")

	// A carrier trunk.
	b.open(base, "/ui/trunks/new")
	b.do("add a trunk",
		chromedp.SendKeys(chromedp.CSS("#t-name"), "Carrier A"),
		chromedp.SendKeys(chromedp.CSS("#t-addr"), "sip.carrier.example.com"),
		chromedp.SendKeys(chromedp.CSS("#t-max"), "0"),
		chromedp.Click(chromedp.CSS("main form button[type=submit]")))
	b.waitText(".flash", "Created.", 10*time.Second)
	b.open(base, "/ui/trunks")
	b.waitText("main table", "Carrier A", 5*time.Second)
	b.shoot("trunks")

	eventually(t, 10*time.Second, "the routing table to hold "+number, func() bool {
		return ts.edge.Table().Lookup(number).Endpoint != nil
	})

	// Two calls, watched arriving on the live page (htmx polls it).
	b.open(base, "/ui/calls/live")
	first := sipptest.StartUAC(t, sipptest.UACOptions{Scenario: "uac_wait_bye", Target: ts.SIPAddr(), IP: "127.0.0.48",
		Rows: [][]string{{number, "+14155550101"}}, Vars: map[string]string{"wait": "30000"}})
	b.waitText("#live", "+14155550101", 15*time.Second)
	second := sipptest.StartUAC(t, sipptest.UACOptions{Scenario: "uac_wait_bye", Target: ts.SIPAddr(), IP: "127.0.0.49",
		Rows: [][]string{{number, "+14155550102"}}, Vars: map[string]string{"wait": "30000"}})
	b.waitText("#live", "+14155550102", 15*time.Second)
	b.waitNoText("#live", "ringing", 15*time.Second) // both answered
	b.shoot("live-calls")
	b.open(base, "/ui/")
	b.waitText("#live-now ~ .big", "2", 5*time.Second)
	b.waitText("#calls-today ~ ul", "in_progress 2", 5*time.Second)
	b.shoot("overview")
	ids := map[string]string{}
	for _, it := range api.must(200, api.do("GET", "/v1/calls?status=in_progress", nil)).items("calls") {
		ids[it["from_number"].(string)] = it["id"].(string)
	}
	if len(ids) != 2 {
		t.Fatalf("the API shows live calls %v, want two", ids)
	}

	// The first call's timeline.
	b.open(base, "/ui/calls/live")
	b.do("open the first call", chromedp.Click(chromedp.CSS("#row-"+ids["+14155550101"]+" a")))
	b.waitText("h1", "Call from +14155550101 to "+number, 10*time.Second)
	b.waitText(".timeline", "call.answered", 5*time.Second)
	if facts := b.text(".facts"); !strings.Contains(facts, "answered (200)") || !strings.Contains(facts, "Support agent") {
		t.Errorf("the call's facts: %q", facts)
	}
	b.waitText("#caused ~ div", "call.answered", 10*time.Second) // the deliveries its events caused
	b.shoot("call")

	// Hang up the second from the live page, after the confirmation.
	b.open(base, "/ui/calls/live")
	b.do("hang up the second call", chromedp.Click(chromedp.CSS(`a[aria-label="Hang up the call from +14155550102"]`)))
	b.waitText("h1", "Hang up the call from +14155550102", 10*time.Second)
	b.do("confirm", chromedp.Click(chromedp.CSS("main form button.danger")))
	b.waitText(".flash", "Hangup requested", 10*time.Second)
	second.Wait(30*time.Second).ExpectCalls(t, 1, 0)
	b.waitNoText("#live", "+14155550102", 10*time.Second)
	if live := b.text("#live"); !strings.Contains(live, "+14155550101") {
		t.Errorf("the first call left the live page too: %q", live)
	}
	call := api.must(200, api.do("GET", "/v1/calls/"+ids["+14155550102"], nil))
	if call.str("status") != "completed" || call.str("hangup_by") != "api" {
		t.Errorf("the call hung up from the dashboard: %s", call.Raw)
	}

	// The call log lists both; the first ends when the test hangs it up.
	b.open(base, "/ui/calls?direction=inbound")
	b.waitText("main table", "+14155550102", 5*time.Second)
	b.shoot("call-log")
	api.must(202, api.do("POST", "/v1/calls/"+ids["+14155550101"]+"/hangup", nil))
	first.Wait(30*time.Second).ExpectCalls(t, 1, 0)
	agent.Wait(30*time.Second).ExpectCalls(t, 2, 0)

	b.open(base, "/ui/endpoints")
	b.shoot("endpoints")

	// An API key, shown once, then revoked: the API refuses it at once.
	b.open(base, "/ui/keys")
	b.do("create a key",
		chromedp.SendKeys(chromedp.CSS("#k-name"), "support desk"),
		chromedp.Click(chromedp.CSS("#new-key ~ form button[type=submit]")))
	b.waitText("h1", "API key support desk created", 10*time.Second)
	secret := strings.TrimSpace(b.text("#secret"))
	desk := ts.client(secret)
	desk.must(200, desk.do("GET", "/v1/endpoints", nil))
	b.do("back to the keys", chromedp.Click(chromedp.CSS("main a.button")))
	b.do("revoke it", chromedp.Click(chromedp.CSS(`a[aria-label="Revoke support desk"]`)))
	b.waitText("h1", "Revoke the key support desk", 10*time.Second)
	b.do("confirm", chromedp.Click(chromedp.CSS("main form button.danger")))
	b.waitText(".flash", "Key revoked.", 10*time.Second)
	b.waitText("main table", "revoked", 5*time.Second)
	b.shoot("keys")
	desk.mustErr(401, "INVALID_API_KEY", desk.do("GET", "/v1/endpoints", nil))

	// Every page fits a 375 px phone: nothing wider than the screen.
	b.do("a phone's screen", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
	for _, path := range []string{"/ui/", "/ui/numbers", "/ui/endpoints", "/ui/calls/live", "/ui/calls",
		"/ui/calls/" + ids["+14155550101"], "/ui/webhooks", "/ui/deliveries", "/ui/trunks", "/ui/keys", "/ui/endpoints/new?provider=vapi"} {
		b.open(base, path)
		width, err := chromedp.Run(b.ctx, chromedp.Evaluate[int]("document.documentElement.scrollWidth"))
		if err != nil || width > 375 {
			t.Errorf("%s is %d px wide on a 375 px screen (%v)", path, width, err)
		}
		if path == "/ui/calls" {
			b.shoot("call-log-375px")
		}
	}
	b.do("a desktop's screen", chromedp.EmulateViewport(1280, 900))

	// Sign out: the session is gone, pages send the browser to sign in.
	b.do("sign out", chromedp.Click(chromedp.CSS(".signout button")))
	b.waitText("h1", "Sign in", 10*time.Second)
	b.open(base, "/ui/numbers")
	b.waitText("h1", "Sign in", 10*time.Second)
	if loc := b.location(); !strings.Contains(loc, "/ui/signin?next=%2Fui%2Fnumbers") {
		t.Errorf("after sign-out /ui/numbers went to %s", loc)
	}
}

// TestDashboardRefusals: in the browser, a page without a session is the
// sign-in form, a form posted from another origin is refused, and a
// read-only key's write is refused by the server even when sent.
func TestDashboardRefusals(t *testing.T) {
	t.Parallel()
	b := newTab(t)
	ts := startServer(t)
	base := ts.HTTPURL()
	api := ts.client(ts.BootstrapKey)

	// No session: the sign-in form, which comes back to the page.
	b.open(base, "/ui/endpoints?status=active")
	b.waitText("h1", "Sign in", 10*time.Second)
	b.do("sign in",
		chromedp.SendKeys(chromedp.CSS("#api_key"), ts.BootstrapKey),
		chromedp.Click(chromedp.CSS(".signin button")))
	b.waitText("h1", "Endpoints", 10*time.Second)
	if loc := b.location(); loc != base+"/ui/endpoints?status=active" {
		t.Errorf("sign-in went to %s, want back to the page asked for", loc)
	}

	// A page on another origin posts a form to the dashboard: the browser
	// sends the session cookie (same site), the server refuses the write.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><form method="post" action="%s/ui/endpoints">
<input name="provider" value="sip"><input name="name" value="planted"><input name="url" value="sip:evil@example.com">
<input name="status" value="active"><input name="ring_timeout" value="30"><button id="go">go</button></form>`, base)
	}))
	defer evil.Close()
	b.do("open the other origin's page", chromedp.Navigate(evil.URL), chromedp.WaitVisible(chromedp.CSS("#go")))
	b.do("post its form", chromedp.Click(chromedp.CSS("#go")))
	b.waitText("body", "cross-origin request detected", 10*time.Second)
	if n := len(api.must(200, api.do("GET", "/v1/endpoints", nil)).items("endpoints")); n != 0 {
		t.Errorf("the cross-origin form created %d endpoints", n)
	}

	// A read-only key: the page offers no write, and the server refuses one.
	ro := ts.newKey("default", "endpoints:read")
	b2 := newTab(t)
	b2.signIn(base, ro.key)
	b2.open(base, "/ui/endpoints")
	if main := b2.text("main"); strings.Contains(main, "New endpoint") {
		t.Errorf("a read-only key is offered to create endpoints: %q", main)
	}
	if nav := b2.text("header nav"); strings.Contains(nav, "Numbers") || strings.Contains(nav, "Webhooks") {
		t.Errorf("the menu of an endpoints:read key shows %q", nav)
	}
	b2.open(base, "/ui/endpoints/new?provider=sip")
	b2.waitText("main", "lacks the endpoints:write scope", 5*time.Second)
	status, err := chromedp.Run(b2.ctx, chromedp.Evaluate[int](`fetch("/ui/endpoints", {method: "POST",
		body: new URLSearchParams({provider: "sip", name: "x", url: "sip:x@example.com", status: "active", ring_timeout: "30"})}).then(r => r.status)`,
		chromedp.EvalAwaitPromise))
	if err != nil || status != http.StatusForbidden {
		t.Errorf("a read-only key's same-origin POST: %d, %v; want 403", status, err)
	}
	if n := len(api.must(200, api.do("GET", "/v1/endpoints", nil)).items("endpoints")); n != 0 {
		t.Errorf("the read-only key created %d endpoints", n)
	}

	// Revoking a key ends its sessions: the live page, polling, is sent
	// to the sign-in page by its next poll.
	watcher := ts.newKey("default", "calls:read")
	b3 := newTab(t)
	b3.signIn(base, watcher.key)
	b3.open(base, "/ui/calls/live")
	var keyID string
	for _, k := range api.must(200, api.do("GET", "/v1/api-keys", nil)).items("api_keys") {
		if strings.HasPrefix(watcher.key, k["prefix"].(string)) {
			keyID = k["id"].(string)
		}
	}
	api.must(200, api.do("DELETE", "/v1/api-keys/"+keyID, nil))
	b3.waitText("h1", "Sign in", 10*time.Second)
}

// TestDashboardHTTP: / redirects to the dashboard, which carries its
// security headers, and the API never takes the dashboard's cookie.
func TestDashboardHTTP(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	base := ts.HTTPURL()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/ui/" {
		t.Errorf("GET /: %d %s, want a redirect to /ui/", resp.StatusCode, resp.Header.Get("Location"))
	}

	resp, err = noFollow.PostForm(base+"/ui/signin", url.Values{"api_key": {ts.BootstrapKey}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "switchboard_session" {
			session = c
		}
	}
	if resp.StatusCode != http.StatusSeeOther || session == nil {
		t.Fatalf("sign in: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("Referrer-Policy") != "same-origin" {
		t.Errorf("sign-in answer lacks the security headers: %v", resp.Header)
	}
	// The cookie opens the dashboard...
	req, _ := http.NewRequest("GET", base+"/ui/endpoints", nil)
	req.AddCookie(session)
	resp, err = noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the dashboard with its cookie: %d", resp.StatusCode)
	}
	// ...and never the API, under either prefix.
	for _, path := range []string{"/v1/endpoints", "/api/v1/endpoints", "/v1/calls"} {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.AddCookie(session)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "MISSING_API_KEY") {
			t.Errorf("GET %s with the dashboard's cookie: %d %s, want 401 MISSING_API_KEY", path, resp.StatusCode, body)
		}
	}
}

// TestDashboardBehindTLSAndProxies: the session cookie is Secure when the
// browser spoke HTTPS, to the node (--http-tls-cert) or to a trusted
// proxy (X-Forwarded-Proto), and only then; failed sign-ins count per
// client address as the trusted proxy names it.
func TestDashboardBehindTLSAndProxies(t *testing.T) {
	t.Parallel()
	signIn := func(t *testing.T, hc *http.Client, base, key string, hdr map[string]string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/ui/signin", strings.NewReader(url.Values{"api_key": {key}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	secure := func(resp *http.Response) (bool, bool) {
		for _, c := range resp.Cookies() {
			if c.Name == "switchboard_session" {
				return c.Secure, true
			}
		}
		return false, false
	}
	noFollow := func(hc *http.Client) *http.Client {
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		return hc
	}

	t.Run("https", func(t *testing.T) {
		t.Parallel()
		ca := newTestCA(t)
		ts := startServer(t, withHTTPTLS(newTLSFiles(t, ca, "ui-1")))
		resp := signIn(t, noFollow(httpsClient(ca)), ts.HTTPURL(), ts.BootstrapKey, nil)
		if s, ok := secure(resp); !ok || !s {
			t.Errorf("sign-in over HTTPS: cookie set %v, Secure %v; want a Secure cookie", ok, s)
		}
	})
	t.Run("proxies", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, func(c *ServeConfig) {
			var err error
			if c.TrustedProxies, err = parsePrefixes("--trusted-proxies", "127.0.0.1/32"); err != nil {
				t.Fatal(err)
			}
		})
		hc := noFollow(&http.Client{})
		for _, tc := range []struct {
			proto      string
			wantSecure bool
		}{{"https", true}, {"http", false}, {"", false}} {
			resp := signIn(t, hc, ts.HTTPURL(), ts.BootstrapKey, map[string]string{"X-Forwarded-Proto": tc.proto})
			if s, ok := secure(resp); !ok || s != tc.wantSecure {
				t.Errorf("X-Forwarded-Proto %q from a trusted proxy: cookie set %v, Secure %v; want Secure %v", tc.proto, ok, s, tc.wantSecure)
			}
		}
		// Five failures from one client behind the proxy; the sixth waits,
		// whatever key it brings; another client behind it does not.
		for i := range 6 {
			resp := signIn(t, hc, ts.HTTPURL(), "kros_live_wrong", map[string]string{"X-Forwarded-For": "203.0.113.7"})
			want := http.StatusUnauthorized
			if i == 5 {
				want = http.StatusTooManyRequests
			}
			if resp.StatusCode != want {
				t.Fatalf("failed sign-in %d from 203.0.113.7: %d, want %d", i+1, resp.StatusCode, want)
			}
		}
		if resp := signIn(t, hc, ts.HTTPURL(), ts.BootstrapKey, map[string]string{"X-Forwarded-For": "203.0.113.7"}); resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("the right key from a client past the limit: %d, want 429", resp.StatusCode)
		}
		if resp := signIn(t, hc, ts.HTTPURL(), ts.BootstrapKey, map[string]string{"X-Forwarded-For": "203.0.113.8"}); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("another client behind the same proxy: %d, want 303", resp.StatusCode)
		}
	})
	t.Run("untrusted peer", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t)
		resp := signIn(t, noFollow(&http.Client{}), ts.HTTPURL(), ts.BootstrapKey, map[string]string{"X-Forwarded-Proto": "https"})
		if s, ok := secure(resp); !ok || s {
			t.Errorf("X-Forwarded-Proto from a peer that is no trusted proxy: cookie set %v, Secure %v; want not Secure", ok, s)
		}
	})
}
