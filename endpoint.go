package switchboard

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Endpoint types of the seed: an AI agent reached over SIP, or the
// customer's HTTP webhook that answers with routing instructions.
const (
	EndpointAgent   = "agent"
	EndpointWebhook = "webhook"
)

// Endpoint statuses.
const (
	StatusActive   = "active"
	StatusInactive = "inactive"
)

// Providers of agent endpoints (DESIGN §6).
const (
	ProviderElevenLabs = "elevenlabs"
	ProviderVapi       = "vapi"
	ProviderRetell     = "retell"
	ProviderLiveKit    = "livekit"
	ProviderSIP        = "sip"
)

// Endpoint limits.
const (
	MaxEndpointName    = 100
	DefaultRingTimeout = 30
	MaxRingTimeout     = 300
	maxHeaders         = 20
	maxHeaderValue     = 256
	maxWebhookURL      = 2048
	maxConfigValue     = 256
)

// providerRule is what DESIGN §6 says about one provider.
type providerRule struct {
	required   []string // provider_config keys that must be present
	optional   []string
	aliases    map[string]string // accepted spelling → canonical key
	defaultURL string            // "" means url is required
	// urlKey names a provider_config key that may carry the URL instead of
	// the top-level url field (LiveKit's livekit_sip_uri).
	urlKey string
}

var providerRules = map[string]providerRule{
	ProviderElevenLabs: {
		required:   []string{"agent_id"},
		aliases:    map[string]string{"elevenlabs_agent_id": "agent_id"},
		defaultURL: "sip:sip.rtc.elevenlabs.io:5060;transport=tcp",
	},
	ProviderVapi: {
		required: []string{"assistant_id"},
		optional: []string{"credential_id"},
		aliases:  map[string]string{"vapi_assistant_id": "assistant_id", "vapi_credential_id": "credential_id"},
	},
	ProviderRetell: {
		required:   []string{"agent_id"},
		aliases:    map[string]string{"retell_agent_id": "agent_id"},
		defaultURL: "sip:sip.retellai.com;transport=tcp",
	},
	ProviderLiveKit: {
		optional: []string{"agent_name", "sip_trunk_id"},
		aliases:  map[string]string{"livekit_sip_trunk_id": "sip_trunk_id", "livekit_agent_name": "agent_name"},
		urlKey:   "livekit_sip_uri",
	},
	ProviderSIP: {},
}

// Providers lists the providers an agent endpoint may name, sorted.
func Providers() []string { return slices.Sorted(maps.Keys(providerRules)) }

// ProviderFields returns the provider_config keys a provider's endpoint
// must and may carry (the dashboard's form asks for these), and the key
// that may carry the endpoint's URL instead of url ("" when none).
func ProviderFields(provider string) (required, optional []string, urlKey string) {
	r := providerRules[provider]
	return slices.Clone(r.required), slices.Clone(r.optional), r.urlKey
}

// providerTypeAliases maps the provider-named endpoint types of KrosAI's
// OpenAPI generation to our provider names.
var providerTypeAliases = map[string]string{
	"elevenlabs": ProviderElevenLabs,
	"vapi":       ProviderVapi,
	"retell":     ProviderRetell,
	"livekit":    ProviderLiveKit,
	"custom_sip": ProviderSIP,
	"sip":        ProviderSIP,
}

// DefaultProviderURL returns the SIP URI used for a provider when the
// endpoint names none ("" when the provider has no default).
func DefaultProviderURL(provider string) string { return providerRules[provider].defaultURL }

// ProviderConfig is the validated, canonical provider configuration of an
// agent endpoint. Alias spellings are folded into these keys on input.
type ProviderConfig struct {
	Provider     string `json:"provider"`
	AgentID      string `json:"agent_id,omitempty"`
	AssistantID  string `json:"assistant_id,omitempty"`
	CredentialID string `json:"credential_id,omitempty"`
	AgentName    string `json:"agent_name,omitempty"`
	SIPTrunkID   string `json:"sip_trunk_id,omitempty"`
}

// asMap returns the config as the raw map form that patches merge into.
func (c *ProviderConfig) asMap() map[string]any {
	m := map[string]any{"provider": c.Provider}
	for k, v := range map[string]string{
		"agent_id": c.AgentID, "assistant_id": c.AssistantID, "credential_id": c.CredentialID,
		"agent_name": c.AgentName, "sip_trunk_id": c.SIPTrunkID,
	} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

// SIPCredentials are the digest credentials an agent may challenge for.
// The password is write-only: it is stored but never serialised.
type SIPCredentials struct {
	Username string `json:"username"`
	Password string `json:"-"`
}

// Endpoint says where a call to a number attached to it goes.
type Endpoint struct {
	ID             string            `json:"id"`
	OrganizationID string            `json:"organization_id"`
	Name           string            `json:"name"`
	Type           string            `json:"type"`
	URL            string            `json:"url"`
	Status         string            `json:"status"`
	ProviderConfig *ProviderConfig   `json:"provider_config,omitempty"`
	Secret         string            `json:"secret,omitempty"`
	Headers        map[string]string `json:"headers,omitempty"`
	RingTimeout    int               `json:"ring_timeout"`
	Credentials    *SIPCredentials   `json:"credentials,omitempty"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

// Provider returns the provider of an agent endpoint, or "" for webhooks.
func (e *Endpoint) Provider() string {
	if e.ProviderConfig == nil {
		return ""
	}
	return e.ProviderConfig.Provider
}

// EndpointInput is the body of a create request.
type EndpointInput struct {
	Name           string            `json:"name"`
	Type           string            `json:"type"`
	URL            string            `json:"url"`
	Status         string            `json:"status"`
	ProviderConfig map[string]any    `json:"provider_config"`
	Headers        map[string]string `json:"headers"`
	RingTimeout    *int              `json:"ring_timeout"`
	Credentials    *CredentialsInput `json:"credentials"`
}

// CredentialsInput carries digest credentials on input, password included.
type CredentialsInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// EndpointPatch is the body of a PATCH request: omitted fields stay, null
// clears where clearing makes sense (url falls back to the provider default).
type EndpointPatch struct {
	Name           Optional[string]            `json:"name,omitzero"`
	URL            Optional[string]            `json:"url,omitzero"`
	Status         Optional[string]            `json:"status,omitzero"`
	ProviderConfig Optional[map[string]any]    `json:"provider_config,omitzero"`
	Headers        Optional[map[string]string] `json:"headers,omitzero"`
	RingTimeout    Optional[int]               `json:"ring_timeout,omitzero"`
	Credentials    Optional[CredentialsInput]  `json:"credentials,omitzero"`
}

// NewEndpoint validates a create request and returns the endpoint to store
// (ID, organisation and times are set by the store). Webhook endpoints get a
// fresh signing secret.
func NewEndpoint(in EndpointInput) (*Endpoint, error) {
	e := &Endpoint{Name: in.Name, URL: strings.TrimSpace(in.URL), Status: in.Status, RingTimeout: DefaultRingTimeout}
	if e.Status == "" {
		e.Status = StatusActive
	}
	typ := strings.ToLower(strings.TrimSpace(in.Type))
	switch {
	case typ == "":
		return nil, FieldError("type", "type is required (agent or webhook)")
	case typ == EndpointWebhook:
		e.Type = EndpointWebhook
		if in.ProviderConfig != nil {
			return nil, FieldError("provider_config", "provider_config is only for agent endpoints")
		}
		e.Secret = NewSigningSecret()
	case typ == EndpointAgent:
		e.Type = EndpointAgent
		if in.ProviderConfig == nil {
			return nil, FieldError("provider_config", "provider_config is required for agent endpoints")
		}
		pc, err := normalizeProviderConfig(in.ProviderConfig, "", e)
		if err != nil {
			return nil, err
		}
		e.ProviderConfig = pc
	case providerTypeAliases[typ] != "":
		e.Type = EndpointAgent
		raw := maps.Clone(in.ProviderConfig)
		if raw == nil {
			raw = map[string]any{}
		}
		pc, err := normalizeProviderConfig(raw, providerTypeAliases[typ], e)
		if err != nil {
			return nil, err
		}
		e.ProviderConfig = pc
	default:
		return nil, FieldError("type", "type %q is not supported: use agent, webhook or one of %s, custom_sip", in.Type, strings.Join(Providers(), ", "))
	}
	if e.Type == EndpointAgent && e.URL == "" {
		e.URL = DefaultProviderURL(e.ProviderConfig.Provider)
	}
	if in.RingTimeout != nil {
		e.RingTimeout = *in.RingTimeout
	}
	if in.Headers != nil {
		e.Headers = in.Headers
	}
	if in.Credentials != nil {
		e.Credentials = &SIPCredentials{Username: in.Credentials.Username, Password: in.Credentials.Password}
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return e, nil
}

// Apply applies a PATCH to e and validates the result; e is unchanged on error.
func (e *Endpoint) Apply(p EndpointPatch) (*Endpoint, error) {
	n := *e
	if p.Name.Set {
		if p.Name.Null {
			return nil, FieldError("name", "name cannot be null")
		}
		n.Name = p.Name.Value
	}
	if p.Status.Set {
		if p.Status.Null {
			return nil, FieldError("status", "status cannot be null")
		}
		n.Status = p.Status.Value
	}
	if p.URL.Set {
		n.URL = strings.TrimSpace(p.URL.Value) // null gives "", which means the default
	}
	if p.ProviderConfig.Set {
		if err := n.applyProviderConfig(e, p); err != nil {
			return nil, err
		}
	}
	if n.Type == EndpointAgent && n.URL == "" {
		n.URL = DefaultProviderURL(n.ProviderConfig.Provider)
	}
	if p.Headers.Set {
		n.Headers = p.Headers.Value // null clears
	}
	if p.RingTimeout.Set {
		n.RingTimeout = DefaultRingTimeout
		if !p.RingTimeout.Null {
			n.RingTimeout = p.RingTimeout.Value
		}
	}
	if p.Credentials.Set {
		n.Credentials = nil
		if !p.Credentials.Null {
			n.Credentials = &SIPCredentials{Username: p.Credentials.Value.Username, Password: p.Credentials.Value.Password}
		}
	}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	return &n, nil
}

// applyProviderConfig merges a provider_config patch into e, which starts
// as a copy of old. Within one provider it is a JSON merge patch (RFC 7396)
// over canonical keys, so an alias spelling replaces its canonical key; a
// new provider replaces the config, since the old keys mean nothing to it.
func (e *Endpoint) applyProviderConfig(old *Endpoint, p EndpointPatch) error {
	if old.Type != EndpointAgent {
		return FieldError("provider_config", "provider_config is only for agent endpoints")
	}
	if p.ProviderConfig.Null {
		return FieldError("provider_config", "provider_config cannot be removed from an agent endpoint")
	}
	patch := p.ProviderConfig.Value
	target := old.ProviderConfig.Provider
	if v, ok := patch["provider"]; ok && v != nil {
		s, ok := v.(string)
		if !ok {
			return FieldError("provider_config.provider", "provider must be a string")
		}
		target = canonicalProvider(s)
	}
	rule, ok := providerRules[target]
	if !ok {
		return FieldError("provider_config.provider", "provider %q is not supported: use one of %s", target, strings.Join(Providers(), ", "))
	}
	merged := old.ProviderConfig.asMap()
	if target != old.ProviderConfig.Provider {
		merged = map[string]any{}
		if !p.URL.Set && old.URL == DefaultProviderURL(old.ProviderConfig.Provider) {
			e.URL = ""
		}
	}
	merged["provider"] = target
	seen := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(patch)) {
		v := patch[k]
		if k == "provider" {
			continue
		}
		if rule.urlKey != "" && k == rule.urlKey {
			s, ok := v.(string)
			if !ok {
				return FieldError("provider_config."+k, "provider_config.%s must be a string", k)
			}
			if p.URL.Set && strings.TrimSpace(p.URL.Value) != s {
				return FieldError("provider_config."+k, "provider_config.%s disagrees with url", k)
			}
			e.URL = s
			continue
		}
		canon := k
		if a, ok := rule.aliases[k]; ok {
			canon = a
		}
		if prev, dup := seen[canon]; dup {
			// Two spellings of one key must agree; values may be any JSON
			// (maps are not comparable), so only equal strings pass.
			ps, ok1 := prev.(string)
			vs, ok2 := v.(string)
			if !ok1 || !ok2 || ps != vs {
				return FieldError("provider_config."+k, "provider_config.%s disagrees with provider_config.%s", k, canon)
			}
		}
		seen[canon] = v
		if v == nil {
			delete(merged, canon)
		} else {
			merged[canon] = v
		}
	}
	pc, err := normalizeProviderConfig(merged, "", e)
	if err != nil {
		return err
	}
	e.ProviderConfig = pc
	return nil
}

// canonicalProvider folds case and the provider-named type spellings
// (custom_sip) into our provider names.
func canonicalProvider(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if alias := providerTypeAliases[s]; alias != "" {
		return alias
	}
	return s
}

// normalizeProviderConfig checks a raw provider_config against the
// provider's rules, folds alias keys into canonical ones and returns the
// canonical config. impliedProvider comes from a provider-named type. A
// provider_config key that carries the URL (LiveKit) is moved into e.URL.
func normalizeProviderConfig(raw map[string]any, impliedProvider string, e *Endpoint) (*ProviderConfig, error) {
	provider := impliedProvider
	if v, ok := raw["provider"]; ok && v != nil {
		s, ok := v.(string)
		if !ok {
			return nil, FieldError("provider_config.provider", "provider must be a string")
		}
		s = canonicalProvider(s)
		if impliedProvider != "" && s != impliedProvider {
			return nil, FieldError("provider_config.provider", "provider %q disagrees with type", s)
		}
		provider = s
	}
	if provider == "" {
		return nil, FieldError("provider_config.provider", "provider_config.provider is required: one of %s", strings.Join(Providers(), ", "))
	}
	rule, ok := providerRules[provider]
	if !ok {
		return nil, FieldError("provider_config.provider", "provider %q is not supported: use one of %s", provider, strings.Join(Providers(), ", "))
	}
	vals := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		if k == "provider" {
			continue
		}
		field := "provider_config." + k
		s, ok := raw[k].(string)
		if !ok {
			return nil, FieldError(field, "%s must be a string", field)
		}
		if len(s) > maxConfigValue || !utf8.ValidString(s) || strings.ContainsAny(s, "\r\n\x00") {
			return nil, FieldError(field, "%s must be at most %d characters of text on one line", field, maxConfigValue)
		}
		canon := k
		if a, ok := rule.aliases[k]; ok {
			canon = a
		}
		switch {
		case k == rule.urlKey && rule.urlKey != "":
			if e.URL == "" {
				e.URL = s
			} else if e.URL != s {
				return nil, FieldError(field, "%s disagrees with url", field)
			}
			continue
		case slices.Contains(rule.required, canon), slices.Contains(rule.optional, canon):
		default:
			return nil, FieldError(field, "unknown field %s for provider %s", field, provider)
		}
		if prev, dup := vals[canon]; dup && prev != s {
			return nil, FieldError(field, "%s disagrees with provider_config.%s", field, canon)
		}
		vals[canon] = s
	}
	for _, k := range rule.required {
		if strings.TrimSpace(vals[k]) == "" {
			return nil, FieldError("provider_config."+k, "provider_config.%s is required for provider %s", k, provider)
		}
	}
	return &ProviderConfig{
		Provider: provider, AgentID: vals["agent_id"], AssistantID: vals["assistant_id"],
		CredentialID: vals["credential_id"], AgentName: vals["agent_name"], SIPTrunkID: vals["sip_trunk_id"],
	}, nil
}

// Validate checks the rules every stored endpoint obeys.
func (e *Endpoint) Validate() error {
	name := strings.TrimSpace(e.Name)
	if name == "" {
		return FieldError("name", "name is required")
	}
	if utf8.RuneCountInString(e.Name) > MaxEndpointName || !utf8.ValidString(e.Name) {
		return FieldError("name", "name must be 1 to %d characters", MaxEndpointName)
	}
	if e.Status != StatusActive && e.Status != StatusInactive {
		return FieldError("status", "status must be active or inactive")
	}
	if e.RingTimeout < 1 || e.RingTimeout > MaxRingTimeout {
		return FieldError("ring_timeout", "ring_timeout must be 1 to %d seconds", MaxRingTimeout)
	}
	if err := ValidateHeaders(e.Headers); err != nil {
		return err
	}
	switch e.Type {
	case EndpointWebhook:
		if e.Credentials != nil {
			return FieldError("credentials", "credentials are only for agent endpoints")
		}
		if err := ValidateWebhookURL(e.URL); err != nil {
			return err
		}
	case EndpointAgent:
		if e.URL == "" {
			return FieldError("url", "url (a SIP URI) is required for provider %s", e.Provider())
		}
		if _, err := ParseSIPURI(e.URL); err != nil {
			return FieldError("url", "%s", ErrorMessage(err))
		}
		if c := e.Credentials; c != nil {
			if c.Username == "" || len(c.Username) > 128 || c.Password == "" || len(c.Password) > 128 ||
				strings.ContainsAny(c.Username+c.Password, "\r\n\x00\"") {
				return FieldError("credentials", "credentials need a username and a password of 1 to 128 characters")
			}
		}
	default:
		return FieldError("type", "type must be agent or webhook")
	}
	return nil
}

// ValidateWebhookURL checks that s is an absolute http(s) URL with a host.
// Whether the host may be private is the webhook package's concern.
func ValidateWebhookURL(s string) error {
	if s == "" {
		return FieldError("url", "url (an https URL) is required for webhook endpoints")
	}
	if len(s) > maxWebhookURL {
		return FieldError("url", "url must be at most %d characters", maxWebhookURL)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return FieldError("url", "url must be an absolute http or https URL")
	}
	if u.User != nil {
		return FieldError("url", "url must not carry credentials; the payload is signed instead")
	}
	if u.Fragment != "" {
		return FieldError("url", "url must not have a fragment")
	}
	return nil
}

// ValidateHeaders checks extra SIP headers that will be added to an agent's
// INVITE (an endpoint's headers, a webhook reply's targets): at most 20,
// X- names that are SIP tokens, not the reserved X-Switchboard-, and
// values on one line of at most 256 bytes. They become SIP, so this is the
// one rule for them.
func ValidateHeaders(h map[string]string) error {
	if len(h) > maxHeaders {
		return FieldError("headers", "at most %d headers", maxHeaders)
	}
	for k, v := range h {
		field := "headers." + k
		if len(k) < 3 || !strings.EqualFold(k[:2], "x-") || !isSIPToken(k) {
			return FieldError(field, "header names must start with X- and be a SIP token")
		}
		if strings.HasPrefix(strings.ToLower(k), "x-switchboard-") {
			return FieldError(field, "X-Switchboard- headers are reserved")
		}
		if len(v) > maxHeaderValue || !utf8.ValidString(v) || strings.ContainsAny(v, "\r\n\x00") {
			return FieldError(field, "header values must be at most %d characters on one line", maxHeaderValue)
		}
	}
	return nil
}

// NewSigningSecret returns a webhook signing secret: whsec_ and the base64
// of 32 random bytes.
func NewSigningSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// EndpointFilter selects endpoints in a list.
type EndpointFilter struct {
	Type   string // "", agent or webhook
	Status string // "", active or inactive
	Page
}

// EndpointService manages endpoints. Every method is scoped to one
// organisation; another organisation's endpoint is ENDPOINT_NOT_FOUND.
type EndpointService interface {
	CreateEndpoint(ctx context.Context, orgID string, e *Endpoint) error
	FindEndpoint(ctx context.Context, orgID, id string) (*Endpoint, error)
	ListEndpoints(ctx context.Context, orgID string, f EndpointFilter) ([]*Endpoint, int, error)
	// UpdateEndpoint calls fn with the current endpoint inside a
	// transaction and stores what it returns.
	UpdateEndpoint(ctx context.Context, orgID, id string, fn func(*Endpoint) (*Endpoint, error)) (*Endpoint, error)
	// DeleteEndpoint deletes the endpoint and detaches every number that
	// pointed at it (as primary or fallback), returning how many were detached.
	DeleteEndpoint(ctx context.Context, orgID, id string) (detached int, err error)
}

// EndpointColumns are the stored columns of an endpoint, in the order of
// ColumnValues and EndpointScan.Dest: the key (id, organization_id), then
// EndpointValueColumns. The stores build their endpoint SQL from them, so
// a new field is declared here and in one migration per store.
const EndpointColumns = "id, organization_id, " + EndpointValueColumns

// EndpointValueColumns are the endpoint's columns after its key, the ones
// an update writes.
const EndpointValueColumns = "name, type, url, status, provider_config, secret, " +
	"headers, ring_timeout, sip_username, sip_password, created_at, updated_at"

// ColumnValues returns e's stored columns in EndpointColumns order: JSON
// as text, an absent optional value as nil (NULL), and each time as c
// stores it.
func (e *Endpoint) ColumnValues(c *ColumnCodec) ([]any, error) {
	var pc, user, pass any // nil is NULL
	if e.ProviderConfig != nil {
		b, err := json.Marshal(e.ProviderConfig)
		if err != nil {
			return nil, fmt.Errorf("endpoint %s: provider_config: %w", e.ID, err)
		}
		pc = string(b)
	}
	headers, err := headersColumn(e.Headers)
	if err != nil {
		return nil, fmt.Errorf("endpoint %s: %w", e.ID, err)
	}
	if c := e.Credentials; c != nil {
		user, pass = c.Username, c.Password
	}
	return []any{e.ID, e.OrganizationID, e.Name, e.Type, e.URL, e.Status, pc, e.Secret, headers, e.RingTimeout,
		user, pass, c.Time(e.CreatedAt), c.Time(e.UpdatedAt)}, nil
}

// EndpointScan reads one stored endpoint: scan a row into Dest, then take
// Endpoint.
type EndpointScan struct {
	e                       Endpoint
	pc, headers, user, pass nullText
}

// Dest returns the scan destinations of EndpointColumns, in order.
func (s *EndpointScan) Dest(c *ColumnCodec) []any {
	e := &s.e
	return []any{&e.ID, &e.OrganizationID, &e.Name, &e.Type, &e.URL, &e.Status, &s.pc, &e.Secret,
		&s.headers, &e.RingTimeout, &s.user, &s.pass, c.TimeDest(&e.CreatedAt), c.TimeDest(&e.UpdatedAt)}
}

// Endpoint decodes the scanned columns.
func (s *EndpointScan) Endpoint() (*Endpoint, error) {
	e := s.e
	if s.pc.valid {
		e.ProviderConfig = new(ProviderConfig)
		if err := json.Unmarshal(s.pc.b, e.ProviderConfig); err != nil {
			return nil, fmt.Errorf("endpoint %s: provider_config: %w", e.ID, err)
		}
	}
	if s.headers.valid {
		if err := json.Unmarshal(s.headers.b, &e.Headers); err != nil {
			return nil, fmt.Errorf("endpoint %s: headers: %w", e.ID, err)
		}
	}
	if s.user.valid {
		e.Credentials = &SIPCredentials{Username: string(s.user.b), Password: string(s.pass.b)}
	}
	return &e, nil
}

// nullText scans a text or JSON column that may be NULL (an sql.Scanner,
// which both store drivers honour).
type nullText struct {
	b     []byte
	valid bool
}

// Scan implements sql.Scanner.
func (n *nullText) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		n.b, n.valid = nil, false
	case string:
		n.b, n.valid = append(n.b[:0], v...), true
	case []byte:
		n.b, n.valid = append(n.b[:0], v...), true
	default:
		return fmt.Errorf("cannot scan %T into a text column", src)
	}
	return nil
}

// ptr returns the text, or nil when it was NULL.
func (n *nullText) ptr() *string {
	if !n.valid {
		return nil
	}
	s := string(n.b)
	return &s
}
