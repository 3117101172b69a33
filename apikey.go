package switchboard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash/crc32"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Scope grants one kind of access to an API key.
type Scope string

// The scopes an API key can hold.
const (
	ScopeEndpointsRead  Scope = "endpoints:read"
	ScopeEndpointsWrite Scope = "endpoints:write"
	ScopeNumbersRead    Scope = "numbers:read"
	ScopeNumbersWrite   Scope = "numbers:write"
	ScopeCallsRead      Scope = "calls:read"
	ScopeCallsWrite     Scope = "calls:write"
	ScopeWebhooksRead   Scope = "webhooks:read"
	ScopeWebhooksWrite  Scope = "webhooks:write"
	ScopeTrunksRead     Scope = "trunks:read"
	ScopeTrunksWrite    Scope = "trunks:write"
	ScopeKeysRead       Scope = "keys:read"
	ScopeKeysWrite      Scope = "keys:write"
)

// AllScopes lists every scope; a key created without --scopes gets them all.
var AllScopes = []Scope{
	ScopeEndpointsRead, ScopeEndpointsWrite,
	ScopeNumbersRead, ScopeNumbersWrite,
	ScopeCallsRead, ScopeCallsWrite,
	ScopeWebhooksRead, ScopeWebhooksWrite,
	ScopeTrunksRead, ScopeTrunksWrite,
	ScopeKeysRead, ScopeKeysWrite,
}

// scopeAliases are the spellings of KrosAI's authentication guide for
// scopes we name otherwise; they are read as ours and never written.
var scopeAliases = map[string]Scope{"api-keys:read": ScopeKeysRead, "api-keys:write": ScopeKeysWrite}

// parseScope returns the scope s names, alias or not.
func parseScope(s string) (Scope, bool) {
	if sc, ok := scopeAliases[s]; ok {
		return sc, true
	}
	sc := Scope(s)
	return sc, slices.Contains(AllScopes, sc)
}

// ParseScopes reads a comma-separated scope list. An empty list means all
// scopes; an unknown scope is an error so a typo never yields a weaker key
// than the operator meant to make.
func ParseScopes(s string) ([]Scope, error) {
	if strings.TrimSpace(s) == "" {
		return slices.Clone(AllScopes), nil
	}
	var out []Scope
	for _, part := range strings.Split(s, ",") {
		sc, ok := parseScope(strings.TrimSpace(part))
		if !ok {
			return nil, Errorf(ECodeValidation, "unknown scope %q", part)
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}

// API key format: kros_live_ or kros_test_, then keyRandLen base62
// characters of randomness, then a keyCheckLen-character checksum of
// everything before it. The checksum lets us (and secret scanners) reject a
// mistyped or made-up key without a database lookup.
const (
	KeyPrefixLive = "kros_live_"
	KeyPrefixTest = "kros_test_"
	keyRandLen    = 32
	keyCheckLen   = 6
	// KeyDisplayLen is how much of a key is kept in clear for display.
	KeyDisplayLen = 14
)

// APIKey is a stored API key. The secret itself is never stored: only its
// SHA-256 hash and a short display prefix. Its JSON is MarshalJSON's.
type APIKey struct {
	ID             string
	OrganizationID string
	Name           string
	KeyPrefix      string
	Hash           string
	Scopes         []Scope
	Live           bool
	CreatedAt      time.Time
	// ExpiresAt, when set, is when the key stops working.
	ExpiresAt *time.Time
	// LastUsedAt is when a request last authenticated with the key, to
	// APIKeyUsedResolution: the API records a use at most once a minute per
	// key (Service.TouchAPIKey).
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Key modes, the `mode` of a key's JSON.
const (
	ModeLive = "live"
	ModeTest = "test"
)

// Mode is ModeLive or ModeTest, from the key's prefix. A test key is a
// label only: it has the same powers as a live key (docs/api.md).
func (k *APIKey) Mode() string {
	if k.Live {
		return ModeLive
	}
	return ModeTest
}

// apiKeyJSON is an API key as the API shows it. prefix and mode are the
// names of the issue that specified the keys API; key_prefix (KrosAI's
// ApiKey object) and livemode were served first and stay, so both
// spellings are there.
type apiKeyJSON struct {
	ID             string     `json:"id"`
	OrganizationID string     `json:"organization_id"`
	Name           string     `json:"name"`
	Prefix         string     `json:"prefix"`
	KeyPrefix      string     `json:"key_prefix"`
	Scopes         []Scope    `json:"scopes"`
	Mode           string     `json:"mode"`
	Livemode       bool       `json:"livemode"`
	CreatedAt      time.Time  `json:"created_at"`
	LastUsedAt     *time.Time `json:"last_used_at"`
	ExpiresAt      *time.Time `json:"expires_at"`
	RevokedAt      *time.Time `json:"revoked_at"`
}

// MarshalJSON writes the key without its hash.
func (k *APIKey) MarshalJSON() ([]byte, error) {
	scopes := k.Scopes
	if scopes == nil {
		scopes = []Scope{}
	}
	return json.Marshal(apiKeyJSON{
		ID: k.ID, OrganizationID: k.OrganizationID, Name: k.Name,
		Prefix: k.KeyPrefix, KeyPrefix: k.KeyPrefix, Scopes: scopes,
		Mode: k.Mode(), Livemode: k.Live, CreatedAt: k.CreatedAt,
		LastUsedAt: k.LastUsedAt, ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt,
	})
}

// HasScope reports whether the key grants sc.
func (k *APIKey) HasScope(sc Scope) bool { return slices.Contains(k.Scopes, sc) }

// CheckUsable returns nil when the key may authenticate a request at now,
// else INVALID_API_KEY saying why (revoked, or expired). It is the one
// rule both the store lookup and the API's key cache apply, so a cached
// key expires on time.
func (k *APIKey) CheckUsable(now time.Time) error {
	switch {
	case k.RevokedAt != nil:
		return Errorf(ECodeInvalidAPIKey, "This API key has been revoked.")
	case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt):
		return Errorf(ECodeInvalidAPIKey, "This API key has expired.")
	}
	return nil
}

// APIKeyUsedResolution is how precisely LastUsedAt follows the key's use:
// a use is recorded only when the last one recorded is at least this old.
// A write per request would put every API call on the database's write
// path (SQLite's single writer; a PostgreSQL row version per request);
// a dashboard showing "last used" needs no better than the minute.
const APIKeyUsedResolution = time.Minute

// MaxAPIKeyName bounds a key's name.
const MaxAPIKeyName = 100

// APIKeyInput is the body of POST /v1/api-keys.
type APIKeyInput struct {
	Name string `json:"name"`
	// Scopes are strings so that an unknown one is named in the error.
	Scopes []string `json:"scopes"`
	// ExpiresAt, when not "", is an RFC 3339 time in the future. It is
	// text so that a malformed one is a VALIDATION_ERROR naming the field.
	ExpiresAt string `json:"expires_at"`
	// Mode is ModeLive (the default) or ModeTest.
	Mode string `json:"mode"`
}

// NewAPIKey checks in at now and returns the secret of a new key and the
// key to store (without ID, organisation or CreatedAt). Whether the
// creating key may grant the scopes is the Service's rule (IssueAPIKey).
func NewAPIKey(in APIKeyInput, now time.Time) (string, *APIKey, error) {
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		return "", nil, FieldError("name", "name is required")
	case utf8.RuneCountInString(name) > MaxAPIKeyName || !utf8.ValidString(name):
		return "", nil, FieldError("name", "name must be 1 to %d characters", MaxAPIKeyName)
	case len(in.Scopes) == 0:
		return "", nil, FieldError("scopes", "scopes is required: name at least one of %v", AllScopes)
	}
	var scopes []Scope
	for _, s := range in.Scopes {
		sc, ok := parseScope(s)
		if !ok {
			return "", nil, FieldError("scopes", "unknown scope %q: scopes are %v", s, AllScopes)
		}
		if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	var live bool
	switch in.Mode {
	case "", ModeLive:
		live = true
	case ModeTest:
	default:
		return "", nil, FieldError("mode", "mode must be %s or %s", ModeLive, ModeTest)
	}
	var expires *time.Time
	if in.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339Nano, in.ExpiresAt)
		if err != nil {
			return "", nil, FieldError("expires_at", "expires_at must be an RFC 3339 time, such as 2030-01-02T15:04:05Z")
		}
		t = t.UTC().Truncate(time.Microsecond)
		if !t.After(now) {
			return "", nil, FieldError("expires_at", "expires_at must be in the future")
		}
		expires = &t
	}
	secret, key := GenerateAPIKey(live)
	key.Name, key.Scopes, key.ExpiresAt = name, scopes, expires
	return secret, &key, nil
}

// APIKeyFilter selects the keys of a list.
type APIKeyFilter struct {
	Mode    string // "", live or test
	Revoked *bool  // nil: every key; else revoked or not
	Page
}

// ScopeNames returns the key's scopes as the strings a store keeps.
func (k *APIKey) ScopeNames() []string {
	names := make([]string, len(k.Scopes))
	for i, s := range k.Scopes {
		names[i] = string(s)
	}
	return names
}

// GenerateAPIKey returns a new secret key and the APIKey record to store for
// it (without ID, organisation or times, which the caller sets).
func GenerateAPIKey(live bool) (secret string, key APIKey) {
	prefix := KeyPrefixTest
	if live {
		prefix = KeyPrefixLive
	}
	body := prefix + RandomBase62(keyRandLen)
	secret = body + keyChecksum(body)
	return secret, APIKey{
		KeyPrefix: secret[:KeyDisplayLen],
		Hash:      HashAPIKey(secret),
		Live:      live,
	}
}

// CheckAPIKeyFormat reports whether s has the shape and checksum of a key
// we issue.
func CheckAPIKeyFormat(s string) bool {
	if len(s) != len(KeyPrefixLive)+keyRandLen+keyCheckLen {
		return false
	}
	if !strings.HasPrefix(s, KeyPrefixLive) && !strings.HasPrefix(s, KeyPrefixTest) {
		return false
	}
	body, sum := s[:len(s)-keyCheckLen], s[len(s)-keyCheckLen:]
	for i := len(KeyPrefixLive); i < len(body); i++ {
		if strings.IndexByte(base62, body[i]) < 0 {
			return false
		}
	}
	return keyChecksum(body) == sum
}

// HashAPIKey returns the hex SHA-256 of a key. Keys carry 190 bits of
// randomness, so a fast hash is enough; a slow KDF would only cost latency.
func HashAPIKey(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

func keyChecksum(body string) string {
	c := crc32.ChecksumIEEE([]byte(body))
	out := make([]byte, keyCheckLen)
	for i := keyCheckLen - 1; i >= 0; i-- {
		out[i] = base62[c%62]
		c /= 62
	}
	return string(out)
}

// APIKeyService manages API keys. Every method but CreateAPIKey and
// FindAPIKeyByHash is scoped to one organisation; another organisation's
// key is API_KEY_NOT_FOUND.
type APIKeyService interface {
	// CreateAPIKey stores key (its ID and CreatedAt are set by the store),
	// with no rule on its scopes: the CLI's and the bootstrap's way.
	CreateAPIKey(ctx context.Context, key *APIKey) error
	// IssueAPIKey creates a key from in for by's organisation, on behalf
	// of by: a key never grants a scope it does not hold
	// (INSUFFICIENT_SCOPE). It returns the secret, shown only this once.
	IssueAPIKey(ctx context.Context, by *APIKey, in APIKeyInput) (secret string, key *APIKey, err error)
	// FindAPIKeyByHash returns the key with this hash if it may be used
	// now (not revoked, not expired), or an INVALID_API_KEY error.
	FindAPIKeyByHash(ctx context.Context, hash string) (*APIKey, error)
	// FindAPIKeyByID returns the key with this ID whatever its
	// organisation, or API_KEY_NOT_FOUND: for operator tools (the CLI's
	// keys revoke), never for a request an API key authenticates.
	FindAPIKeyByID(ctx context.Context, id string) (*APIKey, error)
	// FindAPIKey returns the organisation's key, revoked or not.
	FindAPIKey(ctx context.Context, orgID, id string) (*APIKey, error)
	// ListAPIKeys returns one page of the organisation's keys, newest
	// first, and the total that match the filter.
	ListAPIKeys(ctx context.Context, orgID string, f APIKeyFilter) ([]*APIKey, int, error)
	// RevokeAPIKey revokes the organisation's key and returns it; revoking
	// a revoked key changes nothing and returns it as it is. Every node's
	// API stops accepting it through the change feed.
	RevokeAPIKey(ctx context.Context, orgID, id string) (*APIKey, error)
	// TouchAPIKey records that the key authenticated a request now, unless
	// a use within APIKeyUsedResolution is recorded already.
	TouchAPIKey(ctx context.Context, orgID, id string) error
}

// UnmarshalJSON reads a key as the API shows it (MarshalJSON's form), so
// that clients decode API responses into the one APIKey type. The hash is
// never in that form, so it stays empty.
func (k *APIKey) UnmarshalJSON(b []byte) error {
	var v apiKeyJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	prefix := v.Prefix
	if prefix == "" {
		prefix = v.KeyPrefix
	}
	*k = APIKey{
		ID: v.ID, OrganizationID: v.OrganizationID, Name: v.Name, KeyPrefix: prefix,
		Scopes: v.Scopes, Live: v.Mode == ModeLive || (v.Mode == "" && v.Livemode),
		CreatedAt: v.CreatedAt, LastUsedAt: v.LastUsedAt, ExpiresAt: v.ExpiresAt, RevokedAt: v.RevokedAt,
	}
	return nil
}
