package client

import (
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// Errors of VerifyWebhook, to compare with errors.Is.
var (
	ErrWebhookInvalidSecret    = switchboard.ErrWebhookInvalidSecret
	ErrWebhookMissingHeaders   = switchboard.ErrWebhookMissingHeaders
	ErrWebhookInvalidTimestamp = switchboard.ErrWebhookInvalidTimestamp
	ErrWebhookTimestampTooOld  = switchboard.ErrWebhookTimestampTooOld
	ErrWebhookTimestampTooNew  = switchboard.ErrWebhookTimestampTooNew
	ErrWebhookBadSignature     = switchboard.ErrWebhookNoMatchingSignature
)

// VerifyWebhook checks that body, received with header, was signed by
// Switchboard with secret (the endpoint's or subscription's whsec_…
// secret), at most tolerance from now (<= 0: 5 minutes). Pass the raw
// body, before any JSON decoding.
//
// Switchboard signs every delivery with both schemes. When the request
// carries the Standard Webhooks headers (webhook-id, webhook-timestamp,
// webhook-signature) and secret is a whsec_ secret, those are checked:
// their signature covers the id and the timestamp, so a captured request
// cannot be replayed after the tolerance. Otherwise KrosAI's
// X-Webhook-Signature (sha256=<hex>) is checked, which has no timestamp.
// The signing itself is switchboard.SignWebhook's, the code the server
// signs with.
func VerifyWebhook(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	standard := header.Get(switchboard.HeaderWebhookSignature) != ""
	if standard && strings.HasPrefix(secret, switchboard.SigningSecretPrefix) {
		return switchboard.VerifyStandardWebhook(body, header, secret, now, tolerance)
	}
	if header.Get(switchboard.HeaderKrosAISignature) != "" {
		return switchboard.VerifyKrosAIWebhook(body, header, secret)
	}
	if standard {
		// Standard headers only, and a secret that cannot key them.
		return switchboard.VerifyStandardWebhook(body, header, secret, now, tolerance)
	}
	return ErrWebhookMissingHeaders
}
