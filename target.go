package switchboard

import "strings"

// Provider rules for the B-leg (DESIGN §6): which Request-URI user an agent
// expects and which transport it must be reached on.
var (
	// dialledUser lists the providers whose agents pick the agent by the
	// dialled number in the Request-URI user (ElevenLabs, Retell, LiveKit);
	// for Vapi and custom SIP the endpoint's URL is used as written.
	dialledUser = map[string]bool{ProviderElevenLabs: true, ProviderRetell: true, ProviderLiveKit: true}
	// requiredTransport lists providers that do not take UDP: ElevenLabs
	// and Retell are reached over TCP unless the URL asks for TLS.
	requiredTransport = map[string]string{ProviderElevenLabs: "tcp", ProviderRetell: "tcp"}
)

// AgentTarget returns the Request-URI of the B-leg INVITE for a call to
// dialled (E.164) routed to the agent endpoint e.
func AgentTarget(e *Endpoint, dialled string) (SIPURI, error) {
	raw := e.URL
	if raw == "" {
		raw = DefaultProviderURL(e.Provider())
	}
	u, err := ParseSIPURI(raw)
	if err != nil {
		return SIPURI{}, err
	}
	p := e.Provider()
	if dialledUser[p] {
		u.User = dialled
	}
	if want := requiredTransport[p]; want != "" && u.Scheme == "sip" && u.Transport() != "tls" && u.Transport() != want {
		u = u.withParam("transport", want)
	}
	return u, nil
}

// withParam returns u with the named parameter set to value, replacing an
// existing one (copying Params so u's backing array is not shared).
func (u SIPURI) withParam(name, value string) SIPURI {
	params := make([]SIPParam, 0, len(u.Params)+1)
	for _, p := range u.Params {
		if !strings.EqualFold(p.Name, name) {
			params = append(params, p)
		}
	}
	u.Params = append(params, SIPParam{Name: name, Value: value})
	return u
}
