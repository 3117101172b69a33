package sipedge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/switchboard-voice/switchboard"
)

// Limits on a webhook's reply: a reply is hostile input that becomes SIP.
const (
	maxActionBody    = 64 << 10
	maxActionTargets = 5
	maxTargetHeaders = 20
	maxHeaderValue   = 256
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

// target is one place to send the B-leg INVITE.
type target struct {
	uri      switchboard.SIPURI
	headers  [][2]string // extra X- headers, in the order given
	endpoint *switchboard.Endpoint
}

// parseAction validates a webhook reply:
//
//	{"action": "dial", "targets": [{"uri": "sip:…", "headers": {"X-A": "1"}}]}
//	{"action": "reject", "status": 486}
//
// Target URIs must be sip:/sips: URIs; header names must be X- headers
// and values must not carry line breaks (CRLF injection into SIP).
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
		if len(rt.Headers) > maxTargetHeaders {
			return action{}, fmt.Errorf("targets[%d].headers: more than %d", i, maxTargetHeaders)
		}
		t := target{uri: u}
		for name, value := range rt.Headers {
			if err := checkXHeader(name, value); err != nil {
				return action{}, fmt.Errorf("targets[%d].headers: %w", i, err)
			}
			t.headers = append(t.headers, [2]string{name, value})
		}
		sortHeaders(t.headers)
		a.targets = append(a.targets, t)
	}
	return a, nil
}

// checkXHeader accepts an X- header whose name is a SIP token and whose
// value is printable text without line breaks.
func checkXHeader(name, value string) error {
	if len(name) < 3 || !strings.EqualFold(name[:2], "x-") {
		return fmt.Errorf("header %q: only X- headers may be added", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-.!%*_+`'~", c) >= 0) {
			return fmt.Errorf("header %q: name is not a SIP token", name)
		}
	}
	if len(value) > maxHeaderValue {
		return fmt.Errorf("header %q: value longer than %d", name, maxHeaderValue)
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return fmt.Errorf("header %q: value holds a control character", name)
		}
	}
	return nil
}

// sortHeaders orders headers by name so the B-leg INVITE is deterministic.
func sortHeaders(h [][2]string) {
	for i := 1; i < len(h); i++ {
		for j := i; j > 0 && h[j][0] < h[j-1][0]; j-- {
			h[j], h[j-1] = h[j-1], h[j]
		}
	}
}
