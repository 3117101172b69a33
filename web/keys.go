package web

import (
	"net/http"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// keysView is the organisation's API keys and the form of a new one.
type keysView struct {
	Keys        []*switchboard.APIKey
	Pager       pager
	Mode, State string
	Form        keyForm
	Self        string // the signed-in key's ID
}

// keyForm is the new-key form. It offers only the scopes the signed-in
// key holds: a key never grants more than it has (IssueAPIKey refuses).
type keyForm struct {
	Name, Mode, Expires string
	Scopes, Offered     []string
	Error               string
}

func (h *Handler) handleKeys(w http.ResponseWriter, r *http.Request, c *session) error {
	return h.showKeys(w, r, c, keyForm{Mode: switchboard.ModeLive, Scopes: c.key.ScopeNames()}, http.StatusOK)
}

func (h *Handler) showKeys(w http.ResponseWriter, r *http.Request, c *session, form keyForm, status int) error {
	q := r.URL.Query()
	page, n := pageOf(q)
	f := switchboard.APIKeyFilter{Mode: oneOf(q.Get("mode"), switchboard.ModeLive, switchboard.ModeTest), Page: page}
	state := oneOf(q.Get("state"), "active", "revoked")
	if state != "" {
		revoked := state == "revoked"
		f.Revoked = &revoked
	}
	keys, total, err := h.store.ListAPIKeys(r.Context(), c.key.OrganizationID, f)
	if err != nil {
		return err
	}
	form.Offered = c.key.ScopeNames()
	h.render(w, r, c, status, "keys", "API keys", keysView{Keys: keys, Pager: newPager(r, n, len(keys), total),
		Mode: f.Mode, State: state, Form: form, Self: c.key.ID})
	return nil
}

// handleCreateKey issues a key for the organisation and shows it once.
func (h *Handler) handleCreateKey(w http.ResponseWriter, r *http.Request, c *session) error {
	pf := r.PostForm
	form := keyForm{Name: pf.Get("name"), Mode: pf.Get("mode"), Expires: pf.Get("expires_at"), Scopes: pf["scopes"]}
	in := switchboard.APIKeyInput{Name: form.Name, Scopes: form.Scopes, Mode: form.Mode}
	var err error
	if form.Expires != "" {
		var t time.Time
		if t, err = time.Parse("2006-01-02T15:04", form.Expires); err != nil {
			err = errf("expires_at", "Give the expiry as a date and time (UTC).")
		}
		in.ExpiresAt = t.Format(time.RFC3339)
	}
	var secret string
	var key *switchboard.APIKey
	if err == nil {
		secret, key, err = h.store.IssueAPIKey(r.Context(), c.key, in)
	}
	if code := switchboard.ErrorCode(err); code == switchboard.ECodeValidation || code == switchboard.ECodeInsufficientScope {
		form.Error = switchboard.ErrorMessage(err)
		return h.showKeys(w, r, c, form, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	return h.showSecret(w, r, c, secretView{
		Heading: "API key " + key.Name + " created",
		What:    "Use it as x-api-key or a Bearer token, or sign in here with it. It is shown only this once: copy it now; Switchboard keeps only its hash.",
		Extra:   []secretLine{{"Scopes", joinScopes(key.Scopes)}},
		Secret:  secret, Next: "/ui/keys", NextLabel: "Back to the keys",
	})
}

func (h *Handler) handleConfirmRevoke(w http.ResponseWriter, r *http.Request, c *session) error {
	k, err := h.store.FindAPIKey(r.Context(), c.key.OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	msg := "Requests with it are refused at once on this node and within seconds on the others; its dashboard sessions end."
	if k.ID == c.key.ID {
		msg += " This is the key you are signed in with: you will be signed out."
	}
	return h.confirm(w, r, c, confirmView{
		Heading: "Revoke the key " + k.Name + " (" + k.KeyPrefix + "…)?", Message: msg,
		Action: "/ui/keys/" + k.ID + "/revoke", Button: "Revoke key", Back: "/ui/keys",
	})
}

func (h *Handler) handleRevoke(w http.ResponseWriter, r *http.Request, c *session) error {
	if _, err := h.store.RevokeAPIKey(r.Context(), c.key.OrganizationID, r.PathValue("id")); err != nil {
		return err
	}
	redirect(w, r, "/ui/keys", "revoked")
	return nil
}
