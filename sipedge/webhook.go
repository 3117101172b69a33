package sipedge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/switchboard-voice/switchboard"
)

// webhookCall is the data of the call.initiated a webhook endpoint is
// asked: the call as events carry it, plus what the carrier sent.
type webhookCall struct {
	switchboard.CallEventData
	SIP webhookSIP `json:"sip"`
}

type webhookSIP struct {
	CallID    string            `json:"call_id"`
	From      string            `json:"from"`
	To        string            `json:"to"`
	SourceIP  string            `json:"source_ip"`
	Transport string            `json:"transport"`
	Headers   map[string]string `json:"headers"` // the carrier's X- headers
}

// askWebhook posts call.initiated, signed with the endpoint's secret, and
// parses the reply into an action. It gives up after the webhook timeout
// or when the caller cancels.
func (c *call) askWebhook(ep *switchboard.Endpoint) (action, error) {
	e := c.e
	if e.cfg.Ask == nil {
		return action{}, errors.New("webhook endpoints are not configured on this node")
	}
	c.mu.Lock()
	data := webhookCall{CallEventData: c.record.EventData()}
	c.mu.Unlock()
	data.SIP = webhookSIP{
		CallID: c.record.SIPCallID, From: c.a.req.From().Value(), To: c.a.req.To().Value(),
		Transport: strings.ToLower(c.a.req.Transport()), Headers: map[string]string{},
	}
	// An outbound call's first leg is our INVITE to the callee: no source,
	// and its X- headers are ours (the trunk's), not the carrier's.
	if !c.a.uac {
		data.SIP.SourceIP, _, _ = net.SplitHostPort(c.a.req.Source())
		for _, h := range c.a.req.Headers() {
			if n := h.Name(); len(n) > 2 && strings.EqualFold(n[:2], "x-") {
				data.SIP.Headers[n] = h.Value()
			}
		}
	}
	msgID := switchboard.NewID(switchboard.PrefixEvent)
	body, err := json.Marshal(map[string]any{
		"id":        msgID,
		"event":     switchboard.EventCallInitiated,
		"timestamp": e.now(),
		"data":      data,
	})
	if err != nil {
		return action{}, fmt.Errorf("encode call.initiated: %w", err)
	}
	ctx, cancel := context.WithTimeout(c.setup, e.cfg.WebhookTimeout)
	defer cancel()
	reply, err := e.cfg.Ask(ctx, ep.URL, ep.Secret, msgID, body)
	if err != nil {
		return action{}, fmt.Errorf("ask %s: %w", ep.URL, err)
	}
	a, err := parseAction(reply)
	if err != nil {
		return action{}, fmt.Errorf("reply of %s: %w", ep.URL, err)
	}
	return a, nil
}
