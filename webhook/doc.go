// Package webhook holds the parts of webhook delivery that do not depend on
// the store: signing every attempt (KrosAI's legacy header and Standard
// Webhooks v1 side by side), the SSRF guard that decides which addresses a
// delivery may connect to, and the retry schedule.
//
// See DESIGN.md §9 and reference/webhooks-notes.md §1.1, §1.6 and §1.7 for
// why both signature schemes are sent and how the two HMAC keys are derived
// from one "whsec_…" secret.
package webhook
