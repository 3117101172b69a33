package web

import (
	"net/http"
	"strings"

	"github.com/switchboard-voice/switchboard"
)

// routes is the whole surface of the dashboard. Every route but sign-in
// and the static files goes through auth, with the scope its action
// needs: reads need the read scope, every POST the write scope.
func (h *Handler) routes() http.Handler {
	const (
		epR, epW   = switchboard.ScopeEndpointsRead, switchboard.ScopeEndpointsWrite
		numR, numW = switchboard.ScopeNumbersRead, switchboard.ScopeNumbersWrite
		callR      = switchboard.ScopeCallsRead
		callW      = switchboard.ScopeCallsWrite
		whR, whW   = switchboard.ScopeWebhooksRead, switchboard.ScopeWebhooksWrite
		trR, trW   = switchboard.ScopeTrunksRead, switchboard.ScopeTrunksWrite
		keyR, keyW = switchboard.ScopeKeysRead, switchboard.ScopeKeysWrite
	)
	m := http.NewServeMux()
	m.Handle("GET /ui/static/", h.staticFiles())
	m.HandleFunc("GET /ui/signin", h.handleSignInForm)
	m.HandleFunc("POST /ui/signin", h.handleSignIn)
	m.HandleFunc("POST /ui/signout", h.auth("", h.handleSignOut))
	m.HandleFunc("GET /ui/{$}", h.auth("", h.handleOverview))

	m.HandleFunc("GET /ui/endpoints", h.auth(epR, h.handleEndpoints))
	m.HandleFunc("GET /ui/endpoints/new", h.auth(epW, h.handleNewEndpoint))
	m.HandleFunc("POST /ui/endpoints", h.auth(epW, h.handleCreateEndpoint))
	m.HandleFunc("GET /ui/endpoints/{id}", h.auth(epR, h.handleEndpoint))
	m.HandleFunc("POST /ui/endpoints/{id}", h.auth(epW, h.handleUpdateEndpoint))
	m.HandleFunc("GET /ui/endpoints/{id}/delete", h.auth(epW, h.handleConfirmDeleteEndpoint))
	m.HandleFunc("POST /ui/endpoints/{id}/delete", h.auth(epW, h.handleDeleteEndpoint))

	m.HandleFunc("GET /ui/numbers", h.auth(numR, h.handleNumbers))
	m.HandleFunc("GET /ui/numbers/available", h.auth(numR, h.handleAvailable))
	m.HandleFunc("POST /ui/numbers", h.auth(numW, h.handleClaim))
	m.HandleFunc("GET /ui/numbers/{id}", h.auth(numR, h.handleNumber))
	m.HandleFunc("POST /ui/numbers/{id}", h.auth(numW, h.handleUpdateNumber))
	m.HandleFunc("POST /ui/numbers/{id}/sip-credentials", h.auth(numW, h.handleRotateSIP))
	m.HandleFunc("GET /ui/numbers/{id}/release", h.auth(numW, h.handleConfirmRelease))
	m.HandleFunc("POST /ui/numbers/{id}/release", h.auth(numW, h.handleRelease))

	m.HandleFunc("GET /ui/calls", h.auth(callR, h.handleCalls))
	m.HandleFunc("GET /ui/calls/live", h.auth(callR, h.handleLive))
	m.HandleFunc("GET /ui/calls/live/rows", h.auth(callR, h.handleLiveRows))
	m.HandleFunc("GET /ui/calls/{id}", h.auth(callR, h.handleCall))
	m.HandleFunc("GET /ui/calls/{id}/hangup", h.auth(callW, h.handleConfirmHangup))
	m.HandleFunc("POST /ui/calls/{id}/hangup", h.auth(callW, h.handleHangup))

	m.HandleFunc("GET /ui/webhooks", h.auth(whR, h.handleWebhooks))
	m.HandleFunc("GET /ui/webhooks/new", h.auth(whW, h.handleNewWebhook))
	m.HandleFunc("POST /ui/webhooks", h.auth(whW, h.handleCreateWebhook))
	m.HandleFunc("GET /ui/webhooks/{id}", h.auth(whR, h.handleWebhook))
	m.HandleFunc("POST /ui/webhooks/{id}", h.auth(whW, h.handleUpdateWebhook))
	m.HandleFunc("POST /ui/webhooks/{id}/rotate", h.auth(whW, h.handleRotateWebhook))
	m.HandleFunc("POST /ui/webhooks/{id}/test", h.auth(whW, h.handleTestWebhook))
	m.HandleFunc("POST /ui/webhooks/{id}/replay", h.auth(whW, h.handleReplay))
	m.HandleFunc("GET /ui/webhooks/{id}/delete", h.auth(whW, h.handleConfirmDeleteWebhook))
	m.HandleFunc("POST /ui/webhooks/{id}/delete", h.auth(whW, h.handleDeleteWebhook))
	m.HandleFunc("GET /ui/deliveries", h.auth(whR, h.handleDeliveries))
	m.HandleFunc("GET /ui/deliveries/{id}", h.auth(whR, h.handleDelivery))
	m.HandleFunc("POST /ui/deliveries/{id}/retry", h.auth(whW, h.handleRetry))

	m.HandleFunc("GET /ui/trunks", h.auth(trR, h.handleTrunks))
	m.HandleFunc("GET /ui/trunks/new", h.auth(trW, h.handleNewTrunk))
	m.HandleFunc("POST /ui/trunks", h.auth(trW, h.handleCreateTrunk))
	m.HandleFunc("GET /ui/trunks/{id}", h.auth(trR, h.handleTrunk))
	m.HandleFunc("POST /ui/trunks/{id}", h.auth(trW, h.handleUpdateTrunk))
	m.HandleFunc("GET /ui/trunks/{id}/delete", h.auth(trW, h.handleConfirmDeleteTrunk))
	m.HandleFunc("POST /ui/trunks/{id}/delete", h.auth(trW, h.handleDeleteTrunk))

	m.HandleFunc("GET /ui/keys", h.auth(keyR, h.handleKeys))
	m.HandleFunc("POST /ui/keys", h.auth(keyW, h.handleCreateKey))
	m.HandleFunc("GET /ui/keys/{id}/revoke", h.auth(keyW, h.handleConfirmRevoke))
	m.HandleFunc("POST /ui/keys/{id}/revoke", h.auth(keyW, h.handleRevoke))

	m.HandleFunc("/ui/", h.auth("", func(w http.ResponseWriter, r *http.Request, c *session) error {
		return switchboard.Errorf(switchboard.ECodeNotFound, "There is no page at %s.", r.URL.Path)
	}))
	return m
}

// staticFiles serves the embedded style sheet and htmx. They change only
// with the binary, so browsers may keep them for an hour.
func (h *Handler) staticFiles() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // files only, no directory listings
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.static.ServeHTTP(w, r)
	})
}

// confirmView is the page that asks before a destructive write: a form
// that POSTs to Action, or a link Back.
type confirmView struct {
	Heading, Message, Action, Button, Back string
}

// confirm renders the confirmation page.
func (h *Handler) confirm(w http.ResponseWriter, r *http.Request, c *session, v confirmView) error {
	h.render(w, r, c, http.StatusOK, "confirm", v.Heading, v)
	return nil
}
