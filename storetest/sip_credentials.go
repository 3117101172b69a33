package storetest

import (
	"errors"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// sipRealm is the node's SIP domain the suite issues credentials for.
const sipRealm = "sip.example.com"

// wantHashes fails unless the stored credentials of user belong to the
// number and verify password in sipRealm.
func (f *fixture) wantHashes(what, user, orgID, numberID, password string) {
	f.t.Helper()
	org, id, md5, sha, err := f.s.SIPCredentials(f.ctx, user)
	if err != nil {
		f.t.Fatalf("%s: SIPCredentials(%s): %v", what, user, err)
	}
	if org != orgID || id != numberID {
		f.t.Errorf("%s: SIPCredentials(%s) = %s %s, want %s %s", what, user, org, id, orgID, numberID)
	}
	if md5 != switchboard.HA1MD5(user, sipRealm, password) || sha != switchboard.HA1SHA256(user, sipRealm, password) {
		f.t.Errorf("%s: stored hashes %s %s do not verify the password", what, md5, sha)
	}
}

func testSIPCredentials(f *fixture) {
	t := f.t
	orgA, orgB := f.org("acme"), f.org("globex")
	wh := f.subscribe(orgA, "all", nil, true)
	f.stock(numUS1, numUS2, numGB1)

	pn := f.claim(orgA, switchboard.ClaimRequest{Number: numUS1, SIPDomain: sipRealm, AllowOutbound: true})
	c := pn.SIPCredentials
	if c == nil {
		t.Fatalf("claimed number has no SIP credentials")
	}
	user, pass := c.Username, c.Password
	if !strings.HasPrefix(user, "sb") || strings.Contains(user, strings.TrimPrefix(numUS1, "+")) || c.Domain != sipRealm {
		t.Errorf("credentials %+v: want a generated sb… username, not the number, in %s", c, sipRealm)
	}
	if len(pass) < 24 || strings.Trim(pass, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		t.Errorf("password %q: want ≥ 24 URL-safe characters", pass)
	}
	f.wantHashes("after claim", user, orgA, pn.ID, pass)

	found := f.findNumber(orgA, pn.ID)
	if fc := found.SIPCredentials; fc == nil || fc.Username != user || fc.Password != "" || fc.Domain != "" {
		t.Errorf("found credentials %+v, want the username alone", found.SIPCredentials)
	}
	list, _, err := f.s.ListPhoneNumbers(f.ctx, orgA, switchboard.PhoneNumberFilter{})
	must(t, "ListPhoneNumbers", err)
	if len(list) != 1 || list[0].SIPCredentials == nil || list[0].SIPCredentials.Username != user || list[0].SIPCredentials.Password != "" {
		t.Errorf("listed credentials: %+v, want the username alone", list)
	}

	// Without a domain a number gets none, until it is rotated.
	bare := f.claim(orgA, switchboard.ClaimRequest{Number: numUS2})
	if bare.SIPCredentials != nil || f.findNumber(orgA, bare.ID).SIPCredentials != nil {
		t.Errorf("number claimed without a SIP domain has credentials %+v", bare.SIPCredentials)
	}
	first, err := f.s.RotateSIPCredentials(f.ctx, orgA, bare.ID, sipRealm)
	must(t, "RotateSIPCredentials(bare)", err)
	if first.SIPCredentials == nil || first.SIPCredentials.Username == "" || first.SIPCredentials.Username == user {
		t.Fatalf("first credentials of a bare number: %+v", first.SIPCredentials)
	}
	f.wantHashes("first rotation", first.SIPCredentials.Username, orgA, bare.ID, first.SIPCredentials.Password)

	// Another organisation sees none of them.
	theirs := f.claim(orgB, switchboard.ClaimRequest{Number: numGB1, SIPDomain: sipRealm})
	if theirs.SIPCredentials == nil || theirs.SIPCredentials.Username == user {
		t.Errorf("other organisation's credentials %+v: want their own username", theirs.SIPCredentials)
	}
	_, err = f.s.FindPhoneNumber(f.ctx, orgB, pn.ID)
	wantCode(t, "other org reads the number", err, switchboard.ECodeNumberNotFound)
	_, err = f.s.RotateSIPCredentials(f.ctx, orgB, pn.ID, sipRealm)
	wantCode(t, "other org rotates the number", err, switchboard.ECodeNumberNotFound)
	_, err = f.s.RotateSIPCredentials(f.ctx, orgA, "pn_nope", sipRealm)
	wantCode(t, "rotate a bad ID", err, switchboard.ECodeNumberNotFound)
	f.wantHashes("after the other org's attempt", user, orgA, pn.ID, pass)

	f.clock.Advance(time.Second)
	rot, err := f.s.RotateSIPCredentials(f.ctx, orgA, pn.ID, sipRealm)
	must(t, "RotateSIPCredentials", err)
	rc := rot.SIPCredentials
	if rc == nil || rc.Username != user || rc.Password == "" || rc.Password == pass || rc.Domain != sipRealm {
		t.Fatalf("rotated credentials %+v: want the same username and a new password", rc)
	}
	checkTime(t, "UpdatedAt after rotation", rot.UpdatedAt, f.clock.Now())
	f.wantHashes("after rotation", user, orgA, pn.ID, rc.Password)
	_, _, md5, sha, err := f.s.SIPCredentials(f.ctx, user)
	must(t, "SIPCredentials", err)
	if md5 == switchboard.HA1MD5(user, sipRealm, pass) || sha == switchboard.HA1SHA256(user, sipRealm, pass) {
		t.Errorf("the old password still matches after rotation")
	}
	if got := f.findNumber(orgA, pn.ID).SIPCredentials; got == nil || got.Password != "" {
		t.Errorf("found after rotation: %+v, want no password", got)
	}

	// No event carries a password.
	ds := f.deliveries(orgA, switchboard.DeliveryFilter{WebhookID: wh.ID})
	if len(ds) == 0 {
		t.Errorf("no events delivered")
	}
	for _, d := range ds {
		payload := string(f.findDelivery(orgA, d.ID).Payload)
		for _, p := range []string{pass, rc.Password, first.SIPCredentials.Password} {
			if strings.Contains(payload, p) {
				t.Errorf("event %s carries a password: %s", d.Event, payload)
			}
		}
	}

	for _, u := range []string{"", "sbunknown", numUS1} {
		if _, _, _, _, err := f.s.SIPCredentials(f.ctx, u); !errors.Is(err, switchboard.ErrNoRows) {
			t.Errorf("SIPCredentials(%q): %v, want ErrNoRows", u, err)
		}
	}

	// Release takes the credentials with the number.
	_, err = f.s.ReleaseNumber(f.ctx, orgA, pn.ID)
	must(t, "ReleaseNumber", err)
	if _, _, _, _, err := f.s.SIPCredentials(f.ctx, user); !errors.Is(err, switchboard.ErrNoRows) {
		t.Errorf("SIPCredentials of a released number: %v, want ErrNoRows", err)
	}
}
