package webhook

import (
	"net/http"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// Signing and verifying are switchboard.SignWebhook and its Verify
// functions, the one implementation the SDK (package client) uses too;
// this file puts them on net/http headers for the delivery worker and
// receivers.

// Header names sent on every delivery attempt (http.Header canonicalises
// them on the wire, "Webhook-Id", which is fine: header names are
// case-insensitive and every Standard Webhooks library looks them up that
// way).
const (
	HeaderWebhookID        = switchboard.HeaderWebhookID
	HeaderWebhookTimestamp = switchboard.HeaderWebhookTimestamp
	HeaderWebhookSignature = switchboard.HeaderWebhookSignature
	HeaderKrosAISignature  = switchboard.HeaderKrosAISignature
)

// SecretPrefix starts every signing secret.
const SecretPrefix = switchboard.SigningSecretPrefix

// UserAgent identifies our deliveries so receivers can allow-list or log
// them. The trailing number is bumped only if the signing contract changes.
const UserAgent = "Switchboard-Webhooks/1"

// DefaultTolerance is how far a webhook-timestamp may be from the
// receiver's clock, in either direction.
const DefaultTolerance = switchboard.DefaultWebhookTolerance

// Errors returned by Sign, Verify and VerifyKrosAI: the root package's,
// under the names this package has always had.
var (
	ErrInvalidSecret       = switchboard.ErrWebhookInvalidSecret
	ErrInvalidMessageID    = switchboard.ErrWebhookInvalidMessageID
	ErrMissingHeaders      = switchboard.ErrWebhookMissingHeaders
	ErrInvalidTimestamp    = switchboard.ErrWebhookInvalidTimestamp
	ErrTimestampTooOld     = switchboard.ErrWebhookTimestampTooOld
	ErrTimestampTooNew     = switchboard.ErrWebhookTimestampTooNew
	ErrNoMatchingSignature = switchboard.ErrWebhookNoMatchingSignature
)

// Sign returns the headers of one delivery attempt of body, signed with
// both schemes (switchboard.SignWebhook says how), with the Content-Type
// and User-Agent of a delivery.
func Sign(body []byte, msgID string, ts time.Time, secrets ...string) (http.Header, error) {
	sig, err := switchboard.SignWebhook(body, msgID, ts, secrets...)
	if err != nil {
		return nil, err
	}
	h := make(http.Header, 6)
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", UserAgent)
	h.Set(HeaderWebhookID, sig.ID)
	h.Set(HeaderWebhookTimestamp, sig.Timestamp)
	h.Set(HeaderWebhookSignature, sig.Signature)
	h.Set(HeaderKrosAISignature, sig.KrosAI)
	return h, nil
}

// Verify checks a Standard Webhooks v1 signature
// (switchboard.VerifyStandardWebhook). Our own tests' receiver uses it,
// and the docs show it as the reference receiver-side check.
func Verify(body []byte, header http.Header, secret string, now time.Time, tolerance time.Duration) error {
	return switchboard.VerifyStandardWebhook(body, header, secret, now, tolerance)
}

// VerifyKrosAI checks KrosAI's legacy X-Webhook-Signature
// (switchboard.VerifyKrosAIWebhook); it has no timestamp, so it does not
// rule out a replay.
func VerifyKrosAI(body []byte, header http.Header, secret string) error {
	return switchboard.VerifyKrosAIWebhook(body, header, secret)
}
