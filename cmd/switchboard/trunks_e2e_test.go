package main

import (
	"bufio"
	"bytes"
	"maps"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestTrunks drives trunk CRUD through the real server: the password is
// write-only (in no response, nor in the events a subscriber receives),
// a read-only key cannot write, another organisation sees nothing, and a
// number's trunk_id is PATCH-able and cleared when the trunk goes.
func TestTrunks(t *testing.T) {
	t.Parallel()
	recv := newHookReceiver(t, answer(200, "ok"))
	ts := startServer(t)
	c := ts.client(ts.BootstrapKey)
	hook := c.must(201, c.do("POST", "/v1/webhooks", map[string]any{"url": recv.url(), "events": []string{"trunk.*", "phone_number.updated"}}))
	recv.setSecrets(hook.str("secret"))

	// The logs check of startServer looks for s3cret-pass too.
	const pw1, pw2 = "s3cret-pass-one", "s3cret-pass-two"
	noPassword := func(what string, raw []byte) {
		t.Helper()
		if bytes.Contains(raw, []byte(pw1)) || bytes.Contains(raw, []byte(pw2)) || bytes.Contains(raw, []byte(`"auth_password"`)) {
			t.Fatalf("%s shows the trunk's password: %s", what, raw)
		}
	}

	tr := c.must(201, c.do("POST", "/v1/trunks", map[string]any{
		"name": "Telnyx", "address": "sip.telnyx.com:5060", "transport": "tcp",
		"auth_username": "acme", "auth_password": pw1, "headers": map[string]string{"X-Telnyx-Username": "acme"},
		"inbound_addresses": []string{"192.76.120.10", "64.16.250.0/24"}, "default": true,
	}))
	noPassword("create", tr.Raw)
	id := tr.str("id")
	if !strings.HasPrefix(id, "trk_") || tr.Body["has_auth_password"] != true || tr.str("number_format") != "e164" ||
		tr.str("status") != "active" || tr.Body["default"] != true ||
		strings.Join(strs(tr.Body["inbound_addresses"]), ",") != "192.76.120.10/32,64.16.250.0/24" {
		t.Fatalf("created trunk: %s", tr.Raw)
	}
	for _, path := range []string{"/v1/trunks/" + id, "/api/v1/trunks/" + id} {
		got := c.must(200, c.do("GET", path, nil))
		noPassword("GET "+path, got.Raw)
		if got.str("id") != id || got.Body["has_auth_password"] != true {
			t.Fatalf("GET %s: %s", path, got.Raw)
		}
	}
	second := c.must(201, c.do("POST", "/api/v1/trunks", map[string]any{"name": "Backup", "address": "[2001:db8::1]:5080"}))
	if second.Body["has_auth_password"] != false || second.Body["default"] != false {
		t.Fatalf("second trunk: %s", second.Raw)
	}
	list := c.must(200, c.do("GET", "/v1/trunks?limit=1", nil))
	noPassword("list", list.Raw)
	if items := list.items("trunks"); len(items) != 1 || items[0]["id"] != second.str("id") || list.Body["total"] != float64(2) {
		t.Fatalf("list: %s", list.Raw)
	}
	if l := c.must(200, c.do("GET", "/v1/trunks?status=inactive", nil)); l.Body["total"] != float64(0) {
		t.Fatalf("inactive trunks: %s", l.Raw)
	}

	// Validation names the field.
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "x", "address": "sip:sip.telnyx.com"}, "address"},
		{map[string]any{"name": "x", "address": "a.example", "transport": "ws"}, "transport"},
		{map[string]any{"name": "x", "address": "a.example", "auth_password": "p"}, "auth_password"},
		{map[string]any{"name": "x", "address": "a.example", "headers": map[string]string{"Via": "x"}}, "headers.Via"},
		{map[string]any{"name": "x", "address": "a.example", "tech_prefix": "1a"}, "tech_prefix"},
		{map[string]any{"name": "x", "address": "a.example", "max_concurrent_calls": -1}, "max_concurrent_calls"},
		{map[string]any{"name": "x", "address": "a.example", "inbound_addresses": []string{"0.0.0.0/0"}}, "inbound_addresses"},
		{map[string]any{"address": "a.example"}, "name"},
	} {
		r := c.mustErr(400, "VALIDATION_ERROR", c.do("POST", "/v1/trunks", tc.body))
		if r.field() != tc.field {
			t.Errorf("POST %v: field %v, want %s", tc.body, r.field(), tc.field)
		}
	}

	// PATCH a new password: still not shown. Making the second trunk the
	// default clears the first.
	up := c.must(200, c.do("PATCH", "/v1/trunks/"+id, map[string]any{"auth_password": pw2, "max_concurrent_calls": 20}))
	noPassword("PATCH", up.Raw)
	if up.Body["max_concurrent_calls"] != float64(20) || up.Body["has_auth_password"] != true {
		t.Fatalf("patched: %s", up.Raw)
	}
	c.must(200, c.do("PATCH", "/v1/trunks/"+second.str("id"), map[string]any{"default": true}))
	if got := c.must(200, c.do("GET", "/v1/trunks/"+id, nil)); got.Body["default"] != false {
		t.Fatalf("the first trunk is still the default: %s", got.Raw)
	}

	// A number uses a trunk of its own organisation only.
	ts.cli("inventory", "add", "+14155550100")
	pn := c.must(201, c.do("POST", "/v1/phone-numbers", map[string]any{"number": "+14155550100"}))
	if v, ok := pn.Body["trunk_id"]; !ok || v != nil {
		t.Fatalf("a claimed number's trunk_id: %s", pn.Raw)
	}
	pn = c.must(200, c.do("PATCH", "/v1/phone-numbers/"+pn.str("id"), map[string]any{"trunkId": id}))
	if pn.str("trunk_id") != id {
		t.Fatalf("trunk_id after PATCH: %s", pn.Raw)
	}
	c.mustErr(404, "TRUNK_NOT_FOUND", c.do("PATCH", "/v1/phone-numbers/"+pn.str("id"), map[string]any{"trunk_id": "trk_nope"}))

	// Another organisation sees nothing and cannot use the trunk.
	other := ts.newKey("other")
	other.mustErr(404, "TRUNK_NOT_FOUND", other.do("GET", "/v1/trunks/"+id, nil))
	other.mustErr(404, "TRUNK_NOT_FOUND", other.do("PATCH", "/v1/trunks/"+id, map[string]any{"name": "mine"}))
	other.mustErr(404, "TRUNK_NOT_FOUND", other.do("DELETE", "/v1/trunks/"+id, nil))
	if l := other.must(200, other.do("GET", "/v1/trunks", nil)); l.Body["total"] != float64(0) {
		t.Fatalf("another organisation lists trunks: %s", l.Raw)
	}
	ts.cli("inventory", "add", "+14155550101")
	theirs := other.must(201, other.do("POST", "/v1/phone-numbers", map[string]any{"number": "+14155550101"}))
	other.mustErr(404, "TRUNK_NOT_FOUND", other.do("PATCH", "/v1/phone-numbers/"+theirs.str("id"), map[string]any{"trunk_id": id}))

	// Scopes: a read-only key reads but cannot write; a key without the
	// trunk scopes cannot read.
	ro := ts.newKey("default", "trunks:read")
	ro.must(200, ro.do("GET", "/v1/trunks/"+id, nil))
	ro.mustErr(403, "INSUFFICIENT_SCOPE", ro.do("POST", "/v1/trunks", map[string]any{"name": "x", "address": "a.example"}))
	ro.mustErr(403, "INSUFFICIENT_SCOPE", ro.do("PATCH", "/v1/trunks/"+id, map[string]any{"name": "x"}))
	ro.mustErr(403, "INSUFFICIENT_SCOPE", ro.do("DELETE", "/v1/trunks/"+id, nil))
	eps := ts.newKey("default", "endpoints:read", "endpoints:write")
	eps.mustErr(403, "INSUFFICIENT_SCOPE", eps.do("GET", "/v1/trunks", nil))

	// Deleting the trunk detaches the number.
	del := c.must(200, c.do("DELETE", "/v1/trunks/"+id, nil))
	if del.Body["deleted"] != true || del.Body["detached_phone_numbers"] != float64(1) {
		t.Fatalf("delete: %s", del.Raw)
	}
	if got := c.must(200, c.do("GET", "/v1/phone-numbers/"+pn.str("id"), nil)); got.Body["trunk_id"] != nil {
		t.Fatalf("the number still uses the deleted trunk: %s", got.Raw)
	}
	c.mustErr(404, "TRUNK_NOT_FOUND", c.do("GET", "/v1/trunks/"+id, nil))

	// The subscriber got every event, none with the password.
	want := map[string]int{"trunk.created": 2, "trunk.updated": 3, "trunk.deleted": 1, "phone_number.updated": 2}
	eventually(t, 15*time.Second, "the trunk events", func() bool {
		got := recv.counts()
		for k, n := range want {
			if got[k] < n {
				return false
			}
		}
		return true
	})
	if got := recv.counts(); !maps.Equal(got, want) {
		t.Errorf("events received %v, want %v", got, want)
	}
	recv.mu.Lock()
	for _, r := range recv.got {
		noPassword("event "+r.Event, r.Body)
		if strings.HasPrefix(r.Event, "trunk.") && !bytes.Contains(r.Body, []byte(`"has_auth_password"`)) {
			t.Errorf("%s without has_auth_password: %s", r.Event, r.Body)
		}
	}
	recv.mu.Unlock()
}

// TestTrunkInboundNetworks: an INVITE from outside --sip-trusted but from
// a trunk's inbound network reaches the trunk's organisation's numbers,
// over UDP and TCP, and nobody else's; without the trunk it is refused.
func TestTrunkInboundNetworks(t *testing.T) {
	t.Parallel()
	ts := startServer(t, func(c *ServeConfig) { c.SIPTrusted = []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")} })
	c := ts.client(ts.BootstrapKey)
	other := ts.newKey("other")
	ts.cli("inventory", "add", "+2348030000001", "+2348030000002")
	c.must(201, c.do("POST", "/v1/phone-numbers", map[string]any{"number": "+2348030000001", "allow_inbound": true}))
	other.must(201, other.do("POST", "/v1/phone-numbers", map[string]any{"number": "+2348030000002", "allow_inbound": true}))
	target := ts.SIPAddr()

	// status sends one INVITE to num from the address from and returns the
	// final status code: 407 when the source is refused (challenged for
	// an agent's credentials, which it has not), 480 when the call is let
	// in (the number has no endpoint, so it is unrouted).
	seq := 0
	status := func(network, from, num string) string {
		t.Helper()
		seq++
		conn, invite := dialINVITE(t, network, from, target, seq)
		defer conn.Close()
		invite = bytes.ReplaceAll(invite, []byte("+2348030000001"), []byte(num))
		invite = bytes.ReplaceAll(invite, []byte("flood"), []byte("trunknet"))
		if _, err := conn.Write(invite); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(conn)
		for {
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			res, err := readSIPResponse(r)
			if err != nil {
				t.Fatalf("no final answer to the INVITE: %v (%q)", err, res)
			}
			if code := strings.Fields(res)[1]; code[0] != '1' {
				return code
			}
		}
	}
	if got := status("udp", "127.0.0.3", "+2348030000001"); got != "407" {
		t.Fatalf("before any trunk: %s, want 407", got)
	}

	tr := c.must(201, c.do("POST", "/v1/trunks", map[string]any{"name": "carrier", "address": "carrier.example", "inbound_addresses": []string{"127.0.0.0/29"}}))
	// The node's table picks the trunk up from the change feed.
	eventually(t, 10*time.Second, "the trunk's network to be trusted", func() bool {
		return status("udp", "127.0.0.3", "+2348030000001") != "407"
	})
	// Refusals are rate-limited per source: each refused try comes from
	// an address of its own.
	for _, tc := range []struct{ network, from, num, want string }{
		{"udp", "127.0.0.3", "+2348030000001", "480"},
		{"tcp", "127.0.0.4", "+2348030000001", "480"},
		{"udp", "127.0.0.5", "+2348030000002", "407"}, // another organisation's number
		{"tcp", "127.0.0.6", "+2348030000002", "407"},
		{"udp", "127.0.0.9", "+2348030000001", "407"}, // not the trunk's network
	} {
		if got := status(tc.network, tc.from, tc.num); got != tc.want {
			t.Errorf("%s from %s to %s: %s, want %s", tc.network, tc.from, tc.num, got, tc.want)
		}
	}

	c.must(200, c.do("DELETE", "/v1/trunks/"+tr.str("id"), nil))
	eventually(t, 10*time.Second, "the deleted trunk's network to be refused", func() bool {
		return status("udp", "127.0.0.7", "+2348030000001") == "407"
	})
}
