package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/client"
)

// The examples need a running Switchboard (switchboard serve) and a key;
// they are compiled with the tests but not run, having no server to talk
// to. cmd/switchboard/sdk_e2e_test.go runs the same calls against the
// real program.

func ExampleNew() {
	// An empty URL or key is read from SWITCHBOARD_URL and
	// SWITCHBOARD_API_KEY.
	c := client.New("http://localhost:8080", "kros_live_…",
		client.WithRetries(5),
		client.WithUserAgent("my-dialler/1.0"))
	h, err := c.Health(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(h.Status)
}

func ExampleError() {
	c := client.New("", "")
	_, err := c.GetEndpoint(context.Background(), "ep_missing")
	var e *client.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, e.Code, e.Message, e.RequestID)
	}
	switch client.ErrorCode(err) {
	case "ENDPOINT_NOT_FOUND":
		// create it
	case "INSUFFICIENT_SCOPE":
		// ask for a key with endpoints:read
	}
}

func ExampleClient_CreateEndpoint() {
	c := client.New("", "")
	ctx := context.Background()
	ep, err := c.CreateEndpoint(ctx, client.EndpointCreate{
		Name:           "Support agent",
		Type:           "elevenlabs",
		ProviderConfig: map[string]any{"agent_id": "agent_123"},
	})
	if err != nil {
		log.Fatal(err)
	}
	// PATCH: only the fields set are sent; switchboard.Null clears one.
	ep, err = c.UpdateEndpoint(ctx, ep.ID, client.EndpointUpdate{
		Name:        switchboard.Some("Sales agent"),
		RingTimeout: switchboard.Some(45),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ep.ID, ep.Name)
}

func ExampleClient_ListEndpoints() {
	c := client.New("", "")
	// The iterator fetches page after page by itself.
	for ep, err := range c.ListEndpoints(context.Background(), client.ListEndpointsParams{Type: "agent"}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ep.ID, ep.Name)
	}
}

func ExampleClient_ClaimPhoneNumber() {
	c := client.New("", "")
	ctx := context.Background()
	for n, err := range c.ListAvailablePhoneNumbers(ctx, client.ListAvailableParams{Country: "NG"}) {
		if err != nil {
			log.Fatal(err)
		}
		pn, err := c.ClaimPhoneNumber(ctx, client.ClaimPhoneNumberParams{InventoryID: n.ID, EndpointID: "ep_…"})
		if err != nil {
			log.Fatal(err)
		}
		// The SIP password is shown this once.
		fmt.Println(pn.Number, pn.SIPCredentials.Username, pn.SIPCredentials.Password)
		route, err := c.ExplainPhoneNumberRoute(ctx, pn.ID)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(route.Decision, route.Reason)
		break
	}
}

func ExampleClient_ListCalls() {
	c := client.New("", "")
	ctx := context.Background()
	calls := c.ListCalls(ctx, client.ListCallsParams{Status: "failed", FromDate: "2025-01-10", ToDate: "2025-01-10"})
	for call, err := range calls {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(call.ID, call.FromNumber, call.FailureReason)
		for ev, err := range c.ListCallEvents(ctx, call.ID, client.ListOptions{}) {
			if err != nil {
				log.Fatal(err)
			}
			fmt.Println("  ", ev.Timestamp.Format(time.TimeOnly), ev.Type, ev.Detail)
		}
	}
}

func ExampleClient_CreateOutboundCall() {
	c := client.New("", "")
	// A key of the caller's makes the call safe to repeat after a crash:
	// the API answers the first call instead of placing a second.
	ctx := client.WithIdempotencyKey(context.Background(), "order-1234-reminder")
	call, err := c.CreateOutboundCall(ctx, client.OutboundCallParams{
		FromNumber: "+2348012345678",
		ToNumber:   "+14155550100",
		Metadata:   []byte(`{"order_id":"1234"}`),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(call.CallID, call.Status)
	if _, err := c.HangupCall(context.Background(), call.CallID); err != nil {
		log.Fatal(err)
	}
}

func ExampleClient_CreateTrunk() {
	c := client.New("", "")
	tr, err := c.CreateTrunk(context.Background(), client.TrunkCreate{
		Name: "Telnyx", Address: "sip.telnyx.com:5060", Transport: "tcp",
		AuthUsername: "acme", AuthPassword: "…", Default: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tr.ID)
}

func ExampleClient_CreateWebhook() {
	c := client.New("", "")
	ctx := context.Background()
	hook, err := c.CreateWebhook(ctx, client.WebhookCreate{URL: "https://example.com/hooks", Events: []string{"call.*"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(hook.ID, hook.Secret) // keep the secret for VerifyWebhook
	if _, err := c.TestWebhook(ctx, hook.ID); err != nil {
		log.Fatal(err)
	}
}

func ExampleClient_ListWebhookDeliveries() {
	c := client.New("", "")
	ctx := context.Background()
	for d, err := range c.ListWebhookDeliveries(ctx, client.ListDeliveriesParams{Status: "failed"}) {
		if err != nil {
			log.Fatal(err)
		}
		if _, err := c.RetryWebhookDelivery(ctx, d.ID); err != nil {
			log.Fatal(err)
		}
	}
}

func ExampleClient_CreateAPIKey() {
	c := client.New("", "")
	k, err := c.CreateAPIKey(context.Background(), client.APIKeyCreate{Name: "ci", Scopes: []string{"calls:read"}, Mode: "test"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(k.ID, k.Key) // the secret, shown this once
}

func ExampleVerifyWebhook() {
	secret := "whsec_…" // the subscription's or endpoint's signing secret
	http.HandleFunc("/hooks", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		if err := client.VerifyWebhook(secret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
