package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
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

// issue creates a key through IssueAPIKey on behalf of by and fails the
// test on error.
func (f *fixture) issue(by *switchboard.APIKey, in switchboard.APIKeyInput) (string, *switchboard.APIKey) {
	f.t.Helper()
	secret, key, err := f.s.IssueAPIKey(f.ctx, by, in)
	if err != nil {
		f.t.Fatalf("IssueAPIKey(%+v): %v", in, err)
	}
	return secret, key
}

// adminKey stores a key of orgID with every scope and returns it as stored.
func (f *fixture) adminKey(orgID string) *switchboard.APIKey {
	f.t.Helper()
	_, key := switchboard.GenerateAPIKey(true)
	key.OrganizationID, key.Name, key.Scopes = orgID, "admin", switchboard.AllScopes
	must(f.t, "CreateAPIKey", f.s.CreateAPIKey(f.ctx, &key))
	return &key
}

// testAPIKeyIssue: keys made through the API's rules: validation, the
// scopes a key may grant, the secret shown once and stored as a hash.
func testAPIKeyIssue(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	admin := f.adminKey(orgID)
	expires := f.clock.Now().Add(time.Hour)
	secret, key := f.issue(admin, switchboard.APIKeyInput{Name: " deploy bot ", Scopes: []string{"calls:read", "api-keys:read", "calls:read"},
		ExpiresAt: expires.In(time.FixedZone("CET", 3600)).Format(time.RFC3339Nano), Mode: switchboard.ModeTest})
	if !switchboard.CheckAPIKeyFormat(secret) || !strings.HasPrefix(secret, switchboard.KeyPrefixTest) {
		t.Errorf("IssueAPIKey secret %q is not a kros_test_ key", secret)
	}
	got, err := f.s.FindAPIKey(f.ctx, orgID, key.ID)
	must(t, "FindAPIKey", err)
	if got.Name != "deploy bot" || got.OrganizationID != orgID || got.Live || got.Mode() != switchboard.ModeTest ||
		!slices.Equal(got.Scopes, []switchboard.Scope{switchboard.ScopeCallsRead, switchboard.ScopeKeysRead}) ||
		got.KeyPrefix != secret[:switchboard.KeyDisplayLen] || got.Hash != switchboard.HashAPIKey(secret) ||
		got.LastUsedAt != nil || got.RevokedAt != nil {
		t.Errorf("FindAPIKey = %+v", got)
	}
	if got.ExpiresAt == nil {
		t.Fatal("expires_at not stored")
	}
	checkTime(t, "ExpiresAt", *got.ExpiresAt, expires)
	checkTime(t, "CreatedAt", got.CreatedAt, f.clock.Now())

	for _, tc := range []struct {
		name  string
		by    *switchboard.APIKey
		in    switchboard.APIKeyInput
		code  string
		field string
	}{
		{"no name", admin, switchboard.APIKeyInput{Scopes: []string{"calls:read"}}, switchboard.ECodeValidation, "name"},
		{"long name", admin, switchboard.APIKeyInput{Name: strings.Repeat("n", 101), Scopes: []string{"calls:read"}}, switchboard.ECodeValidation, "name"},
		{"no scopes", admin, switchboard.APIKeyInput{Name: "k"}, switchboard.ECodeValidation, "scopes"},
		{"unknown scope", admin, switchboard.APIKeyInput{Name: "k", Scopes: []string{"billing:read"}}, switchboard.ECodeValidation, "scopes"},
		{"expiry not RFC 3339", admin, switchboard.APIKeyInput{Name: "k", Scopes: []string{"calls:read"}, ExpiresAt: "tomorrow"}, switchboard.ECodeValidation, "expires_at"},
		{"bad mode", admin, switchboard.APIKeyInput{Name: "k", Scopes: []string{"calls:read"}, Mode: "sandbox"}, switchboard.ECodeValidation, "mode"},
		{"expiry now", admin, switchboard.APIKeyInput{Name: "k", Scopes: []string{"calls:read"}, ExpiresAt: f.clock.Now().Format(time.RFC3339Nano)}, switchboard.ECodeValidation, "expires_at"},
		{"expiry past", admin, switchboard.APIKeyInput{Name: "k", Scopes: []string{"calls:read"}, ExpiresAt: f.clock.Now().Add(-time.Hour).Format(time.RFC3339)}, switchboard.ECodeValidation, "expires_at"},
		// A key never grants what it does not hold.
		{"scope not held", key, switchboard.APIKeyInput{Name: "k", Scopes: []string{"calls:read", "calls:write"}}, switchboard.ECodeInsufficientScope, "scopes"},
		{"keys:write not held", key, switchboard.APIKeyInput{Name: "k", Scopes: []string{"keys:write"}}, switchboard.ECodeInsufficientScope, "scopes"},
	} {
		_, _, err := f.s.IssueAPIKey(f.ctx, tc.by, tc.in)
		wantCode(t, "IssueAPIKey "+tc.name, err, tc.code)
		var e *switchboard.Error
		if errors.As(err, &e) && e.Details["field"] != tc.field {
			t.Errorf("IssueAPIKey %s: details %v, want field %q", tc.name, e.Details, tc.field)
		}
	}
	// What it holds, it may grant: a subset of its own scopes.
	_, sub := f.issue(key, switchboard.APIKeyInput{Name: "sub", Scopes: []string{"keys:read"}})
	if !sub.Live || !slices.Equal(sub.Scopes, []switchboard.Scope{switchboard.ScopeKeysRead}) || sub.OrganizationID != orgID {
		t.Errorf("sub key = %+v", sub)
	}
	if got := switchboard.GrantableScopes(key); !slices.Equal(got, []switchboard.Scope{switchboard.ScopeCallsRead, switchboard.ScopeKeysRead}) {
		t.Errorf("GrantableScopes = %v", got)
	}
}

// testAPIKeyUse: expiry by the clock, revocation, and the recorded last
// use.
func testAPIKeyUse(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	admin := f.adminKey(orgID)
	secret, _ := f.issue(admin, switchboard.APIKeyInput{Name: "short", Scopes: []string{"calls:read"},
		ExpiresAt: f.clock.Now().Add(time.Minute).Format(time.RFC3339Nano)})
	hash := switchboard.HashAPIKey(secret)
	_, err := f.s.FindAPIKeyByHash(f.ctx, hash)
	must(t, "FindAPIKeyByHash before expiry", err)
	f.clock.Advance(time.Minute) // expires_at itself is too late
	_, err = f.s.FindAPIKeyByHash(f.ctx, hash)
	wantCode(t, "FindAPIKeyByHash at expiry", err, switchboard.ECodeInvalidAPIKey)
	if msg := switchboard.ErrorMessage(err); !strings.Contains(msg, "expired") {
		t.Errorf("expired key refused with %q, want it to say expired", msg)
	}

	// Uses are recorded at most once per APIKeyUsedResolution.
	used := f.clock.Now()
	must(t, "TouchAPIKey", f.s.TouchAPIKey(f.ctx, orgID, admin.ID))
	lastUsed := func() time.Time {
		t.Helper()
		k, err := f.s.FindAPIKey(f.ctx, orgID, admin.ID)
		must(t, "FindAPIKey", err)
		if k.LastUsedAt == nil {
			t.Fatal("last_used_at not recorded")
		}
		return *k.LastUsedAt
	}
	checkTime(t, "LastUsedAt", lastUsed(), used)
	f.clock.Advance(30 * time.Second)
	must(t, "TouchAPIKey again", f.s.TouchAPIKey(f.ctx, orgID, admin.ID))
	checkTime(t, "LastUsedAt within the resolution", lastUsed(), used)
	f.clock.Advance(31 * time.Second)
	must(t, "TouchAPIKey a minute on", f.s.TouchAPIKey(f.ctx, orgID, admin.ID))
	checkTime(t, "LastUsedAt a minute on", lastUsed(), f.clock.Now())
	must(t, "TouchAPIKey of another organisation", f.s.TouchAPIKey(f.ctx, f.org("globex"), admin.ID))
	checkTime(t, "LastUsedAt after another organisation's touch", lastUsed(), f.clock.Now())

	// Revocation: at once, once; a second revocation changes nothing.
	liveSecret, live := f.issue(admin, switchboard.APIKeyInput{Name: "live", Scopes: []string{"calls:read"}})
	revokedAt := f.clock.Now()
	got, err := f.s.RevokeAPIKey(f.ctx, orgID, live.ID)
	must(t, "RevokeAPIKey", err)
	if got.RevokedAt == nil || got.ID != live.ID || got.Name != "live" {
		t.Fatalf("RevokeAPIKey = %+v", got)
	}
	checkTime(t, "RevokedAt", *got.RevokedAt, revokedAt)
	_, err = f.s.FindAPIKeyByHash(f.ctx, switchboard.HashAPIKey(liveSecret))
	wantCode(t, "FindAPIKeyByHash revoked", err, switchboard.ECodeInvalidAPIKey)
	if msg := switchboard.ErrorMessage(err); !strings.Contains(msg, "revoked") {
		t.Errorf("revoked key refused with %q, want it to say revoked", msg)
	}
	f.clock.Advance(time.Hour)
	again, err := f.s.RevokeAPIKey(f.ctx, orgID, live.ID)
	must(t, "RevokeAPIKey again", err)
	checkTime(t, "RevokedAt after a second revocation", *again.RevokedAt, revokedAt)
	for _, id := range []string{"key_missing", "ep_wrongkind", ""} {
		_, err = f.s.RevokeAPIKey(f.ctx, orgID, id)
		wantCode(t, "RevokeAPIKey("+id+")", err, switchboard.ECodeAPIKeyNotFound)
		_, err = f.s.FindAPIKey(f.ctx, orgID, id)
		wantCode(t, "FindAPIKey("+id+")", err, switchboard.ECodeAPIKeyNotFound)
	}
}

// testAPIKeyList: newest first, paged, filtered by mode and revocation.
func testAPIKeyList(f *fixture) {
	t := f.t
	orgID := f.org("acme")
	admin := f.adminKey(orgID)
	var made []string
	for i, mode := range []string{"live", "test", "live", "test", "live"} {
		f.clock.Advance(time.Second)
		_, k := f.issue(admin, switchboard.APIKeyInput{Name: fmt.Sprint("k", i), Scopes: []string{"calls:read"}, Mode: mode})
		made = append(made, k.ID)
	}
	_, err := f.s.RevokeAPIKey(f.ctx, orgID, made[2])
	must(t, "RevokeAPIKey", err)
	newest := slices.Clone(made)
	slices.Reverse(newest)
	all := append(slices.Clone(newest), admin.ID)
	for _, tc := range []struct {
		name   string
		filter switchboard.APIKeyFilter
		want   []string
		total  int
	}{
		{"all", switchboard.APIKeyFilter{}, all, 6},
		{"page", switchboard.APIKeyFilter{Page: switchboard.Page{Limit: 2, Offset: 1}}, all[1:3], 6},
		{"test", switchboard.APIKeyFilter{Mode: switchboard.ModeTest}, []string{made[3], made[1]}, 2},
		{"live", switchboard.APIKeyFilter{Mode: switchboard.ModeLive}, []string{made[4], made[2], made[0], admin.ID}, 4},
		{"revoked", switchboard.APIKeyFilter{Revoked: ptr(true)}, []string{made[2]}, 1},
		{"live not revoked", switchboard.APIKeyFilter{Mode: switchboard.ModeLive, Revoked: ptr(false)}, []string{made[4], made[0], admin.ID}, 3},
	} {
		list, total, err := f.s.ListAPIKeys(f.ctx, orgID, tc.filter)
		must(t, "ListAPIKeys "+tc.name, err)
		if got := ids(list, keyID); !slices.Equal(got, tc.want) || total != tc.total {
			t.Errorf("ListAPIKeys %s = %v (total %d), want %v (total %d)", tc.name, got, total, tc.want, tc.total)
		}
	}
	_, _, err = f.s.ListAPIKeys(f.ctx, orgID, switchboard.APIKeyFilter{Mode: "sandbox"})
	wantCode(t, "ListAPIKeys bad mode", err, switchboard.ECodeValidation)
}

// testAPIKeyIsolation: an organisation never sees, finds, revokes or
// touches another's keys.
func testAPIKeyIsolation(f *fixture) {
	t := f.t
	acme, globex := f.org("acme"), f.org("globex")
	a, b := f.adminKey(acme), f.adminKey(globex)
	secretB, keyB := f.issue(b, switchboard.APIKeyInput{Name: "theirs", Scopes: []string{"calls:read"}})
	list, total, err := f.s.ListAPIKeys(f.ctx, acme, switchboard.APIKeyFilter{})
	must(t, "ListAPIKeys", err)
	if got := ids(list, keyID); !slices.Equal(got, []string{a.ID}) || total != 1 {
		t.Errorf("acme's keys = %v (total %d), want only its own", got, total)
	}
	for _, id := range []string{b.ID, keyB.ID} {
		_, err = f.s.FindAPIKey(f.ctx, acme, id)
		wantCode(t, "FindAPIKey of globex's key", err, switchboard.ECodeAPIKeyNotFound)
		_, err = f.s.RevokeAPIKey(f.ctx, acme, id)
		wantCode(t, "RevokeAPIKey of globex's key", err, switchboard.ECodeAPIKeyNotFound)
	}
	// A key issues keys only in its own organisation.
	_, mine := f.issue(a, switchboard.APIKeyInput{Name: "mine", Scopes: []string{"calls:read"}})
	if mine.OrganizationID != acme {
		t.Errorf("issued key belongs to %s, want %s", mine.OrganizationID, acme)
	}
	if _, err := f.s.FindAPIKeyByHash(f.ctx, switchboard.HashAPIKey(secretB)); err != nil {
		t.Errorf("globex's key stopped working after acme's attempts: %v", err)
	}

	// The operator's lookups (the CLI) cross organisations, by design.
	got, err := f.s.FindAPIKeyByID(f.ctx, keyB.ID)
	must(t, "FindAPIKeyByID", err)
	if got.OrganizationID != globex || got.Name != "theirs" {
		t.Errorf("FindAPIKeyByID = %+v, want globex's key", got)
	}
	for _, id := range []string{"key_missing", "ep_wrongkind"} {
		_, err = f.s.FindAPIKeyByID(f.ctx, id)
		wantCode(t, "FindAPIKeyByID("+id+")", err, switchboard.ECodeAPIKeyNotFound)
	}
	org, err := f.s.FindOrganization(f.ctx, "globex")
	must(t, "FindOrganization", err)
	if org.ID != globex || org.Name != "globex" {
		t.Errorf("FindOrganization = %+v, want globex", org)
	}
	_, err = f.s.FindOrganization(f.ctx, "nobody")
	wantCode(t, "FindOrganization(nobody)", err, switchboard.ECodeNotFound)
}

// testAPIKeyRevokeFeed: a revocation goes through the change feed, which
// the API's key caches follow; a failed one does not.
func testAPIKeyRevokeFeed(f *fixture) {
	acme, globex := f.org("acme"), f.org("globex")
	admin := f.adminKey(acme)
	_, key := f.issue(admin, switchboard.APIKeyInput{Name: "k", Scopes: []string{"calls:read"}})
	l := f.subscribeChanges(acme, globex)
	l.first()
	_, err := f.s.RevokeAPIKey(f.ctx, globex, key.ID)
	wantCode(f.t, "RevokeAPIKey of another organisation", err, switchboard.ECodeAPIKeyNotFound)
	_, err = f.s.RevokeAPIKey(f.ctx, acme, key.ID)
	must(f.t, "RevokeAPIKey", err)
	l.expect("RevokeAPIKey", acme)
}

func keyID(k *switchboard.APIKey) string { return k.ID }
