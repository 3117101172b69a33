package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// webhooksView is the subscriptions.
type webhooksView struct {
	Webhooks []*switchboard.Webhook
	Pager    pager
}

func (h *Handler) handleWebhooks(w http.ResponseWriter, r *http.Request, c *session) error {
	page, n := pageOf(r.URL.Query())
	hooks, total, err := h.store.ListWebhooks(r.Context(), c.key.OrganizationID, page)
	if err != nil {
		return err
	}
	h.render(w, r, c, http.StatusOK, "webhooks", "Webhooks", webhooksView{Webhooks: hooks, Pager: newPager(r, n, len(hooks), total)})
	return nil
}

// webhookForm is the create and edit form of a subscription.
type webhookForm struct {
	ID, URL, Description string
	Events               []string
	Active               bool
	AllEvents            []string
	Error                string
}

// read fills the form from a POST. No event ticked means every event.
func (f *webhookForm) read(r *http.Request) {
	f.URL, f.Description = strings.TrimSpace(r.PostForm.Get("url")), strings.TrimSpace(r.PostForm.Get("description"))
	f.Events, f.Active = r.PostForm["events"], r.PostForm.Get("active") != ""
}

// events is the form's event list as the rules take it: none ticked is
// every event ("*").
func (f *webhookForm) events() []string {
	if len(f.Events) == 0 {
		return []string{"*"}
	}
	return f.Events
}

func (h *Handler) handleNewWebhook(w http.ResponseWriter, r *http.Request, c *session) error {
	h.render(w, r, c, http.StatusOK, "webhook_new", "New webhook", webhookForm{Active: true, AllEvents: switchboard.EventTypes})
	return nil
}

func (h *Handler) handleCreateWebhook(w http.ResponseWriter, r *http.Request, c *session) error {
	f := webhookForm{AllEvents: switchboard.EventTypes}
	f.read(r)
	active := f.Active
	hook, err := switchboard.NewWebhook(switchboard.WebhookInput{URL: f.URL, Events: f.events(), Active: &active, Description: f.Description})
	if err == nil {
		err = h.checkURL(r, hook.URL)
	}
	if err == nil {
		err = h.store.CreateWebhook(r.Context(), c.key.OrganizationID, hook)
	}
	if switchboard.ErrorCode(err) == switchboard.ECodeValidation {
		f.Error = switchboard.ErrorMessage(err)
		h.render(w, r, c, http.StatusUnprocessableEntity, "webhook_new", "New webhook", f)
		return nil
	}
	if err != nil {
		return err
	}
	return h.showSecret(w, r, c, secretView{
		Heading: "Webhook created",
		What:    "Every delivery to " + hook.URL + " is signed with this secret. It is shown only this once: copy it now.",
		Secret:  hook.Secret, Next: "/ui/webhooks/" + hook.ID, NextLabel: "Go to the webhook",
	})
}

// webhookView is one subscription, its form and its latest deliveries.
type webhookView struct {
	Webhook    *switchboard.Webhook
	Form       webhookForm
	Deliveries []*switchboard.Delivery
	Total      int
	Since      string
}

func (h *Handler) handleWebhook(w http.ResponseWriter, r *http.Request, c *session) error {
	hook, err := h.store.FindWebhook(r.Context(), c.key.OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.showWebhook(w, r, c, hook, webhookFormOf(hook), http.StatusOK)
}

func webhookFormOf(hook *switchboard.Webhook) webhookForm {
	f := webhookForm{ID: hook.ID, URL: hook.URL, Description: hook.Description, Active: hook.Active, AllEvents: switchboard.EventTypes}
	for _, e := range hook.Events {
		if e != "*" {
			f.Events = append(f.Events, e)
		}
	}
	return f
}

func (h *Handler) showWebhook(w http.ResponseWriter, r *http.Request, c *session, hook *switchboard.Webhook, f webhookForm, status int) error {
	ds, total, err := h.store.ListDeliveries(r.Context(), c.key.OrganizationID, switchboard.DeliveryFilter{WebhookID: hook.ID, Page: switchboard.Page{Limit: 10}})
	if err != nil {
		return err
	}
	since := h.cfg.Clock().UTC().Add(-24 * time.Hour).Format("2006-01-02T15:04")
	h.render(w, r, c, status, "webhook", "Webhook", webhookView{Webhook: hook, Form: f, Deliveries: ds, Total: total, Since: since})
	return nil
}

func (h *Handler) handleUpdateWebhook(w http.ResponseWriter, r *http.Request, c *session) error {
	org, id := c.key.OrganizationID, r.PathValue("id")
	cur, err := h.store.FindWebhook(r.Context(), org, id)
	if err != nil {
		return err
	}
	f := webhookFormOf(cur)
	f.read(r)
	p := switchboard.WebhookPatch{URL: set(f.URL), Events: set(f.events()), Active: set(f.Active), Description: set(f.Description)}
	if f.URL != cur.URL {
		err = h.checkURL(r, f.URL) // before the write: DNS must not run inside it
	}
	var hook *switchboard.Webhook
	if err == nil {
		hook, err = h.store.UpdateWebhook(r.Context(), org, id, func(w *switchboard.Webhook) (*switchboard.Webhook, error) { return w.Apply(p) })
	}
	if switchboard.ErrorCode(err) == switchboard.ECodeValidation {
		f.Error = switchboard.ErrorMessage(err)
		return h.showWebhook(w, r, c, cur, f, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	redirect(w, r, "/ui/webhooks/"+hook.ID, "updated")
	return nil
}

func (h *Handler) handleRotateWebhook(w http.ResponseWriter, r *http.Request, c *session) error {
	hook, err := h.store.RotateWebhookSecret(r.Context(), c.key.OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	what := "Deliveries are signed with this new secret from now on. It is shown only this once: copy it now."
	if hook.PreviousSecretExpiresAt != nil {
		what += " The old secret also signs them until " + hook.PreviousSecretExpiresAt.UTC().Format("2006-01-02 15:04 UTC") + ", so receivers can switch over."
	}
	return h.showSecret(w, r, c, secretView{Heading: "Secret rotated", What: what, Secret: hook.Secret,
		Next: "/ui/webhooks/" + hook.ID, NextLabel: "Back to the webhook"})
}

func (h *Handler) handleTestWebhook(w http.ResponseWriter, r *http.Request, c *session) error {
	id := r.PathValue("id")
	data := map[string]any{"webhook_id": id, "message": "This is a test event from Switchboard."}
	if _, err := h.store.EmitEvent(r.Context(), c.key.OrganizationID, switchboard.EventWebhookTest, data,
		switchboard.EmitOptions{WebhookID: id}); err != nil {
		return err
	}
	redirect(w, r, "/ui/deliveries?webhook_id="+id, "tested")
	return nil
}

// handleReplay queues one more attempt of every failed delivery of the
// subscription created since the form's time (UTC).
func (h *Handler) handleReplay(w http.ResponseWriter, r *http.Request, c *session) error {
	id := r.PathValue("id")
	since, err := time.Parse("2006-01-02T15:04", r.PostForm.Get("since"))
	if err != nil {
		return errf("since", "Give the start of the range as a date and time.")
	}
	if _, err := h.store.ReplayDeliveries(r.Context(), c.key.OrganizationID, id, since); err != nil {
		return err
	}
	redirect(w, r, "/ui/deliveries?webhook_id="+id, "replayed")
	return nil
}

func (h *Handler) handleConfirmDeleteWebhook(w http.ResponseWriter, r *http.Request, c *session) error {
	hook, err := h.store.FindWebhook(r.Context(), c.key.OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.confirm(w, r, c, confirmView{
		Heading: "Delete the webhook to " + hook.URL + "?",
		Message: "No more events are sent to it. Its past deliveries stay in the log.",
		Action:  "/ui/webhooks/" + hook.ID + "/delete", Button: "Delete webhook", Back: "/ui/webhooks/" + hook.ID,
	})
}

func (h *Handler) handleDeleteWebhook(w http.ResponseWriter, r *http.Request, c *session) error {
	if err := h.store.DeleteWebhook(r.Context(), c.key.OrganizationID, r.PathValue("id")); err != nil {
		return err
	}
	redirect(w, r, "/ui/webhooks", "deleted")
	return nil
}

// deliveriesView is the delivery log and its filters.
type deliveriesView struct {
	Deliveries               []*switchboard.Delivery
	Pager                    pager
	WebhookID, Status, Event string
	CallID                   string
	Webhooks                 []*switchboard.Webhook
	EventTypes               []string
}

func (h *Handler) handleDeliveries(w http.ResponseWriter, r *http.Request, c *session) error {
	q := r.URL.Query()
	page, n := pageOf(q)
	f := switchboard.DeliveryFilter{
		WebhookID: strings.TrimSpace(q.Get("webhook_id")),
		Status:    oneOf(q.Get("status"), switchboard.DeliveryPending, switchboard.DeliveryDelivered, switchboard.DeliveryFailed),
		Event:     oneOf(q.Get("event"), append([]string{switchboard.EventWebhookTest}, switchboard.EventTypes...)...),
		CallID:    strings.TrimSpace(q.Get("call_id")),
		Page:      page,
	}
	ds, total, err := h.store.ListDeliveries(r.Context(), c.key.OrganizationID, f)
	if err != nil {
		return err
	}
	hooks, _, err := h.store.ListWebhooks(r.Context(), c.key.OrganizationID, switchboard.Page{Limit: switchboard.MaxLimit})
	if err != nil {
		return err
	}
	h.render(w, r, c, http.StatusOK, "deliveries", "Deliveries", deliveriesView{
		Deliveries: ds, Pager: newPager(r, n, len(ds), total), WebhookID: f.WebhookID, Status: f.Status, Event: f.Event, CallID: f.CallID,
		Webhooks: hooks, EventTypes: append([]string{switchboard.EventWebhookTest}, switchboard.EventTypes...)})
	return nil
}

func (h *Handler) handleDelivery(w http.ResponseWriter, r *http.Request, c *session) error {
	d, err := h.store.FindDelivery(r.Context(), c.key.OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	h.render(w, r, c, http.StatusOK, "delivery", "Delivery", d)
	return nil
}

func (h *Handler) handleRetry(w http.ResponseWriter, r *http.Request, c *session) error {
	d, err := h.store.RetryDelivery(r.Context(), c.key.OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	redirect(w, r, "/ui/deliveries/"+d.ID, "retried")
	return nil
}
