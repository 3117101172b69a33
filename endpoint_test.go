package switchboard

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"
)

const (
	elevenLabsDefault = "sip:sip.rtc.elevenlabs.io:5060;transport=tcp"
	retellDefault     = "sip:sip.retellai.com;transport=tcp"
	vapiURL           = "sip:bot@sip.vapi.ai"
	liveKitURL        = "sip:proj.sip.livekit.cloud"
	customSIPURL      = "sip:agent@pbx.example.com;transport=tls"
)

// wantFieldError checks that err is a VALIDATION_ERROR naming field.
func wantFieldError(t *testing.T, err error, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want a validation error on %q", field)
	}
	if code := ErrorCode(err); code != ECodeValidation {
		t.Fatalf("error code = %q, want %q (%v)", code, ECodeValidation, err)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *Error", err)
	}
	if got, _ := e.Details["field"].(string); got != field {
		t.Fatalf("Details[field] = %q, want %q (%v)", got, field, err)
	}
}

func decodeInput(t testing.TB, body string) EndpointInput {
	t.Helper()
	var in EndpointInput
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		t.Fatalf("bad test body %s: %v", body, err)
	}
	return in
}

func mustEndpoint(t testing.TB, body string) *Endpoint {
	t.Helper()
	e, err := NewEndpoint(decodeInput(t, body))
	if err != nil {
		t.Fatalf("NewEndpoint(%s): %v", body, err)
	}
	return e
}

func agentWant(url string, pc ProviderConfig) *Endpoint {
	return &Endpoint{Name: "A", Type: EndpointAgent, URL: url, Status: StatusActive, RingTimeout: DefaultRingTimeout, ProviderConfig: &pc}
}

// cloneEndpoint copies e deeply enough to detect mutation through Apply.
func cloneEndpoint(e *Endpoint) *Endpoint {
	c := *e
	c.Headers = maps.Clone(e.Headers)
	if e.ProviderConfig != nil {
		pc := *e.ProviderConfig
		c.ProviderConfig = &pc
	}
	if e.Credentials != nil {
		cr := *e.Credentials
		c.Credentials = &cr
	}
	return &c
}

func headersBody(n int) string {
	h := map[string]string{}
	for i := range n {
		h[fmt.Sprintf("X-H%d", i)] = "v"
	}
	b, _ := json.Marshal(h)
	return string(b)
}

func TestNewEndpointProviders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want *Endpoint
	}{
		// ElevenLabs
		{
			name: "agent + elevenlabs, default url",
			body: `{"name":"A","type":"agent","provider_config":{"provider":"elevenlabs","agent_id":"ag_1"}}`,
			want: agentWant(elevenLabsDefault, ProviderConfig{Provider: ProviderElevenLabs, AgentID: "ag_1"}),
		},
		{
			name: "type elevenlabs, default url",
			body: `{"name":"A","type":"elevenlabs","provider_config":{"agent_id":"ag_1"}}`,
			want: agentWant(elevenLabsDefault, ProviderConfig{Provider: ProviderElevenLabs, AgentID: "ag_1"}),
		},
		{
			name: "type elevenlabs with agreeing provider",
			body: `{"name":"A","type":"elevenlabs","provider_config":{"provider":"elevenlabs","agent_id":"ag_1"}}`,
			want: agentWant(elevenLabsDefault, ProviderConfig{Provider: ProviderElevenLabs, AgentID: "ag_1"}),
		},
		{
			name: "type is case-insensitive",
			body: `{"name":"A","type":" ElevenLabs ","provider_config":{"agent_id":"ag_1"}}`,
			want: agentWant(elevenLabsDefault, ProviderConfig{Provider: ProviderElevenLabs, AgentID: "ag_1"}),
		},
		{
			name: "provider is case-insensitive",
			body: `{"name":"A","type":"agent","provider_config":{"provider":"ElevenLabs","agent_id":"ag_1"}}`,
			want: agentWant(elevenLabsDefault, ProviderConfig{Provider: ProviderElevenLabs, AgentID: "ag_1"}),
		},
		{
			name: "elevenlabs_agent_id folded (type model)",
			body: `{"name":"A","type":"elevenlabs","provider_config":{"elevenlabs_agent_id":"ag_2"}}`,
			want: agentWant(elevenLabsDefault, ProviderConfig{Provider: ProviderElevenLabs, AgentID: "ag_2"}),
		},
		{
			name: "elevenlabs_agent_id folded (agent model)",
			body: `{"name":"A","type":"agent","provider_config":{"provider":"elevenlabs","elevenlabs_agent_id":"ag_2"}}`,
			want: agentWant(elevenLabsDefault, ProviderConfig{Provider: ProviderElevenLabs, AgentID: "ag_2"}),
		},
		{
			name: "alias and canonical agreeing",
			body: `{"name":"A","type":"elevenlabs","provider_config":{"agent_id":"ag_2","elevenlabs_agent_id":"ag_2"}}`,
			want: agentWant(elevenLabsDefault, ProviderConfig{Provider: ProviderElevenLabs, AgentID: "ag_2"}),
		},
		{
			name: "elevenlabs with explicit url",
			body: `{"name":"A","type":"elevenlabs","url":" sips:sip.rtc.elevenlabs.io:5061;transport=tls ","provider_config":{"agent_id":"ag_1"}}`,
			want: agentWant("sips:sip.rtc.elevenlabs.io:5061;transport=tls", ProviderConfig{Provider: ProviderElevenLabs, AgentID: "ag_1"}),
		},
		// Vapi
		{
			name: "agent + vapi",
			body: `{"name":"A","type":"agent","url":"sip:bot@sip.vapi.ai","provider_config":{"provider":"vapi","assistant_id":"as_1"}}`,
			want: agentWant(vapiURL, ProviderConfig{Provider: ProviderVapi, AssistantID: "as_1"}),
		},
		{
			name: "type vapi with credential_id",
			body: `{"name":"A","type":"vapi","url":"sip:bot@sip.vapi.ai","provider_config":{"assistant_id":"as_1","credential_id":"cr_1"}}`,
			want: agentWant(vapiURL, ProviderConfig{Provider: ProviderVapi, AssistantID: "as_1", CredentialID: "cr_1"}),
		},
		{
			name: "vapi aliases folded",
			body: `{"name":"A","type":"vapi","url":"sip:bot@sip.vapi.ai","provider_config":{"vapi_assistant_id":"as_1","vapi_credential_id":"cr_1"}}`,
			want: agentWant(vapiURL, ProviderConfig{Provider: ProviderVapi, AssistantID: "as_1", CredentialID: "cr_1"}),
		},
		// Retell
		{
			name: "agent + retell, default url",
			body: `{"name":"A","type":"agent","provider_config":{"provider":"retell","agent_id":"r_1"}}`,
			want: agentWant(retellDefault, ProviderConfig{Provider: ProviderRetell, AgentID: "r_1"}),
		},
		{
			name: "type retell with retell_agent_id",
			body: `{"name":"A","type":"retell","provider_config":{"retell_agent_id":"r_1"}}`,
			want: agentWant(retellDefault, ProviderConfig{Provider: ProviderRetell, AgentID: "r_1"}),
		},
		// LiveKit
		{
			name: "agent + livekit with url",
			body: `{"name":"A","type":"agent","url":"sip:proj.sip.livekit.cloud","provider_config":{"provider":"livekit"}}`,
			want: agentWant(liveKitURL, ProviderConfig{Provider: ProviderLiveKit}),
		},
		{
			name: "type livekit with livekit_sip_uri folded into url",
			body: `{"name":"A","type":"livekit","provider_config":{"livekit_sip_uri":"sip:proj.sip.livekit.cloud","agent_name":"bob","sip_trunk_id":"ST_1"}}`,
			want: agentWant(liveKitURL, ProviderConfig{Provider: ProviderLiveKit, AgentName: "bob", SIPTrunkID: "ST_1"}),
		},
		{
			name: "livekit aliases folded, url agreeing with livekit_sip_uri",
			body: `{"name":"A","type":"agent","url":"sip:proj.sip.livekit.cloud","provider_config":{"provider":"livekit","livekit_sip_uri":"sip:proj.sip.livekit.cloud","livekit_agent_name":"bob","livekit_sip_trunk_id":"ST_1"}}`,
			want: agentWant(liveKitURL, ProviderConfig{Provider: ProviderLiveKit, AgentName: "bob", SIPTrunkID: "ST_1"}),
		},
		// Custom SIP
		{
			name: "agent + sip",
			body: `{"name":"A","type":"agent","url":"sip:agent@pbx.example.com;transport=tls","provider_config":{"provider":"sip"}}`,
			want: agentWant(customSIPURL, ProviderConfig{Provider: ProviderSIP}),
		},
		{
			name: "agent + custom_sip provider",
			body: `{"name":"A","type":"agent","url":"sip:agent@pbx.example.com;transport=tls","provider_config":{"provider":"custom_sip"}}`,
			want: agentWant(customSIPURL, ProviderConfig{Provider: ProviderSIP}),
		},
		{
			name: "type custom_sip without provider_config",
			body: `{"name":"A","type":"custom_sip","url":"sip:agent@pbx.example.com;transport=tls"}`,
			want: agentWant(customSIPURL, ProviderConfig{Provider: ProviderSIP}),
		},
		{
			name: "type custom_sip with agreeing provider",
			body: `{"name":"A","type":"custom_sip","url":"sip:agent@pbx.example.com;transport=tls","provider_config":{"provider":"custom_sip"}}`,
			want: agentWant(customSIPURL, ProviderConfig{Provider: ProviderSIP}),
		},
		// Common fields
		{
			name: "status, ring timeout, headers and credentials kept",
			body: `{"name":"A","type":"elevenlabs","status":"inactive","ring_timeout":300,"headers":{"X-Tenant":"acme"},"credentials":{"username":"u","password":"p"},"provider_config":{"agent_id":"ag_1"}}`,
			want: func() *Endpoint {
				e := agentWant(elevenLabsDefault, ProviderConfig{Provider: ProviderElevenLabs, AgentID: "ag_1"})
				e.Status, e.RingTimeout = StatusInactive, 300
				e.Headers = map[string]string{"X-Tenant": "acme"}
				e.Credentials = &SIPCredentials{Username: "u", Password: "p"}
				return e
			}(),
		},
		{
			name: "ring timeout 1",
			body: `{"name":"A","type":"elevenlabs","ring_timeout":1,"provider_config":{"agent_id":"ag_1"}}`,
			want: func() *Endpoint {
				e := agentWant(elevenLabsDefault, ProviderConfig{Provider: ProviderElevenLabs, AgentID: "ag_1"})
				e.RingTimeout = 1
				return e
			}(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NewEndpoint(decodeInput(t, tt.body))
			if err != nil {
				t.Fatalf("NewEndpoint(%s) error: %v", tt.body, err)
			}
			if got.Secret != "" {
				t.Fatalf("agent endpoint got a secret %q", got.Secret)
			}
			if !reflect.DeepEqual(got, tt.want) {
				gotJ, _ := json.Marshal(got)
				wantJ, _ := json.Marshal(tt.want)
				t.Fatalf("NewEndpoint(%s)\n got  %s\n want %s", tt.body, gotJ, wantJ)
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("created endpoint does not validate: %v", err)
			}
		})
	}
}

func TestNewEndpointWebhook(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, url string
	}{
		{"https", `{"name":"W","type":"webhook","url":"https://example.com/hook"}`, "https://example.com/hook"},
		{"http with port and query", `{"name":"W","type":"webhook","url":"http://10.0.0.1:8080/h?x=1"}`, "http://10.0.0.1:8080/h?x=1"},
		{"upper-case type, null provider_config", `{"name":"W","type":"WEBHOOK","url":"https://example.com/hook","provider_config":null}`, "https://example.com/hook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NewEndpoint(decodeInput(t, tt.body))
			if err != nil {
				t.Fatalf("NewEndpoint(%s) error: %v", tt.body, err)
			}
			if got.Type != EndpointWebhook || got.URL != tt.url || got.ProviderConfig != nil || got.Provider() != "" ||
				got.Status != StatusActive || got.RingTimeout != DefaultRingTimeout {
				t.Fatalf("NewEndpoint(%s) = %+v", tt.body, got)
			}
			raw, ok := strings.CutPrefix(got.Secret, "whsec_")
			if !ok {
				t.Fatalf("secret %q does not start with whsec_", got.Secret)
			}
			b, err := base64.StdEncoding.DecodeString(raw)
			if err != nil || len(b) != 32 {
				t.Fatalf("secret %q: base64 decodes to %d bytes (err %v), want 32", got.Secret, len(b), err)
			}
			other, _ := NewEndpoint(decodeInput(t, tt.body))
			if other.Secret == got.Secret {
				t.Fatalf("two webhook endpoints share secret %q", got.Secret)
			}
		})
	}
}

func TestNewEndpointRejects(t *testing.T) {
	t.Parallel()
	const el = `"type":"elevenlabs","provider_config":{"agent_id":"ag_1"}`
	tests := []struct {
		name, body, field string
	}{
		// type
		{"type missing", `{"name":"A","url":"https://example.com"}`, "type"},
		{"type unknown", `{"name":"A","type":"fax"}`, "type"},
		{"type provider name misspelt", `{"name":"A","type":"eleven_labs","provider_config":{"agent_id":"a"}}`, "type"},

		// provider selection
		{"agent without provider_config", `{"name":"A","type":"agent","url":"sip:a.example.com"}`, "provider_config"},
		{"agent with null provider_config", `{"name":"A","type":"agent","url":"sip:a.example.com","provider_config":null}`, "provider_config"},
		{"agent without provider", `{"name":"A","type":"agent","provider_config":{"agent_id":"a"}}`, "provider_config.provider"},
		{"agent with unknown provider", `{"name":"A","type":"agent","url":"sip:a.example.com","provider_config":{"provider":"twilio"}}`, "provider_config.provider"},
		{"provider not a string", `{"name":"A","type":"agent","provider_config":{"provider":5,"agent_id":"a"}}`, "provider_config.provider"},
		{"provider disagrees with type vapi", `{"name":"A","type":"vapi","url":"sip:bot@sip.vapi.ai","provider_config":{"provider":"retell","assistant_id":"a"}}`, "provider_config.provider"},
		{"provider disagrees with type custom_sip", `{"name":"A","type":"custom_sip","url":"sip:a.example.com","provider_config":{"provider":"elevenlabs"}}`, "provider_config.provider"},
		{"provider disagrees with type elevenlabs", `{"name":"A","type":"elevenlabs","provider_config":{"provider":"livekit","agent_id":"a"}}`, "provider_config.provider"},

		// required keys
		{"elevenlabs without agent_id (agent model)", `{"name":"A","type":"agent","provider_config":{"provider":"elevenlabs"}}`, "provider_config.agent_id"},
		{"elevenlabs without agent_id (type model)", `{"name":"A","type":"elevenlabs"}`, "provider_config.agent_id"},
		{"elevenlabs blank agent_id", `{"name":"A","type":"elevenlabs","provider_config":{"agent_id":"  "}}`, "provider_config.agent_id"},
		{"retell without agent_id", `{"name":"A","type":"retell","provider_config":{}}`, "provider_config.agent_id"},
		{"retell without agent_id (agent model)", `{"name":"A","type":"agent","provider_config":{"provider":"retell"}}`, "provider_config.agent_id"},
		{"vapi without assistant_id", `{"name":"A","type":"vapi","url":"sip:bot@sip.vapi.ai","provider_config":{"credential_id":"c"}}`, "provider_config.assistant_id"},
		{"vapi without url", `{"name":"A","type":"vapi","provider_config":{"assistant_id":"a"}}`, "url"},
		{"vapi without url (agent model)", `{"name":"A","type":"agent","provider_config":{"provider":"vapi","assistant_id":"a"}}`, "url"},
		{"livekit without url", `{"name":"A","type":"livekit","provider_config":{"agent_name":"a"}}`, "url"},
		{"livekit without url (agent model)", `{"name":"A","type":"agent","provider_config":{"provider":"livekit"}}`, "url"},
		{"custom_sip without url", `{"name":"A","type":"custom_sip"}`, "url"},
		{"sip without url (agent model)", `{"name":"A","type":"agent","provider_config":{"provider":"sip"}}`, "url"},

		// provider_config keys and values
		{"elevenlabs unknown key", `{"name":"A","type":"elevenlabs","provider_config":{"agent_id":"a","assistant_id":"x"}}`, "provider_config.assistant_id"},
		{"vapi unknown key", `{"name":"A","type":"vapi","url":"sip:bot@sip.vapi.ai","provider_config":{"assistant_id":"a","foo":"x"}}`, "provider_config.foo"},
		{"retell rejects another provider's alias", `{"name":"A","type":"retell","provider_config":{"agent_id":"a","elevenlabs_agent_id":"a"}}`, "provider_config.elevenlabs_agent_id"},
		{"sip rejects any key", `{"name":"A","type":"custom_sip","url":"sip:a.example.com","provider_config":{"agent_id":"a"}}`, "provider_config.agent_id"},
		{"livekit_sip_uri is livekit only", `{"name":"A","type":"custom_sip","url":"sip:a.example.com","provider_config":{"livekit_sip_uri":"sip:a.example.com"}}`, "provider_config.livekit_sip_uri"},
		{"agent_id not a string", `{"name":"A","type":"elevenlabs","provider_config":{"agent_id":5}}`, "provider_config.agent_id"},
		{"agent_id null", `{"name":"A","type":"elevenlabs","provider_config":{"agent_id":null}}`, "provider_config.agent_id"},
		{"agent_id with newline", `{"name":"A","type":"elevenlabs","provider_config":{"agent_id":"a\nb"}}`, "provider_config.agent_id"},
		{"agent_id too long", `{"name":"A","type":"elevenlabs","provider_config":{"agent_id":"` + strings.Repeat("a", 257) + `"}}`, "provider_config.agent_id"},
		{"alias disagrees with canonical", `{"name":"A","type":"elevenlabs","provider_config":{"agent_id":"a","elevenlabs_agent_id":"b"}}`, "provider_config.elevenlabs_agent_id"},
		{"livekit_sip_uri disagrees with url", `{"name":"A","type":"livekit","url":"sip:a.sip.livekit.cloud","provider_config":{"livekit_sip_uri":"sip:b.sip.livekit.cloud"}}`, "provider_config.livekit_sip_uri"},
		{"livekit_sip_uri not SIP", `{"name":"A","type":"livekit","provider_config":{"livekit_sip_uri":"https://a.livekit.cloud"}}`, "url"},

		// agent url
		{"agent url is https", `{"name":"A","type":"vapi","url":"https://sip.vapi.ai","provider_config":{"assistant_id":"a"}}`, "url"},
		{"agent url with password", `{"name":"A","type":"custom_sip","url":"sip:u:pw@a.example.com"}`, "url"},
		{"agent url with transport ws", `{"name":"A","type":"custom_sip","url":"sip:a.example.com;transport=ws"}`, "url"},

		// webhook
		{"webhook with provider_config", `{"name":"W","type":"webhook","url":"https://example.com","provider_config":{}}`, "provider_config"},
		{"webhook with provider", `{"name":"W","type":"webhook","url":"https://example.com","provider_config":{"provider":"vapi"}}`, "provider_config"},
		{"webhook with credentials", `{"name":"W","type":"webhook","url":"https://example.com","credentials":{"username":"u","password":"p"}}`, "credentials"},
		{"webhook without url", `{"name":"W","type":"webhook"}`, "url"},
		{"webhook ftp", `{"name":"W","type":"webhook","url":"ftp://example.com/hook"}`, "url"},
		{"webhook sip", `{"name":"W","type":"webhook","url":"sip:a.example.com"}`, "url"},
		{"webhook relative path", `{"name":"W","type":"webhook","url":"/hooks/call"}`, "url"},
		{"webhook no scheme", `{"name":"W","type":"webhook","url":"example.com/hook"}`, "url"},
		{"webhook opaque", `{"name":"W","type":"webhook","url":"https:example.com"}`, "url"},
		{"webhook no host", `{"name":"W","type":"webhook","url":"https:///hook"}`, "url"},
		{"webhook userinfo", `{"name":"W","type":"webhook","url":"https://user:pw@example.com/hook"}`, "url"},
		{"webhook user only", `{"name":"W","type":"webhook","url":"https://user@example.com/hook"}`, "url"},
		{"webhook fragment", `{"name":"W","type":"webhook","url":"https://example.com/hook#x"}`, "url"},
		{"webhook unparseable", `{"name":"W","type":"webhook","url":"https://exa mple.com"}`, "url"},
		{"webhook too long", `{"name":"W","type":"webhook","url":"https://example.com/` + strings.Repeat("a", 2048) + `"}`, "url"},

		// name
		{"name missing", `{` + el + `}`, "name"},
		{"name blank", `{"name":"  \t",` + el + `}`, "name"},
		{"name 101 characters", `{"name":"` + strings.Repeat("n", 101) + `",` + el + `}`, "name"},
		{"name 101 runes", `{"name":"` + strings.Repeat("é", 101) + `",` + el + `}`, "name"},

		// status
		{"status unknown", `{"name":"A","status":"paused",` + el + `}`, "status"},
		{"status upper-case", `{"name":"A","status":"ACTIVE",` + el + `}`, "status"},

		// ring timeout
		{"ring_timeout 0", `{"name":"A","ring_timeout":0,` + el + `}`, "ring_timeout"},
		{"ring_timeout negative", `{"name":"A","ring_timeout":-5,` + el + `}`, "ring_timeout"},
		{"ring_timeout 301", `{"name":"A","ring_timeout":301,` + el + `}`, "ring_timeout"},

		// headers
		{"header without X-", `{"name":"A","headers":{"Authorization":"x"},` + el + `}`, "headers.Authorization"},
		{"header X- alone", `{"name":"A","headers":{"X-":"x"},` + el + `}`, "headers.X-"},
		{"header reserved", `{"name":"A","headers":{"X-Switchboard-Call":"x"},` + el + `}`, "headers.X-Switchboard-Call"},
		{"header reserved lower-case", `{"name":"A","headers":{"x-switchboard-org":"x"},` + el + `}`, "headers.x-switchboard-org"},
		{"header name with space", `{"name":"A","headers":{"X-A B":"x"},` + el + `}`, "headers.X-A B"},
		{"header name with colon", `{"name":"A","headers":{"X-A:":"x"},` + el + `}`, "headers.X-A:"},
		{"header value CRLF", `{"name":"A","headers":{"X-A":"a\r\nVia: evil"},` + el + `}`, "headers.X-A"},
		{"header value LF", `{"name":"A","headers":{"X-A":"a\nb"},` + el + `}`, "headers.X-A"},
		{"header value too long", `{"name":"A","headers":{"X-A":"` + strings.Repeat("v", 257) + `"},` + el + `}`, "headers.X-A"},
		{"too many headers", `{"name":"A","headers":` + headersBody(21) + `,` + el + `}`, "headers"},
		{"webhook header reserved", `{"name":"W","type":"webhook","url":"https://example.com","headers":{"X-Switchboard-Signature":"x"}}`, "headers.X-Switchboard-Signature"},

		// credentials
		{"credentials without password", `{"name":"A","credentials":{"username":"u"},` + el + `}`, "credentials"},
		{"credentials without username", `{"name":"A","credentials":{"password":"p"},` + el + `}`, "credentials"},
		{"credentials username too long", `{"name":"A","credentials":{"username":"` + strings.Repeat("u", 129) + `","password":"p"},` + el + `}`, "credentials"},
		{"credentials password too long", `{"name":"A","credentials":{"username":"u","password":"` + strings.Repeat("p", 129) + `"},` + el + `}`, "credentials"},
		{"credentials with quote", `{"name":"A","credentials":{"username":"u\"x","password":"p"},` + el + `}`, "credentials"},
		{"credentials with newline", `{"name":"A","credentials":{"username":"u","password":"p\r\n"},` + el + `}`, "credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NewEndpoint(decodeInput(t, tt.body))
			if err == nil {
				t.Fatalf("NewEndpoint(%s) = %+v, want an error on %q", tt.body, got, tt.field)
			}
			if got != nil {
				t.Fatalf("NewEndpoint returned an endpoint with an error")
			}
			wantFieldError(t, err, tt.field)
		})
	}
}

func TestNewEndpointLimitsAccepted(t *testing.T) {
	t.Parallel()
	const el = `"type":"elevenlabs","provider_config":{"agent_id":"ag_1"}`
	tests := []struct {
		name, body string
	}{
		{"name 100 characters", `{"name":"` + strings.Repeat("n", 100) + `",` + el + `}`},
		{"name 100 runes of 2 bytes", `{"name":"` + strings.Repeat("é", 100) + `",` + el + `}`},
		{"name 1 character", `{"name":"x",` + el + `}`},
		{"ring_timeout 300", `{"name":"A","ring_timeout":300,` + el + `}`},
		{"20 headers", `{"name":"A","headers":` + headersBody(20) + `,` + el + `}`},
		{"lower-case x- header", `{"name":"A","headers":{"x-tenant":"a"},` + el + `}`},
		{"header value 256", `{"name":"A","headers":{"X-A":"` + strings.Repeat("v", 256) + `"},` + el + `}`},
		{"credentials 128", `{"name":"A","credentials":{"username":"` + strings.Repeat("u", 128) + `","password":"` + strings.Repeat("p", 128) + `"},` + el + `}`},
		{"agent_id 256", `{"name":"A","type":"elevenlabs","provider_config":{"agent_id":"` + strings.Repeat("a", 256) + `"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewEndpoint(decodeInput(t, tt.body)); err != nil {
				t.Fatalf("NewEndpoint(%s) error: %v", tt.body, err)
			}
		})
	}
}

func TestEndpointCredentialsWriteOnly(t *testing.T) {
	t.Parallel()
	e := mustEndpoint(t, `{"name":"A","type":"elevenlabs","provider_config":{"agent_id":"ag_1"},"credentials":{"username":"user1","password":"s3cr3t-pw"}}`)
	if e.Credentials == nil || e.Credentials.Password != "s3cr3t-pw" {
		t.Fatalf("password not kept: %+v", e.Credentials)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "s3cr3t-pw") {
		t.Fatalf("password serialised: %s", b)
	}
	if !strings.Contains(string(b), `"username":"user1"`) {
		t.Fatalf("username not serialised: %s", b)
	}
}

func TestEndpointApply(t *testing.T) {
	t.Parallel()
	const (
		elBase      = `{"name":"EL","type":"elevenlabs","provider_config":{"agent_id":"ag_1"},"headers":{"X-Tenant":"acme"},"ring_timeout":45,"credentials":{"username":"u","password":"p"}}`
		elCustom    = `{"name":"EL","type":"elevenlabs","url":"sip:agent@pbx.example.com;transport=tls","provider_config":{"agent_id":"ag_1"}}`
		vapiBase    = `{"name":"V","type":"vapi","url":"sip:bot@sip.vapi.ai","provider_config":{"assistant_id":"as_1","credential_id":"cr_1"}}`
		lkBase      = `{"name":"LK","type":"livekit","url":"sip:proj.sip.livekit.cloud","provider_config":{"agent_name":"bob"}}`
		webhookBase = `{"name":"W","type":"webhook","url":"https://example.com/hook"}`
	)
	tests := []struct {
		name  string
		base  string
		patch string
		field string            // expected error field; "" for success
		want  func(e *Endpoint) // turns a copy of the base into the expected result
	}{
		{name: "empty patch changes nothing", base: elBase, patch: `{}`, want: func(e *Endpoint) {}},
		{name: "omitted fields unchanged, name changed", base: elBase, patch: `{"name":"New name"}`, want: func(e *Endpoint) { e.Name = "New name" }},
		{name: "status inactive", base: elBase, patch: `{"status":"inactive"}`, want: func(e *Endpoint) { e.Status = StatusInactive }},
		{name: "name null", base: elBase, patch: `{"name":null}`, field: "name"},
		{name: "name empty", base: elBase, patch: `{"name":""}`, field: "name"},
		{name: "name 101", base: elBase, patch: `{"name":"` + strings.Repeat("n", 101) + `"}`, field: "name"},
		{name: "status null", base: elBase, patch: `{"status":null}`, field: "status"},
		{name: "status unknown", base: elBase, patch: `{"status":"paused"}`, field: "status"},

		// url
		{name: "url set", base: elBase, patch: `{"url":"sips:sip.rtc.elevenlabs.io:5061;transport=tls"}`, want: func(e *Endpoint) { e.URL = "sips:sip.rtc.elevenlabs.io:5061;transport=tls" }},
		{name: "url null falls back to provider default", base: elCustom, patch: `{"url":null}`, want: func(e *Endpoint) { e.URL = elevenLabsDefault }},
		{name: "url empty falls back to provider default", base: elCustom, patch: `{"url":""}`, want: func(e *Endpoint) { e.URL = elevenLabsDefault }},
		{name: "url null without provider default", base: vapiBase, patch: `{"url":null}`, field: "url"},
		{name: "url not SIP on agent", base: vapiBase, patch: `{"url":"https://sip.vapi.ai"}`, field: "url"},
		{name: "webhook url changed", base: webhookBase, patch: `{"url":"https://example.org/h"}`, want: func(e *Endpoint) { e.URL = "https://example.org/h" }},
		{name: "webhook url null", base: webhookBase, patch: `{"url":null}`, field: "url"},
		{name: "webhook url ftp", base: webhookBase, patch: `{"url":"ftp://example.com"}`, field: "url"},

		// provider_config within a provider
		{name: "provider_config on webhook", base: webhookBase, patch: `{"provider_config":{"provider":"vapi"}}`, field: "provider_config"},
		{name: "provider_config null on agent", base: elBase, patch: `{"provider_config":null}`, field: "provider_config"},
		{name: "merge changes one key, keeps others", base: vapiBase, patch: `{"provider_config":{"assistant_id":"as_2"}}`, want: func(e *Endpoint) { e.ProviderConfig.AssistantID = "as_2" }},
		{name: "merge adds an optional key", base: lkBase, patch: `{"provider_config":{"sip_trunk_id":"ST_9"}}`, want: func(e *Endpoint) { e.ProviderConfig.SIPTrunkID = "ST_9" }},
		{name: "null removes an optional key", base: vapiBase, patch: `{"provider_config":{"credential_id":null}}`, want: func(e *Endpoint) { e.ProviderConfig.CredentialID = "" }},
		{name: "null removes a required key", base: vapiBase, patch: `{"provider_config":{"assistant_id":null}}`, field: "provider_config.assistant_id"},
		{name: "blank required key", base: elBase, patch: `{"provider_config":{"agent_id":""}}`, field: "provider_config.agent_id"},
		{name: "unknown key in patch", base: elBase, patch: `{"provider_config":{"foo":"x"}}`, field: "provider_config.foo"},
		{name: "same provider named explicitly merges", base: elBase, patch: `{"provider_config":{"provider":"elevenlabs","agent_id":"ag_2"}}`, want: func(e *Endpoint) { e.ProviderConfig.AgentID = "ag_2" }},
		{name: "same provider in another case merges", base: elBase, patch: `{"provider_config":{"provider":"ElevenLabs"}}`, want: func(e *Endpoint) {}},
		{name: "alias key in patch updates the canonical key", base: elBase, patch: `{"provider_config":{"elevenlabs_agent_id":"ag_2"}}`, want: func(e *Endpoint) { e.ProviderConfig.AgentID = "ag_2" }},
		{name: "livekit_sip_uri in patch updates url", base: lkBase, patch: `{"provider_config":{"livekit_sip_uri":"sip:other.sip.livekit.cloud"}}`, want: func(e *Endpoint) { e.URL = "sip:other.sip.livekit.cloud" }},

		// switching provider
		{
			name: "switch replaces config and resets defaulted url", base: elBase,
			patch: `{"provider_config":{"provider":"retell","agent_id":"r_1"}}`,
			want: func(e *Endpoint) {
				e.URL = retellDefault
				e.ProviderConfig = &ProviderConfig{Provider: ProviderRetell, AgentID: "r_1"}
			},
		},
		{name: "switch does not carry old required keys", base: elBase, patch: `{"provider_config":{"provider":"retell"}}`, field: "provider_config.agent_id"},
		{name: "switch to a provider without default needs url", base: elBase, patch: `{"provider_config":{"provider":"vapi","assistant_id":"as_1"}}`, field: "url"},
		{
			name: "switch with url in the same patch", base: elBase,
			patch: `{"url":"sip:bot@sip.vapi.ai","provider_config":{"provider":"vapi","assistant_id":"as_1"}}`,
			want: func(e *Endpoint) {
				e.URL = vapiURL
				e.ProviderConfig = &ProviderConfig{Provider: ProviderVapi, AssistantID: "as_1"}
			},
		},
		{
			name: "switch keeps a custom url", base: elCustom,
			patch: `{"provider_config":{"provider":"retell","agent_id":"r_1"}}`,
			want:  func(e *Endpoint) { e.ProviderConfig = &ProviderConfig{Provider: ProviderRetell, AgentID: "r_1"} },
		},
		{
			name: "switch drops old optional keys", base: vapiBase,
			patch: `{"provider_config":{"provider":"elevenlabs","agent_id":"a"}}`,
			want:  func(e *Endpoint) { e.ProviderConfig = &ProviderConfig{Provider: ProviderElevenLabs, AgentID: "a"} },
		},
		{name: "switch to unknown provider", base: elBase, patch: `{"provider_config":{"provider":"twilio"}}`, field: "provider_config.provider"},

		// credentials, ring timeout, headers
		{name: "credentials null clears", base: elBase, patch: `{"credentials":null}`, want: func(e *Endpoint) { e.Credentials = nil }},
		{name: "credentials replaced", base: elBase, patch: `{"credentials":{"username":"u2","password":"p2"}}`, want: func(e *Endpoint) { e.Credentials = &SIPCredentials{Username: "u2", Password: "p2"} }},
		{name: "credentials invalid", base: elBase, patch: `{"credentials":{"username":"u2"}}`, field: "credentials"},
		{name: "credentials on webhook", base: webhookBase, patch: `{"credentials":{"username":"u","password":"p"}}`, field: "credentials"},
		{name: "ring_timeout null gives default", base: elBase, patch: `{"ring_timeout":null}`, want: func(e *Endpoint) { e.RingTimeout = DefaultRingTimeout }},
		{name: "ring_timeout set", base: elBase, patch: `{"ring_timeout":120}`, want: func(e *Endpoint) { e.RingTimeout = 120 }},
		{name: "ring_timeout 0", base: elBase, patch: `{"ring_timeout":0}`, field: "ring_timeout"},
		{name: "ring_timeout 301", base: elBase, patch: `{"ring_timeout":301}`, field: "ring_timeout"},
		{name: "headers null clears", base: elBase, patch: `{"headers":null}`, want: func(e *Endpoint) { e.Headers = nil }},
		{name: "headers replaced", base: elBase, patch: `{"headers":{"X-Other":"1"}}`, want: func(e *Endpoint) { e.Headers = map[string]string{"X-Other": "1"} }},
		{name: "headers reserved", base: elBase, patch: `{"headers":{"X-Switchboard-Org":"1"}}`, field: "headers.X-Switchboard-Org"},

		// several fields: one bad field fails the whole patch
		{name: "good name, bad status", base: elBase, patch: `{"name":"ok","status":"nope"}`, field: "status"},
		{name: "good config, bad ring timeout", base: vapiBase, patch: `{"provider_config":{"assistant_id":"as_9"},"ring_timeout":0}`, field: "ring_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := mustEndpoint(t, tt.base)
			before := cloneEndpoint(base)
			var p EndpointPatch
			if err := json.Unmarshal([]byte(tt.patch), &p); err != nil {
				t.Fatalf("bad test patch %s: %v", tt.patch, err)
			}
			got, err := base.Apply(p)
			if !reflect.DeepEqual(base, before) {
				t.Fatalf("Apply(%s) modified the original endpoint:\n got  %+v\n want %+v", tt.patch, base, before)
			}
			if tt.field != "" {
				if got != nil {
					t.Fatalf("Apply(%s) returned an endpoint with an error", tt.patch)
				}
				wantFieldError(t, err, tt.field)
				return
			}
			if err != nil {
				t.Fatalf("Apply(%s) error: %v", tt.patch, err)
			}
			want := cloneEndpoint(base)
			tt.want(want)
			if !reflect.DeepEqual(got, want) {
				gotJ, _ := json.Marshal(got)
				wantJ, _ := json.Marshal(want)
				t.Fatalf("Apply(%s)\n got  %s\n want %s", tt.patch, gotJ, wantJ)
			}
		})
	}
}

func TestProviders(t *testing.T) {
	t.Parallel()
	want := []string{"elevenlabs", "livekit", "retell", "sip", "vapi"}
	if got := Providers(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Providers() = %v, want %v", got, want)
	}
	tests := []struct{ provider, want string }{
		{ProviderElevenLabs, elevenLabsDefault},
		{ProviderRetell, retellDefault},
		{ProviderVapi, ""},
		{ProviderLiveKit, ""},
		{ProviderSIP, ""},
		{"twilio", ""},
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			t.Parallel()
			if got := DefaultProviderURL(tt.provider); got != tt.want {
				t.Fatalf("DefaultProviderURL(%q) = %q, want %q", tt.provider, got, tt.want)
			}
		})
	}
}

// TestApplyAliasWithObjectValues: two spellings of one key carrying JSON
// objects (not comparable in Go) are a validation error, never a panic.
func TestApplyAliasWithObjectValues(t *testing.T) {
	t.Parallel()
	e, err := NewEndpoint(EndpointInput{Name: "el", Type: "elevenlabs", ProviderConfig: map[string]any{"agent_id": "a1"}})
	if err != nil {
		t.Fatal(err)
	}
	var p EndpointPatch
	if err := json.Unmarshal([]byte(`{"provider_config":{"agent_id":{"x":1},"elevenlabs_agent_id":{"y":2}}}`), &p); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Apply(p); ErrorCode(err) != ECodeValidation {
		t.Fatalf("Apply = %v, want VALIDATION_ERROR", err)
	}
}
