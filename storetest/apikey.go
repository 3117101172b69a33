package storetest

import (
	"slices"
	"time"

	"github.com/switchboard-voice/switchboard"
)

func testAPIKeys(f *fixture) {
	t := f.t
	orgID := f.org("acme")

	secret, key := switchboard.GenerateAPIKey(true)
	key.OrganizationID = orgID
	key.Name = "ci"
	key.Scopes = []switchboard.Scope{switchboard.ScopeEndpointsRead, switchboard.ScopeNumbersWrite}
	must(t, "CreateAPIKey", f.s.CreateAPIKey(f.ctx, &key))
	if !switchboard.ValidID(switchboard.PrefixAPIKey, key.ID) {
		t.Errorf("CreateAPIKey set ID %q, want a key_ ID", key.ID)
	}
	checkTime(t, "CreatedAt", key.CreatedAt, f.clock.Now())

	f.clock.Advance(time.Minute)
	got, err := f.s.FindAPIKeyByHash(f.ctx, switchboard.HashAPIKey(secret))
	must(t, "FindAPIKeyByHash", err)
	if got.ID != key.ID || got.OrganizationID != orgID || got.Name != "ci" || !got.Live ||
		got.KeyPrefix != secret[:switchboard.KeyDisplayLen] || got.RevokedAt != nil ||
		!slices.Equal(got.Scopes, key.Scopes) {
		t.Errorf("FindAPIKeyByHash = %+v, want %+v", got, key)
	}
	checkTime(t, "found CreatedAt", got.CreatedAt, key.CreatedAt)
	// Only the hash is kept: the secret itself is not what identifies the key.
	if got.Hash != switchboard.HashAPIKey(secret) || got.Hash == secret {
		t.Errorf("stored hash %q is not the SHA-256 of the secret", got.Hash)
	}
	_, err = f.s.FindAPIKeyByHash(f.ctx, secret)
	wantCode(t, "FindAPIKeyByHash(secret in clear)", err, switchboard.ECodeInvalidAPIKey)

	testSecret, testKey := switchboard.GenerateAPIKey(false)
	testKey.OrganizationID = orgID
	testKey.Scopes = switchboard.AllScopes
	must(t, "CreateAPIKey test key", f.s.CreateAPIKey(f.ctx, &testKey))
	got, err = f.s.FindAPIKeyByHash(f.ctx, switchboard.HashAPIKey(testSecret))
	must(t, "FindAPIKeyByHash test key", err)
	if got.ID != testKey.ID || got.Live || !slices.Equal(got.Scopes, switchboard.AllScopes) {
		t.Errorf("test key = %+v, want live=false with all scopes", got)
	}

	revokedSecret, revoked := switchboard.GenerateAPIKey(true)
	revoked.OrganizationID = orgID
	revoked.RevokedAt = ptr(f.clock.Now())
	must(t, "CreateAPIKey revoked", f.s.CreateAPIKey(f.ctx, &revoked))
	_, err = f.s.FindAPIKeyByHash(f.ctx, switchboard.HashAPIKey(revokedSecret))
	wantCode(t, "FindAPIKeyByHash(revoked)", err, switchboard.ECodeInvalidAPIKey)

	unknown, _ := switchboard.GenerateAPIKey(true)
	for _, hash := range []string{switchboard.HashAPIKey(unknown), "", "' OR 1=1 --"} {
		_, err = f.s.FindAPIKeyByHash(f.ctx, hash)
		wantCode(t, "FindAPIKeyByHash("+hash+")", err, switchboard.ECodeInvalidAPIKey)
	}
}
