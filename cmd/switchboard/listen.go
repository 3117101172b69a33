package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/switchboard-voice/switchboard"
	sdk "github.com/switchboard-voice/switchboard/client"
	"github.com/switchboard-voice/switchboard/webhook"
)

// `switchboard listen` is `stripe listen` for voice: it follows the
// organisation's event stream (GET /v1/events/stream) and prints each
// event, and with --forward-to POSTs it to a local URL signed exactly as a
// delivery is (both schemes, webhook.Sign), so a receiver under
// development sees what production will send without a public URL or a
// subscription.

func init() {
	topCommands["listen"] = apiCommand{"print events as they happen, and forward them signed to a local URL", runListen}
}

// forwardTimeout bounds one POST to --forward-to, as --webhook-timeout
// bounds a delivery.
const forwardTimeout = 10 * time.Second

func runListen(ctx context.Context, c *cli, args []string) error {
	fs := c.flagSet("listen", "[--events TYPES] [--forward-to URL] [--secret whsec_…]",
		"Print the organisation's events as they happen, one line each (JSON with --output json),\n"+
			"and forward each to --forward-to signed like a webhook delivery.")
	events := fs.String("events", "", "comma-separated event types or wildcards, e.g. call.*,endpoint.created (default: all)")
	forwardTo := fs.String("forward-to", "", "POST each event to this URL, signed with --secret like a real delivery")
	secret := fs.String("secret", "", "signing secret of the forwarded events (default: a new whsec_… for this session, printed at start)")
	lastID := fs.String("last-event-id", "", "start after this event (evt_…): replay what followed it, then go on live")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	var fwd *forwarder
	if *forwardTo != "" {
		u, err := url.Parse(*forwardTo)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageError{fmt.Sprintf("--forward-to must be an http or https URL, not %q", *forwardTo)}
		}
		if *secret == "" {
			*secret = switchboard.NewSigningSecret()
		}
		if _, err := switchboard.SignWebhook(nil, "evt_check", time.Now(), *secret); err != nil {
			return usageError{fmt.Sprintf("--secret: %v", err)}
		}
		fwd = &forwarder{url: *forwardTo, secret: *secret, hc: &http.Client{Timeout: forwardTimeout}}
		fmt.Fprintf(c.stderr, "Ready! Forwarding events to %s, signed with %s (Ctrl-C to stop)\n", *forwardTo, *secret)
	} else {
		fmt.Fprintln(c.stderr, "Ready! Listening for events (Ctrl-C to stop)")
	}
	return followEvents(ctx, c, splitList(*events), *lastID, func(ev *switchboard.Event) error {
		status := ""
		if fwd != nil {
			status = fwd.forward(ctx, ev)
		}
		if c.output == outputJSON {
			line := map[string]any{"id": ev.ID, "event": ev.Type, "timestamp": ev.Timestamp, "data": ev.Data}
			if fwd != nil {
				line["forward"] = status
			}
			return writeLine(c.stdout, line)
		}
		_, err := fmt.Fprintf(c.stdout, "%s  %-24s %s%s\n", ev.Timestamp.UTC().Format(time.RFC3339), ev.Type, ev.ID, arrow(status))
		return err
	})
}

// followEvents streams the organisation's events of these types to fn
// until ctx ends (Ctrl-C), reconnecting as the SDK does and saying so on
// stderr.
func followEvents(ctx context.Context, c *cli, types []string, lastID string, fn func(*switchboard.Event) error) error {
	stream := c.client.StreamEvents(ctx, sdk.StreamEventsParams{
		Types: types, LastEventID: lastID,
		OnReconnect: func(err error) { fmt.Fprintf(c.stderr, "stream interrupted (%v); reconnecting\n", err) },
	})
	for ev, err := range stream {
		if err != nil {
			return err
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
	return nil // ctx ended: Ctrl-C is how listen stops
}

// forwarder POSTs events to the developer's URL.
type forwarder struct {
	url, secret string
	hc          *http.Client
}

// forward POSTs ev's envelope, signed, and returns what to show: the
// status code, or the error.
func (f *forwarder) forward(ctx context.Context, ev *switchboard.Event) string {
	body, err := switchboard.EventEnvelope(ev.ID, ev.Type, ev.Timestamp, string(ev.Data))
	if err != nil {
		return "error: " + err.Error()
	}
	header, err := webhook.Sign(body, ev.ID, time.Now(), f.secret)
	if err != nil {
		return "error: " + err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(body))
	if err != nil {
		return "error: " + err.Error()
	}
	req.Header = header
	resp, err := f.hc.Do(req)
	if err != nil {
		return "error: " + err.Error()
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return fmt.Sprintf("%d", resp.StatusCode)
}

// arrow shows a forward's outcome after an event's line.
func arrow(status string) string {
	if status == "" {
		return ""
	}
	return "  → " + status
}

// writeLine writes v as one line of JSON (NDJSON): a stream is read line
// by line.
func writeLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
