package sipedge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/switchboard-voice/switchboard"
)

// Limits on a webhook's reply: a reply is hostile input that becomes SIP.
const (
	maxActionBody    = 64 << 10
	maxActionTargets = 5
)

// Webhook actions.
const (
	actionDial   = "dial"
	actionReject = "reject"
)

// action is a webhook endpoint's validated answer to call.initiated.
type action struct {
	kind    string   // dial or reject
	targets []target // for dial
	status  int      // for reject
}

// target is one place to send an INVITE: an agent (endpoint, or a
// webhook's answer) or one address of a carrier's trunk.
type target struct {
	uri      switchboard.SIPURI
	headers  [][2]string // extra X- headers, in the order given
	endpoint *switchboard.Endpoint
	trunk    *switchboard.Trunk
}

// credentials are what the target's digest challenge is answered with:
// the endpoint's, or the trunk's; nil when there are none.
func (t target) credentials() *switchboard.SIPCredentials {
	switch {
	case t.endpoint != nil:
		return t.endpoint.Credentials
	case t.trunk != nil && t.trunk.AuthUsername != "":
		return &switchboard.SIPCredentials{Username: t.trunk.AuthUsername, Password: t.trunk.AuthPassword}
	}
	return nil
}

// parseAction validates a webhook reply:
//
//	{"action": "dial", "targets": [{"uri": "sip:…", "headers": {"X-A": "1"}}]}
//	{"action": "reject", "status": 486}
//
// Target URIs must be sip:/sips: URIs; header names must be X- headers
// and values must not carry line breaks (CRLF injection into SIP):
// switchboard.ValidateHeaders, the rule for endpoint headers too.
func parseAction(body []byte) (action, error) {
	if len(body) > maxActionBody {
		return action{}, fmt.Errorf("reply is larger than %d bytes", maxActionBody)
	}
	var raw struct {
		Action  string `json:"action"`
		Status  int    `json:"status"`
		Targets []struct {
			URI     string            `json:"uri"`
			Headers map[string]string `json:"headers"`
		} `json:"targets"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		return action{}, fmt.Errorf("reply is not a JSON object: %w", err)
	}
	switch raw.Action {
	case actionReject:
		if raw.Status < 400 || raw.Status > 699 {
			return action{}, fmt.Errorf("reject status %d is not a SIP failure status (400-699)", raw.Status)
		}
		return action{kind: actionReject, status: raw.Status}, nil
	case actionDial:
	default:
		return action{}, fmt.Errorf("unknown action %q", raw.Action)
	}
	if len(raw.Targets) == 0 || len(raw.Targets) > maxActionTargets {
		return action{}, fmt.Errorf("dial needs 1 to %d targets, got %d", maxActionTargets, len(raw.Targets))
	}
	a := action{kind: actionDial}
	for i, rt := range raw.Targets {
		u, err := switchboard.ParseSIPURI(rt.URI)
		if err != nil {
			return action{}, fmt.Errorf("targets[%d].uri: %w", i, err)
		}
		if err := switchboard.ValidateHeaders(rt.Headers); err != nil {
			return action{}, fmt.Errorf("targets[%d]: %w", i, err)
		}
		t := target{uri: u}
		for _, name := range slices.Sorted(maps.Keys(rt.Headers)) { // sorted: a deterministic INVITE
			t.headers = append(t.headers, [2]string{name, rt.Headers[name]})
		}
		a.targets = append(a.targets, t)
	}
	return a, nil
}
