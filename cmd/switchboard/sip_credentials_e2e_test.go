package main

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// TestSIPCredentials: a claimed number has SIP credentials for agent
// providers; the password is shown by the claim and by a rotation only,
// verifies against the stored hashes, and never reaches a GET, an event or
// the logs.
func TestSIPCredentials(t *testing.T) {
	t.Parallel()
	recv := newHookReceiver(t, answer(200, "ok"))
	ts := startServer(t, func(c *ServeConfig) { c.SIPDomain = "sip.example.com" })
	c := ts.client(ts.BootstrapKey)
	hook := c.must(201, c.do("POST", "/v1/webhooks", map[string]any{"url": recv.url(), "events": []string{"phone_number.*"}}))
	recv.setSecrets(hook.str("secret"))
	ts.cli("inventory", "add", "+14155550100")

	creds := func(r *response) map[string]any {
		t.Helper()
		m, ok := r.Body["sip_credentials"].(map[string]any)
		if !ok {
			t.Fatalf("no sip_credentials: %s", r.Raw)
		}
		return m
	}
	// verify fails unless password answers for user with the stored hashes.
	verify := func(what, user, password string, want bool) {
		t.Helper()
		_, _, md5, sha, err := ts.store.SIPCredentials(context.Background(), user)
		if err != nil {
			t.Fatalf("%s: SIPCredentials(%s): %v", what, user, err)
		}
		got := md5 == switchboard.HA1MD5(user, "sip.example.com", password) &&
			sha == switchboard.HA1SHA256(user, "sip.example.com", password)
		if got != want {
			t.Errorf("%s: password verifies %v, want %v", what, got, want)
		}
	}

	pn := c.must(201, c.do("POST", "/v1/phone-numbers", map[string]any{"number": "+14155550100"}))
	id, cr := pn.str("id"), creds(pn)
	user, _ := cr["username"].(string)
	pw1, _ := cr["password"].(string)
	if !strings.HasPrefix(user, "sb") || cr["domain"] != "sip.example.com" || len(pw1) < 24 ||
		!slices.Equal(strs(cr["transports"]), []string{"udp", "tcp"}) {
		t.Fatalf("claimed credentials: %s", pn.Raw)
	}
	verify("after claim", user, pw1, true)
	noPassword := func(what string, raw []byte, pws ...string) {
		t.Helper()
		for _, pw := range pws {
			if bytes.Contains(raw, []byte(pw)) {
				t.Errorf("%s shows a SIP password: %s", what, raw)
			}
		}
		if bytes.Contains(raw, []byte(`"password"`)) {
			t.Errorf("%s has a password field: %s", what, raw)
		}
	}

	got := c.must(200, c.do("GET", "/v1/phone-numbers/"+id, nil))
	noPassword("GET", got.Raw, pw1)
	if creds(got)["username"] != user || creds(got)["domain"] != "sip.example.com" {
		t.Fatalf("GET credentials: %s", got.Raw)
	}
	list := c.must(200, c.do("GET", "/v1/phone-numbers", nil))
	noPassword("list", list.Raw, pw1)

	// Rotation: numbers:write, a new password, the old one dead.
	ro := ts.newKey("default", "numbers:read")
	ro.mustErr(403, "INSUFFICIENT_SCOPE", ro.do("POST", "/v1/phone-numbers/"+id+"/sip-credentials/rotate", nil))
	other := ts.newKey("other")
	other.mustErr(404, "PHONE_NUMBER_NOT_FOUND", other.do("POST", "/v1/phone-numbers/"+id+"/sip-credentials/rotate", nil))
	rotate := func() *response {
		return c.do("POST", "/v1/phone-numbers/"+id+"/sip-credentials/rotate", nil, header("Idempotency-Key", "rotate-1"))
	}
	rot := c.must(200, rotate())
	rc := creds(rot)
	pw2, _ := rc["password"].(string)
	if rc["username"] != user || len(pw2) < 24 || pw2 == pw1 {
		t.Fatalf("rotated credentials: %s", rot.Raw)
	}
	// A replay answers without the password: the node keeps no copy of it.
	replay := c.must(200, rotate())
	noPassword("replayed rotation", replay.Raw, pw1, pw2)
	if replay.Header.Get("Idempotent-Replayed") != "true" || creds(replay)["username"] != user {
		t.Fatalf("replayed rotation: %s", replay.Raw)
	}
	verify("new password", user, pw2, true)
	verify("old password", user, pw1, false)
	noPassword("GET after rotation", c.must(200, c.do("GET", "/v1/phone-numbers/"+id, nil)).Raw, pw1, pw2)

	// Events: the claim and the rotation, with the username and no password.
	want := map[string]int{"phone_number.purchased": 1, "phone_number.updated": 1}
	eventually(t, 15*time.Second, "the number's events", func() bool { return maps.Equal(recv.counts(), want) })
	recv.mu.Lock()
	for _, r := range recv.got {
		noPassword("event "+r.Event, r.Body, pw1, pw2)
		if !bytes.Contains(r.Body, []byte(user)) {
			t.Errorf("%s without the username: %s", r.Event, r.Body)
		}
	}
	recv.mu.Unlock()
	if logs := ts.logs.String(); strings.Contains(logs, pw1) || strings.Contains(logs, pw2) {
		t.Errorf("the logs contain a SIP password")
	}

	// Releasing the number deletes its credentials.
	c.must(200, c.do("DELETE", "/v1/phone-numbers/"+id, nil))
	if _, _, _, _, err := ts.store.SIPCredentials(context.Background(), user); err == nil {
		t.Errorf("a released number's credentials are still found")
	}
}
