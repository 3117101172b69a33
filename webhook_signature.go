package switchboard

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Webhook signatures: the one implementation of both signing schemes
// (webhooks-notes.md §1.7), used by the delivery worker (package webhook)
// to sign and by the Go SDK (package client) and receivers to verify. It
// lives here, in pure functions, because those two adapters may not
// import each other.

// Header names of a signed delivery. The Standard Webhooks names are lower
// case in the spec; HTTP header names are case-insensitive.
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
	// HeaderKrosAISignature is KrosAI's legacy header, kept so that
	// receivers written against KrosAI keep verifying unchanged.
	HeaderKrosAISignature = "X-Webhook-Signature"
)

// SigningSecretPrefix starts every signing secret; the rest is standard,
// padded base64 of the raw key bytes (see NewSigningSecret).
const SigningSecretPrefix = "whsec_"

// DefaultWebhookTolerance is how far a webhook-timestamp may be from the
// receiver's clock, in either direction. It matches the Standard Webhooks
// reference libraries.
const DefaultWebhookTolerance = 5 * time.Minute

// KrosAI's legacy header value is "sha256=" and the lowercase hex digest.
const krosAIPrefix = "sha256="

// Errors of signing and verifying. They are wrapped with context, so
// compare with errors.Is. None of them ever contains a secret.
var (
	// ErrWebhookInvalidSecret: the secret is not "whsec_" followed by
	// canonical, non-empty standard base64.
	ErrWebhookInvalidSecret = errors.New("webhook: invalid signing secret")
	// ErrWebhookInvalidMessageID: the message id is empty, contains '.'
	// (which would make the signed content ambiguous) or is not a
	// printable token.
	ErrWebhookInvalidMessageID = errors.New("webhook: invalid message id")
	// ErrWebhookMissingHeaders: a required signature header is absent.
	ErrWebhookMissingHeaders = errors.New("webhook: missing signature headers")
	// ErrWebhookInvalidTimestamp: webhook-timestamp is not canonical unix seconds.
	ErrWebhookInvalidTimestamp = errors.New("webhook: invalid timestamp")
	// ErrWebhookTimestampTooOld: the attempt is older than the tolerance.
	ErrWebhookTimestampTooOld = errors.New("webhook: timestamp too old")
	// ErrWebhookTimestampTooNew: the attempt claims to be from the future.
	ErrWebhookTimestampTooNew = errors.New("webhook: timestamp too far in the future")
	// ErrWebhookNoMatchingSignature: no signature in the header matched.
	ErrWebhookNoMatchingSignature = errors.New("webhook: no matching signature")
)

// WebhookSignature is the signature headers of one delivery attempt.
type WebhookSignature struct {
	ID        string // webhook-id
	Timestamp string // webhook-timestamp, unix seconds
	Signature string // webhook-signature: one "v1,<base64>" per secret
	KrosAI    string // X-Webhook-Signature: "sha256=<hex>", current secret
}

// SignWebhook signs one delivery attempt of body with both schemes.
//
// msgID is the event id ("evt_…"); it must stay the same across retries
// because receivers deduplicate on webhook-id. ts is the time of this
// attempt and changes on every retry, which is what stops a captured
// request from being replayed after the tolerance window.
//
// secrets[0] is the current secret; any further secrets are previous ones
// still inside their rotation overlap (24 h). webhook-signature carries one
// "v1," entry per secret, space-separated, so a receiver that still has the
// old secret keeps verifying. X-Webhook-Signature carries the current
// secret only, because KrosAI receivers parse a single value.
//
// The Standard Webhooks key is the base64-decoded part after "whsec_"
// (as that spec requires); the KrosAI key is the UTF-8 bytes of the whole
// secret string, because that is what KrosAI receivers already pass to
// createHmac (webhooks-notes.md §1.6). SignWebhook never panics: a
// malformed secret or message id is an error.
func SignWebhook(body []byte, msgID string, ts time.Time, secrets ...string) (WebhookSignature, error) {
	if len(secrets) == 0 {
		return WebhookSignature{}, fmt.Errorf("%w: no secret given", ErrWebhookInvalidSecret)
	}
	if err := checkMessageID(msgID); err != nil {
		return WebhookSignature{}, err
	}
	unix := ts.Unix()
	if unix < 0 {
		// A negative timestamp would put a '-' into the signed content and
		// no receiver accepts it; it can only come from a zero time.Time.
		return WebhookSignature{}, fmt.Errorf("%w: %d is before 1970", ErrWebhookInvalidTimestamp, unix)
	}
	tsText := strconv.FormatInt(unix, 10)

	// Decode every key before signing anything so a bad old secret fails
	// the whole call instead of silently dropping its entry.
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		k, err := standardKey(s)
		if err != nil {
			return WebhookSignature{}, fmt.Errorf("secret %d: %w", i, err)
		}
		keys[i] = k
	}
	entries := make([]string, len(keys))
	for i, k := range keys {
		entries[i] = "v1," + base64.StdEncoding.EncodeToString(standardMAC(k, msgID, tsText, body))
	}
	return WebhookSignature{
		ID: msgID, Timestamp: tsText, Signature: strings.Join(entries, " "),
		KrosAI: krosAIPrefix + hex.EncodeToString(krosAIMAC(secrets[0], body)),
	}, nil
}

// HeaderReader is what verification reads of a request's headers;
// net/http's Header satisfies it (its lookups ignore case).
type HeaderReader interface {
	Get(key string) string
	Values(key string) []string
}

// VerifyStandardWebhook checks a Standard Webhooks v1 signature the way a
// receiver should: webhook-id, webhook-timestamp and webhook-signature
// must be present, the timestamp must be within tolerance of now in either
// direction, and at least one "v1," entry must equal HMAC-SHA256(key, id
// "." ts "." body), compared in constant time. Entries of other versions
// (v1a, v2, …) are skipped so that adding a scheme later does not break
// old receivers. A tolerance <= 0 means DefaultWebhookTolerance, so a
// forgotten argument does not turn into "reject everything".
func VerifyStandardWebhook(body []byte, header HeaderReader, secret string, now time.Time, tolerance time.Duration) error {
	key, err := standardKey(secret)
	if err != nil {
		return err
	}
	msgID := header.Get(HeaderWebhookID)
	tsText := header.Get(HeaderWebhookTimestamp)
	// A proxy may split a long list over several header lines; any of
	// them may carry the matching entry.
	sigLines := header.Values(HeaderWebhookSignature)
	if msgID == "" || tsText == "" || len(sigLines) == 0 {
		return ErrWebhookMissingHeaders
	}
	unix, err := strconv.ParseInt(tsText, 10, 64)
	// Require the canonical form: the signature covers the header text, and
	// "+17…" or "017…" would parse to the same instant as a different text.
	if err != nil || unix < 0 || strconv.FormatInt(unix, 10) != tsText {
		return ErrWebhookInvalidTimestamp
	}
	if tolerance <= 0 {
		tolerance = DefaultWebhookTolerance
	}
	// Compare in whole seconds, as an unsigned distance: a hostile
	// timestamp near MaxInt64 must not overflow a time.Duration or an int64
	// subtraction and wrap around into the window.
	nowUnix := now.Unix()
	old := unix < nowUnix
	var dist uint64
	if old {
		dist = uint64(nowUnix) - uint64(unix)
	} else {
		dist = uint64(unix) - uint64(nowUnix)
	}
	if dist > uint64(tolerance/time.Second) {
		if old {
			return ErrWebhookTimestampTooOld
		}
		return ErrWebhookTimestampTooNew
	}

	want := standardMAC(key, msgID, tsText, body)
	for _, line := range sigLines {
		for _, entry := range strings.Fields(line) {
			version, sig, ok := strings.Cut(entry, ",")
			if !ok || version != "v1" {
				continue
			}
			got, err := base64.StdEncoding.DecodeString(sig)
			if err != nil {
				continue
			}
			// hmac.Equal is constant-time in the content; the length check
			// it does first leaks only the (public) digest length.
			if hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return ErrWebhookNoMatchingSignature
}

// VerifyKrosAIWebhook checks KrosAI's legacy header, X-Webhook-Signature:
// "sha256=" + hex HMAC-SHA256(key = the secret string as given, message =
// the raw body). The scheme has no timestamp, so a valid result does not
// rule out a replay; receivers that can should use VerifyStandardWebhook.
//
// The secret is used verbatim (no "whsec_" check) because that is what
// KrosAI receivers do.
func VerifyKrosAIWebhook(body []byte, header HeaderReader, secret string) error {
	if secret == "" {
		return fmt.Errorf("%w: empty", ErrWebhookInvalidSecret)
	}
	v := strings.TrimSpace(header.Get(HeaderKrosAISignature))
	if v == "" {
		return ErrWebhookMissingHeaders
	}
	hexSig, ok := strings.CutPrefix(v, krosAIPrefix)
	if !ok {
		return ErrWebhookNoMatchingSignature
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return ErrWebhookNoMatchingSignature
	}
	if !hmac.Equal(got, krosAIMAC(secret, body)) {
		return ErrWebhookNoMatchingSignature
	}
	return nil
}

// standardKey returns the Standard Webhooks HMAC key of a secret: the
// base64-decoded bytes after "whsec_". Only canonical padded standard
// base64 is accepted (re-encoding must give back the same text): Go's
// decoder otherwise skips embedded newlines and ignores non-zero trailing
// bits, so two different secret strings, and therefore two different
// KrosAI keys, could map to one Standard Webhooks key.
func standardKey(secret string) ([]byte, error) {
	rest, ok := strings.CutPrefix(secret, SigningSecretPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: must start with %q", ErrWebhookInvalidSecret, SigningSecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(key) == 0 || base64.StdEncoding.EncodeToString(key) != rest {
		return nil, fmt.Errorf("%w: the part after %q must be standard base64", ErrWebhookInvalidSecret, SigningSecretPrefix)
	}
	return key, nil
}

// checkMessageID enforces what the spec asks of webhook-id: never empty and
// free of '.', the separator of the signed content. Restricting it to
// printable ASCII without spaces also keeps it a safe header value.
func checkMessageID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty", ErrWebhookInvalidMessageID)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f || c == '.' {
			return fmt.Errorf("%w: %q must be printable ASCII without '.' or spaces", ErrWebhookInvalidMessageID, id)
		}
	}
	return nil
}

// standardMAC is HMAC-SHA256(key, id "." ts "." body).
func standardMAC(key []byte, msgID, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msgID))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// krosAIMAC is HMAC-SHA256(UTF-8 bytes of the full secret string, body).
func krosAIMAC(secret string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}
