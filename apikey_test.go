package switchboard

import (
	"encoding/hex"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const testKeyLen = 48 // "kros_live_" + 32 random + 6 checksum

func TestGenerateAPIKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		live   bool
		prefix string
	}{
		{"live", true, "kros_live_"},
		{"test", false, "kros_test_"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			secret, key := GenerateAPIKey(tt.live)
			if !strings.HasPrefix(secret, tt.prefix) {
				t.Fatalf("secret %q does not start with %q", secret, tt.prefix)
			}
			if len(secret) != testKeyLen {
				t.Fatalf("len(secret) = %d, want %d", len(secret), testKeyLen)
			}
			for i := len(tt.prefix); i < len(secret); i++ {
				if strings.IndexByte(base62, secret[i]) < 0 {
					t.Fatalf("secret %q has non-base62 %q at %d", secret, secret[i], i)
				}
			}
			if !CheckAPIKeyFormat(secret) {
				t.Fatalf("CheckAPIKeyFormat(%q) = false for a generated key", secret)
			}
			if key.Live != tt.live {
				t.Fatalf("key.Live = %v, want %v", key.Live, tt.live)
			}
			if KeyDisplayLen != 14 || key.KeyPrefix != secret[:KeyDisplayLen] {
				t.Fatalf("KeyPrefix = %q, want the first %d characters of %q", key.KeyPrefix, KeyDisplayLen, secret)
			}
			if key.Hash != HashAPIKey(secret) {
				t.Fatalf("Hash = %q, want HashAPIKey(secret) = %q", key.Hash, HashAPIKey(secret))
			}
			if key.Hash == secret || strings.Contains(key.Hash, secret[len(tt.prefix):]) {
				t.Fatalf("Hash %q reveals the secret", key.Hash)
			}
			if key.ID != "" || key.OrganizationID != "" || !key.CreatedAt.IsZero() {
				t.Fatalf("GenerateAPIKey set fields the caller owns: %+v", key)
			}
		})
	}
}

func TestGenerateAPIKeyUnique(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	hashes := map[string]bool{}
	for range 200 {
		secret, key := GenerateAPIKey(true)
		if seen[secret] || hashes[key.Hash] {
			t.Fatalf("duplicate key %q", secret)
		}
		seen[secret], hashes[key.Hash] = true, true
	}
}

func TestHashAPIKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"sha256 of abc", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"sha256 of empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := HashAPIKey(tt.in)
			if got != tt.want {
				t.Fatalf("HashAPIKey(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if _, err := hex.DecodeString(got); err != nil || len(got) != 64 {
				t.Fatalf("HashAPIKey(%q) = %q is not 64 hex characters", tt.in, got)
			}
		})
	}
}

// TestCheckAPIKeyFormatSingleChange flips every character of generated keys
// and expects the checksum (or the shape checks) to catch each change.
func TestCheckAPIKeyFormatSingleChange(t *testing.T) {
	t.Parallel()
	for _, live := range []bool{true, false} {
		for range 20 {
			secret, _ := GenerateAPIKey(live)
			for i := 0; i < len(secret); i++ {
				for _, repl := range []byte{'0', 'a', 'Z', 'z', '_', '-', secret[i] + 1, secret[i] - 1} {
					if repl == secret[i] {
						continue
					}
					mutated := secret[:i] + string(repl) + secret[i+1:]
					if CheckAPIKeyFormat(mutated) {
						t.Fatalf("CheckAPIKeyFormat(%q) = true after changing position %d of %q", mutated, i, secret)
					}
				}
			}
		}
	}
}

func TestCheckAPIKeyFormat(t *testing.T) {
	t.Parallel()
	live, _ := GenerateAPIKey(true)
	test, _ := GenerateAPIKey(false)
	withSum := func(body string) string { return body + keyChecksum(body) }
	random := strings.Repeat("a", 32)
	tests := []struct {
		name string
		key  string
		want bool
	}{
		{name: "generated live", key: live, want: true},
		{name: "generated test", key: test, want: true},
		{name: "hand-made with right checksum", key: withSum("kros_test_" + random), want: true},
		{name: "empty", key: ""},
		{name: "prefix only", key: "kros_live_"},
		{name: "one character short", key: live[:len(live)-1]},
		{name: "one character long", key: live + "a"},
		{name: "live body with test checksum", key: "kros_test_" + live[len("kros_live_"):]},
		{name: "wrong prefix, valid checksum", key: withSum("kros_prod_" + random)},
		{name: "upper-case prefix, valid checksum", key: withSum("KROS_LIVE_" + random)},
		{name: "other vendor prefix", key: withSum("sk_live_ab" + random)},
		{name: "non-base62 in random part, valid checksum", key: withSum("kros_live_" + strings.Repeat("a", 31) + "-")},
		{name: "space in random part, valid checksum", key: withSum("kros_live_" + strings.Repeat("a", 31) + " ")},
		{name: "non-ASCII, valid checksum", key: withSum("kros_live_" + strings.Repeat("a", 30) + "é")},
		{name: "whitespace around", key: " " + live[:len(live)-1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := CheckAPIKeyFormat(tt.key); got != tt.want {
				t.Fatalf("CheckAPIKeyFormat(%q) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

func TestParseScopes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    []Scope
		wantErr bool
	}{
		{name: "empty means all", in: "", want: AllScopes},
		{name: "blank means all", in: "  \t", want: AllScopes},
		{name: "one", in: "endpoints:read", want: []Scope{ScopeEndpointsRead}},
		{name: "two with spaces", in: "endpoints:read, calls:write", want: []Scope{ScopeEndpointsRead, ScopeCallsWrite}},
		{name: "order kept", in: "webhooks:write,numbers:read", want: []Scope{ScopeWebhooksWrite, ScopeNumbersRead}},
		{name: "duplicates removed", in: "calls:read,calls:read, calls:read", want: []Scope{ScopeCallsRead}},
		{name: "every scope", in: "endpoints:read,endpoints:write,numbers:read,numbers:write,calls:read,calls:write,webhooks:read,webhooks:write,trunks:read,trunks:write,keys:read,keys:write", want: AllScopes},
		{name: "KrosAI's spelling of the key scopes", in: "api-keys:read, api-keys:write,keys:read", want: []Scope{ScopeKeysRead, ScopeKeysWrite}},
		{name: "unknown scope", in: "endpoints:read,endpoints:admin", wantErr: true},
		{name: "case matters", in: "Endpoints:Read", wantErr: true},
		{name: "empty item", in: "endpoints:read,,calls:read", wantErr: true},
		{name: "trailing comma", in: "endpoints:read,", wantErr: true},
		{name: "wildcard", in: "*", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseScopes(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseScopes(%q) = %v, want an error", tt.in, got)
				}
				if ErrorCode(err) != ECodeValidation {
					t.Fatalf("ParseScopes(%q) error code = %q, want %q", tt.in, ErrorCode(err), ECodeValidation)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseScopes(%q) error: %v", tt.in, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("ParseScopes(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
	t.Run("all scopes are a copy", func(t *testing.T) {
		t.Parallel()
		got, _ := ParseScopes("")
		got[0] = "mutated"
		if AllScopes[0] != ScopeEndpointsRead {
			t.Fatalf("ParseScopes(\"\") returned AllScopes itself; mutation leaked")
		}
	})
}

func TestHasScope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		scopes []Scope
		sc     Scope
		want   bool
	}{
		{"held", []Scope{ScopeEndpointsRead, ScopeCallsWrite}, ScopeCallsWrite, true},
		{"read does not imply write", []Scope{ScopeEndpointsRead}, ScopeEndpointsWrite, false},
		{"write does not imply read", []Scope{ScopeNumbersWrite}, ScopeNumbersRead, false},
		{"no scopes", nil, ScopeEndpointsRead, false},
		{"all scopes", AllScopes, ScopeWebhooksWrite, true},
		{"empty scope never held", AllScopes, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := &APIKey{Scopes: tt.scopes}
			if got := k.HasScope(tt.sc); got != tt.want {
				t.Fatalf("HasScope(%q) on %v = %v, want %v", tt.sc, tt.scopes, got, tt.want)
			}
		})
	}
}

// TestAPIKeyJSONRoundTrip: a key reads back from its API form as it was,
// but for the hash, which that form never carries.
func TestAPIKeyJSONRoundTrip(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, live := range []bool{true, false} {
		k := &APIKey{ID: "key_1", OrganizationID: "org_1", Name: "ci", KeyPrefix: "kros_test_abcd", Hash: "h",
			Scopes: []Scope{ScopeCallsRead}, Live: live, CreatedAt: now, LastUsedAt: &now}
		b, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		var back APIKey
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		want := *k
		want.Hash = ""
		if !reflect.DeepEqual(back, want) {
			t.Errorf("%s read back as %+v, want %+v", b, back, want)
		}
	}
}
