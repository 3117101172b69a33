package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-voice/switchboard"
)

// endpointsView is the list of endpoints.
type endpointsView struct {
	Endpoints    []*switchboard.Endpoint
	Pager        pager
	Type, Status string
	Providers    []string
}

func (h *Handler) handleEndpoints(w http.ResponseWriter, r *http.Request, c *session) error {
	q := r.URL.Query()
	page, n := pageOf(q)
	f := switchboard.EndpointFilter{Type: oneOf(q.Get("type"), switchboard.EndpointAgent, switchboard.EndpointWebhook),
		Status: oneOf(q.Get("status"), switchboard.StatusActive, switchboard.StatusInactive), Page: page}
	eps, total, err := h.store.ListEndpoints(r.Context(), c.key.OrganizationID, f)
	if err != nil {
		return err
	}
	h.render(w, r, c, http.StatusOK, "endpoints", "Endpoints", endpointsView{
		Endpoints: eps, Pager: newPager(r, n, len(eps), total), Type: f.Type, Status: f.Status,
		Providers: switchboard.Providers()})
	return nil
}

// oneOf returns s when it is one of allowed, else "" (no filter): a
// hand-edited query string shows everything rather than an error page.
func oneOf(s string, allowed ...string) string {
	if slices.Contains(allowed, s) {
		return s
	}
	return ""
}

// endpointForm is the create and edit form of an endpoint: the fields of
// its provider ("webhook" for a webhook endpoint).
type endpointForm struct {
	ID          string // "" when creating
	Provider    string
	Name        string
	URL         string
	DefaultURL  string
	Status      string
	RingTimeout string
	Fields      []providerField
	Username    string
	HasPassword bool
	Error       string
}

// providerField is one provider_config key of the form.
type providerField struct {
	Key, Label, Value string
	Required          bool
}

// newEndpointForm is the empty form for provider; ok is false when there
// is no such provider.
func newEndpointForm(provider string) (endpointForm, bool) {
	f := endpointForm{Provider: provider, Status: switchboard.StatusActive, RingTimeout: strconv.Itoa(switchboard.DefaultRingTimeout)}
	if provider == switchboard.EndpointWebhook {
		return f, true
	}
	if !slices.Contains(switchboard.Providers(), provider) {
		return f, false
	}
	required, optional, _ := switchboard.ProviderFields(provider)
	for _, k := range required {
		f.Fields = append(f.Fields, providerField{Key: k, Label: label(k), Required: true})
	}
	for _, k := range optional {
		f.Fields = append(f.Fields, providerField{Key: k, Label: label(k)})
	}
	f.DefaultURL = switchboard.DefaultProviderURL(provider)
	return f, true
}

// label turns a field key into words: agent_id → Agent ID.
func label(key string) string {
	words := strings.Split(key, "_")
	for i, w := range words {
		switch w {
		case "id", "sip", "url":
			words[i] = strings.ToUpper(w)
		default:
			if i == 0 {
				words[i] = strings.ToUpper(w[:1]) + w[1:]
			}
		}
	}
	return strings.Join(words, " ")
}

// read fills the form from a POST.
func (f *endpointForm) read(r *http.Request) {
	pf := r.PostForm
	f.Name, f.URL, f.Status = strings.TrimSpace(pf.Get("name")), strings.TrimSpace(pf.Get("url")), pf.Get("status")
	f.RingTimeout, f.Username = strings.TrimSpace(pf.Get("ring_timeout")), strings.TrimSpace(pf.Get("username"))
	for i := range f.Fields {
		f.Fields[i].Value = strings.TrimSpace(pf.Get("pc_" + f.Fields[i].Key))
	}
}

// ringTimeout reads the form's ring timeout.
func (f *endpointForm) ringTimeout() (int, error) {
	n, err := strconv.Atoi(f.RingTimeout)
	if err != nil {
		return 0, errf("ring_timeout", "Ring timeout must be a whole number of seconds.")
	}
	return n, nil
}

func (h *Handler) handleNewEndpoint(w http.ResponseWriter, r *http.Request, c *session) error {
	p := r.URL.Query().Get("provider")
	f, ok := newEndpointForm(p)
	if !ok {
		h.render(w, r, c, http.StatusOK, "endpoint_new", "New endpoint", endpointChooser{Providers: switchboard.Providers()})
		return nil
	}
	h.render(w, r, c, http.StatusOK, "endpoint_new", "New endpoint", endpointChooser{Form: &f, Providers: switchboard.Providers()})
	return nil
}

// endpointChooser is the new-endpoint page: the provider to pick, then its form.
type endpointChooser struct {
	Form      *endpointForm
	Providers []string
}

func (h *Handler) handleCreateEndpoint(w http.ResponseWriter, r *http.Request, c *session) error {
	f, ok := newEndpointForm(r.PostForm.Get("provider"))
	if !ok {
		return errf("provider", "Pick a provider.")
	}
	f.read(r)
	ep, err := h.createEndpoint(r, c, &f)
	if switchboard.ErrorCode(err) == switchboard.ECodeValidation {
		f.Error = switchboard.ErrorMessage(err)
		h.render(w, r, c, http.StatusUnprocessableEntity, "endpoint_new", "New endpoint", endpointChooser{Form: &f, Providers: switchboard.Providers()})
		return nil
	}
	if err != nil {
		return err
	}
	if ep.Type == switchboard.EndpointWebhook {
		return h.showSecret(w, r, c, secretView{
			Heading: "Endpoint " + ep.Name + " created",
			What:    "This webhook endpoint signs every request with this secret. It is shown only this once: copy it now.",
			Secret:  ep.Secret, Next: "/ui/endpoints/" + ep.ID, NextLabel: "Go to the endpoint",
		})
	}
	redirect(w, r, "/ui/endpoints/"+ep.ID, "created")
	return nil
}

// createEndpoint validates and stores the form's endpoint.
func (h *Handler) createEndpoint(r *http.Request, c *session, f *endpointForm) (*switchboard.Endpoint, error) {
	in := switchboard.EndpointInput{Name: f.Name, URL: f.URL, Status: f.Status}
	if f.Provider == switchboard.EndpointWebhook {
		in.Type = switchboard.EndpointWebhook
	} else {
		in.Type = switchboard.EndpointAgent
		in.ProviderConfig = map[string]any{"provider": f.Provider}
		for _, fl := range f.Fields {
			if fl.Value != "" {
				in.ProviderConfig[fl.Key] = fl.Value
			}
		}
	}
	rt, err := f.ringTimeout()
	if err != nil {
		return nil, err
	}
	in.RingTimeout = &rt
	if f.Username != "" || r.PostForm.Get("password") != "" {
		in.Credentials = &switchboard.CredentialsInput{Username: f.Username, Password: r.PostForm.Get("password")}
	}
	ep, err := switchboard.NewEndpoint(in)
	if err != nil {
		return nil, err
	}
	if ep.Type == switchboard.EndpointWebhook {
		if err := h.checkURL(r, ep.URL); err != nil {
			return nil, err
		}
	}
	if err := h.store.CreateEndpoint(r.Context(), c.key.OrganizationID, ep); err != nil {
		return nil, err
	}
	return ep, nil
}

// checkURL vets a URL that will receive signed POSTs.
func (h *Handler) checkURL(r *http.Request, url string) error {
	if h.cfg.CheckWebhookURL == nil {
		return nil
	}
	return h.cfg.CheckWebhookURL(r.Context(), url)
}

// endpointView is one endpoint, its edit form and the numbers that route
// to it.
type endpointView struct {
	Endpoint *switchboard.Endpoint
	Form     endpointForm
	Numbers  []*switchboard.PhoneNumber
	Pager    pager
}

// formOf is the edit form of ep, filled in.
func formOf(ep *switchboard.Endpoint) endpointForm {
	f, _ := newEndpointForm(providerOf(ep))
	f.ID, f.Name, f.URL, f.Status, f.RingTimeout = ep.ID, ep.Name, ep.URL, ep.Status, strconv.Itoa(ep.RingTimeout)
	if ep.ProviderConfig != nil {
		pc := ep.ProviderConfig
		vals := map[string]string{"agent_id": pc.AgentID, "assistant_id": pc.AssistantID, "credential_id": pc.CredentialID,
			"agent_name": pc.AgentName, "sip_trunk_id": pc.SIPTrunkID}
		for i := range f.Fields {
			f.Fields[i].Value = vals[f.Fields[i].Key]
		}
	}
	if ep.Credentials != nil {
		f.Username, f.HasPassword = ep.Credentials.Username, ep.Credentials.Password != ""
	}
	return f
}

// providerOf is the form an endpoint is edited with.
func providerOf(ep *switchboard.Endpoint) string {
	if ep.Type == switchboard.EndpointWebhook {
		return switchboard.EndpointWebhook
	}
	return ep.Provider()
}

func (h *Handler) handleEndpoint(w http.ResponseWriter, r *http.Request, c *session) error {
	ep, err := h.store.FindEndpoint(r.Context(), c.key.OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.showEndpoint(w, r, c, ep, formOf(ep), http.StatusOK)
}

// showEndpoint renders the endpoint page with form (which may carry an
// error of a failed edit).
func (h *Handler) showEndpoint(w http.ResponseWriter, r *http.Request, c *session, ep *switchboard.Endpoint, form endpointForm, status int) error {
	v := endpointView{Endpoint: ep, Form: form}
	if c.can(switchboard.ScopeNumbersRead) {
		page, n := pageOf(r.URL.Query())
		nums, total, err := h.store.ListPhoneNumbers(r.Context(), c.key.OrganizationID, switchboard.PhoneNumberFilter{EndpointID: ep.ID, Page: page})
		if err != nil {
			return err
		}
		v.Numbers, v.Pager = nums, newPager(r, n, len(nums), total)
	}
	h.render(w, r, c, status, "endpoint", ep.Name, v)
	return nil
}

func (h *Handler) handleUpdateEndpoint(w http.ResponseWriter, r *http.Request, c *session) error {
	org, id := c.key.OrganizationID, r.PathValue("id")
	cur, err := h.store.FindEndpoint(r.Context(), org, id)
	if err != nil {
		return err
	}
	f := formOf(cur)
	f.read(r)
	ep, err := h.updateEndpoint(r, org, cur, &f)
	if switchboard.ErrorCode(err) == switchboard.ECodeValidation {
		f.Error = switchboard.ErrorMessage(err)
		return h.showEndpoint(w, r, c, cur, f, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	redirect(w, r, "/ui/endpoints/"+ep.ID, "updated")
	return nil
}

// updateEndpoint applies the form to the endpoint as a patch of every
// field it shows.
func (h *Handler) updateEndpoint(r *http.Request, org string, cur *switchboard.Endpoint, f *endpointForm) (*switchboard.Endpoint, error) {
	rt, err := f.ringTimeout()
	if err != nil {
		return nil, err
	}
	p := switchboard.EndpointPatch{
		Name: set(f.Name), Status: set(f.Status), RingTimeout: set(rt),
		URL: switchboard.Optional[string]{Set: true, Null: f.URL == "", Value: f.URL},
	}
	if cur.Type == switchboard.EndpointAgent {
		pc := map[string]any{"provider": f.Provider}
		for _, fl := range f.Fields {
			if fl.Value == "" {
				pc[fl.Key] = nil // merge patch: removes it
			} else {
				pc[fl.Key] = fl.Value
			}
		}
		p.ProviderConfig = set(pc)
	}
	if pw := r.PostForm.Get("password"); f.Username != "" && pw != "" {
		p.Credentials = set(switchboard.CredentialsInput{Username: f.Username, Password: pw})
	} else if r.PostForm.Get("clear_credentials") != "" {
		p.Credentials = switchboard.Optional[switchboard.CredentialsInput]{Set: true, Null: true}
	}
	if cur.Type == switchboard.EndpointWebhook && f.URL != cur.URL {
		// Vetted before the write: DNS must not run inside it.
		if err := h.checkURL(r, f.URL); err != nil {
			return nil, err
		}
	}
	return h.store.UpdateEndpoint(r.Context(), org, cur.ID,
		func(e *switchboard.Endpoint) (*switchboard.Endpoint, error) { return e.Apply(p) })
}

// set is a present, non-null Optional.
func set[T any](v T) switchboard.Optional[T] { return switchboard.Optional[T]{Set: true, Value: v} }

func (h *Handler) handleConfirmDeleteEndpoint(w http.ResponseWriter, r *http.Request, c *session) error {
	ep, err := h.store.FindEndpoint(r.Context(), c.key.OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.confirm(w, r, c, confirmView{
		Heading: "Delete endpoint " + ep.Name + "?",
		Message: "Numbers that route to it are detached: their calls are refused until you attach another endpoint.",
		Action:  "/ui/endpoints/" + ep.ID + "/delete", Button: "Delete endpoint", Back: "/ui/endpoints/" + ep.ID,
	})
}

func (h *Handler) handleDeleteEndpoint(w http.ResponseWriter, r *http.Request, c *session) error {
	if _, err := h.store.DeleteEndpoint(r.Context(), c.key.OrganizationID, r.PathValue("id")); err != nil {
		return err
	}
	redirect(w, r, "/ui/endpoints", "deleted")
	return nil
}

// secretView is a secret shown once, after the write that made it.
type secretView struct {
	Heading, What, Secret, Next, NextLabel string
	Extra                                  []secretLine
}

// secretLine is a labelled value shown beside a secret (a username).
type secretLine struct{ Label, Value string }

// showSecret renders a secret once; the page is never cached.
func (h *Handler) showSecret(w http.ResponseWriter, r *http.Request, c *session, v secretView) error {
	h.render(w, r, c, http.StatusOK, "secret", v.Heading, v)
	return nil
}
