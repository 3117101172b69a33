package storetest

import (
	"slices"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// testSessions: a session finds its key until it expires, is deleted, or
// its key is revoked; only the token's hash names it.
func testSessions(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	newKey := func(revoked bool) *switchboard.APIKey {
		_, key := switchboard.GenerateAPIKey(true)
		key.OrganizationID = orgID
		key.Name = "ui"
		key.Scopes = []switchboard.Scope{switchboard.ScopeCallsRead, switchboard.ScopeNumbersWrite}
		if revoked {
			key.RevokedAt = ptr(f.clock.Now())
		}
		must(t, "CreateAPIKey", f.s.CreateAPIKey(f.ctx, &key))
		return &key
	}
	key := newKey(false)

	token, sess, err := f.s.CreateSession(f.ctx, key)
	must(t, "CreateSession", err)
	if sess.TokenHash != switchboard.HashSessionToken(token) || sess.TokenHash == token || token == "" {
		t.Errorf("session hash %q is not the SHA-256 of its token", sess.TokenHash)
	}
	if sess.APIKeyID != key.ID || sess.OrganizationID != orgID {
		t.Errorf("session = %+v, want key %s of %s", sess, key.ID, orgID)
	}
	checkTime(t, "CreatedAt", sess.CreatedAt, f.clock.Now())
	checkTime(t, "ExpiresAt", sess.ExpiresAt, f.clock.Now().Add(switchboard.SessionTTL))

	f.clock.Advance(switchboard.SessionTTL - time.Second)
	got, gotKey, err := f.s.FindSession(f.ctx, token)
	must(t, "FindSession", err)
	if got.APIKeyID != key.ID || gotKey.ID != key.ID || gotKey.OrganizationID != orgID ||
		!slices.Equal(gotKey.Scopes, key.Scopes) || gotKey.Name != "ui" {
		t.Errorf("FindSession = %+v, %+v; want the session of key %+v", got, gotKey, key)
	}
	checkTime(t, "found ExpiresAt", got.ExpiresAt, sess.ExpiresAt)
	// The stored hash is not a token: only the token finds the session.
	_, _, err = f.s.FindSession(f.ctx, sess.TokenHash)
	wantCode(t, "FindSession(hash)", err, switchboard.ECodeInvalidAPIKey)
	for _, bad := range []string{"", "x", token[:len(token)-1] + "!", "' OR 1=1 --"} {
		_, _, err = f.s.FindSession(f.ctx, bad)
		wantCode(t, "FindSession("+bad+")", err, switchboard.ECodeInvalidAPIKey)
	}

	// Expiry: 12 hours from sign-in, whatever the use.
	f.clock.Advance(time.Second)
	_, _, err = f.s.FindSession(f.ctx, token)
	wantCode(t, "FindSession(expired)", err, switchboard.ECodeInvalidAPIKey)

	// Sign-out ends the session and only it.
	t1, _, err := f.s.CreateSession(f.ctx, key)
	must(t, "CreateSession 1", err)
	t2, _, err := f.s.CreateSession(f.ctx, key)
	must(t, "CreateSession 2", err)
	must(t, "DeleteSession", f.s.DeleteSession(f.ctx, t1))
	_, _, err = f.s.FindSession(f.ctx, t1)
	wantCode(t, "FindSession(signed out)", err, switchboard.ECodeInvalidAPIKey)
	if _, _, err := f.s.FindSession(f.ctx, t2); err != nil {
		t.Errorf("FindSession(other session of the key): %v", err)
	}
	must(t, "DeleteSession(again)", f.s.DeleteSession(f.ctx, t1))
	must(t, "DeleteSession(junk)", f.s.DeleteSession(f.ctx, "\x00junk"))

	// Revoking the key ends every session of it, and only of it.
	other := newKey(false)
	t4, _, err := f.s.CreateSession(f.ctx, other)
	must(t, "CreateSession(other key)", err)
	_, err = f.s.RevokeAPIKey(f.ctx, orgID, key.ID)
	must(t, "RevokeAPIKey", err)
	_, _, err = f.s.FindSession(f.ctx, t2)
	wantCode(t, "FindSession(revoked key)", err, switchboard.ECodeInvalidAPIKey)
	if _, _, err := f.s.FindSession(f.ctx, t4); err != nil {
		t.Errorf("FindSession(another key's session) after a revocation: %v", err)
	}

	// A key revoked before, or one that expires, ends its sessions too.
	revoked := newKey(true)
	t3, _, err := f.s.CreateSession(f.ctx, revoked)
	must(t, "CreateSession(revoked key)", err)
	_, _, err = f.s.FindSession(f.ctx, t3)
	wantCode(t, "FindSession(key revoked before)", err, switchboard.ECodeInvalidAPIKey)
	_, exp := switchboard.GenerateAPIKey(true)
	exp.OrganizationID, exp.Scopes, exp.ExpiresAt = orgID, key.Scopes, ptr(f.clock.Now().Add(time.Hour))
	must(t, "CreateAPIKey(expiring)", f.s.CreateAPIKey(f.ctx, &exp))
	t5, _, err := f.s.CreateSession(f.ctx, &exp)
	must(t, "CreateSession(key that expires)", err)
	if _, _, err := f.s.FindSession(f.ctx, t5); err != nil {
		t.Errorf("FindSession before the key expires: %v", err)
	}
	f.clock.Advance(time.Hour)
	_, _, err = f.s.FindSession(f.ctx, t5)
	wantCode(t, "FindSession(key expired)", err, switchboard.ECodeInvalidAPIKey)
}
