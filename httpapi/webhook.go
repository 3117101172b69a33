package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard"
)

func (s *Server) handleListWebhooks(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r.URL.Query())
	p := q.page()
	if q.err != nil {
		return q.err
	}
	hooks, total, err := s.store.ListWebhooks(r.Context(), apiKey(r.Context()).OrganizationID, p)
	if err != nil {
		return err
	}
	if !showsSecrets(r, switchboard.ScopeWebhooksWrite) {
		view := make([]*switchboard.Webhook, len(hooks))
		for i, h := range hooks {
			view[i] = webhookWithoutSecret(h)
		}
		hooks = view
	}
	writeJSON(w, http.StatusOK, listBody("webhooks", hooks, total, p))
	return nil
}

func (s *Server) handleCreateWebhook(w http.ResponseWriter, r *http.Request) error {
	var in switchboard.WebhookInput
	if err := s.decode(r, &in); err != nil {
		return err
	}
	hook, err := switchboard.NewWebhook(in)
	if err != nil {
		return err
	}
	if err := s.checkURL(r, hook.URL); err != nil {
		return err
	}
	if err := s.store.CreateWebhook(r.Context(), apiKey(r.Context()).OrganizationID, hook); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, hook)
	return nil
}

func (s *Server) handleGetWebhook(w http.ResponseWriter, r *http.Request) error {
	hook, err := s.store.FindWebhook(r.Context(), apiKey(r.Context()).OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if !showsSecrets(r, switchboard.ScopeWebhooksWrite) {
		hook = webhookWithoutSecret(hook)
	}
	writeJSON(w, http.StatusOK, hook)
	return nil
}

func (s *Server) handleUpdateWebhook(w http.ResponseWriter, r *http.Request) error {
	var p switchboard.WebhookPatch
	if err := s.decode(r, &p); err != nil {
		return err
	}
	orgID, id := apiKey(r.Context()).OrganizationID, r.PathValue("id")
	if p.URL.Set && !p.URL.Null {
		// Vet the URL before the write transaction, so DNS never runs while
		// the store holds its writer; an unknown id is still a 404.
		_, err := s.store.FindWebhook(r.Context(), orgID, id)
		if err == nil {
			err = s.checkURL(r, strings.TrimSpace(p.URL.Value))
		}
		if err != nil {
			return err
		}
	}
	hook, err := s.store.UpdateWebhook(r.Context(), orgID, id,
		func(cur *switchboard.Webhook) (*switchboard.Webhook, error) { return cur.Apply(p) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hook)
	return nil
}

func (s *Server) handleDeleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.store.DeleteWebhook(r.Context(), apiKey(r.Context()).OrganizationID, id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "deleted": true})
	return nil
}

func (s *Server) handleRotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	if err := s.noBody(r); err != nil {
		return err
	}
	hook, err := s.store.RotateWebhookSecret(r.Context(), apiKey(r.Context()).OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hook)
	return nil
}

// handleTestWebhook queues a webhook.test event for this subscription only.
func (s *Server) handleTestWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := s.noBody(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	data := map[string]any{"webhook_id": id, "message": "This is a test event from Switchboard."}
	evt, err := s.store.EmitEvent(r.Context(), apiKey(r.Context()).OrganizationID, switchboard.EventWebhookTest, data,
		switchboard.EmitOptions{WebhookID: id})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, evt)
	return nil
}

func (s *Server) handleListDeliveries(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r.URL.Query(), "webhook_id", "status", "event")
	f := switchboard.DeliveryFilter{
		WebhookID: q.str("webhook_id"),
		Status:    q.oneOf("status", switchboard.DeliveryPending, switchboard.DeliveryDelivered, switchboard.DeliveryFailed),
		Event:     q.str("event"),
		Page:      q.page(),
	}
	if q.err != nil {
		return q.err
	}
	ds, total, err := s.store.ListDeliveries(r.Context(), apiKey(r.Context()).OrganizationID, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listBody("webhook_deliveries", ds, total, f.Page))
	return nil
}

func (s *Server) handleGetDelivery(w http.ResponseWriter, r *http.Request) error {
	d, err := s.store.FindDelivery(r.Context(), apiKey(r.Context()).OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// handleRetryDelivery queues one more attempt of a failed or delivered delivery.
func (s *Server) handleRetryDelivery(w http.ResponseWriter, r *http.Request) error {
	if err := s.noBody(r); err != nil {
		return err
	}
	d, err := s.store.RetryDelivery(r.Context(), apiKey(r.Context()).OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, d)
	return nil
}

// replayBody is POST /v1/webhooks/{id}/replay.
type replayBody struct {
	Since string `json:"since"`
}

// handleReplayWebhook queues one more attempt of every failed delivery of
// the subscription created since the given time.
func (s *Server) handleReplayWebhook(w http.ResponseWriter, r *http.Request) error {
	var b replayBody
	if err := s.decode(r, &b); err != nil {
		return err
	}
	since, err := time.Parse(time.RFC3339Nano, b.Since)
	if err != nil {
		return switchboard.FieldError("since", "since must be an RFC 3339 time such as 2026-11-28T00:00:00Z")
	}
	id := r.PathValue("id")
	n, err := s.store.ReplayDeliveries(r.Context(), apiKey(r.Context()).OrganizationID, id, since)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"webhook_id": id, "since": since.UTC(), "replayed": n})
	return nil
}
