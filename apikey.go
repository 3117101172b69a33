package switchboard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"slices"
	"strings"
	"time"
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
)

// AllScopes lists every scope; a key created without --scopes gets them all.
var AllScopes = []Scope{
	ScopeEndpointsRead, ScopeEndpointsWrite,
	ScopeNumbersRead, ScopeNumbersWrite,
	ScopeCallsRead, ScopeCallsWrite,
	ScopeWebhooksRead, ScopeWebhooksWrite,
	ScopeTrunksRead, ScopeTrunksWrite,
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
		sc := Scope(strings.TrimSpace(part))
		if !slices.Contains(AllScopes, sc) {
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
// SHA-256 hash and a short display prefix.
type APIKey struct {
	ID             string     `json:"id"`
	OrganizationID string     `json:"organization_id"`
	Name           string     `json:"name"`
	KeyPrefix      string     `json:"key_prefix"`
	Hash           string     `json:"-"`
	Scopes         []Scope    `json:"scopes"`
	Live           bool       `json:"livemode"`
	CreatedAt      time.Time  `json:"created_at"`
	RevokedAt      *time.Time `json:"revoked_at"`
}

// HasScope reports whether the key grants sc.
func (k *APIKey) HasScope(sc Scope) bool { return slices.Contains(k.Scopes, sc) }

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

// APIKeyService manages API keys.
type APIKeyService interface {
	// CreateAPIKey stores key (its ID and CreatedAt are set by the store).
	CreateAPIKey(ctx context.Context, key *APIKey) error
	// FindAPIKeyByHash returns the unrevoked key with this hash, or an
	// INVALID_API_KEY error.
	FindAPIKeyByHash(ctx context.Context, hash string) (*APIKey, error)
}
