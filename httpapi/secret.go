package httpapi

import (
	"net/http"

	"github.com/switchboard-voice/switchboard"
)

// Signing secrets (whsec_…) let whoever holds them forge webhooks that the
// receiver trusts, so they are shown only to keys that may change the
// resource they sign: endpoints:write for webhook endpoints, webhooks:write
// for subscriptions. A key with only the :read scope sees the resource
// without its secret. Responses are shaped here and nowhere else; the
// stores always hold and return the secret.

// showsSecrets reports whether the caller's key holds the scope that lets
// it see signing secrets.
func showsSecrets(r *http.Request, write switchboard.Scope) bool {
	return apiKey(r.Context()).HasScope(write)
}

// endpointWithoutSecret returns ep as a key without endpoints:write sees
// it. ep may be shared with the store's cache, so it is copied, not changed.
func endpointWithoutSecret(ep *switchboard.Endpoint) *switchboard.Endpoint {
	if ep.Secret == "" {
		return ep
	}
	return ep.EventView()
}

// webhookWithoutSecret returns hook as a key without webhooks:write sees it.
func webhookWithoutSecret(hook *switchboard.Webhook) *switchboard.Webhook {
	v := *hook
	v.Secret = ""
	return &v
}
