package main

// The resource commands, one map of verbs per resource; each command is a
// thin layer over one SDK method. Lists page through everything unless
// --limit says otherwise; create and update take flags for the common
// fields and --data for the whole body, the flags winning.

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard"
	sdk "github.com/switchboard-voice/switchboard/client"
)

const dataHelp = "the whole request body as JSON, or @FILE (@- for stdin); flags override its fields"

// listCommand is a `RESOURCE list`: setup adds the filter flags and
// returns how to list once they are parsed.
func listCommand[T any](name, summary string, cols []column[T],
	setup func(fs *flag.FlagSet) func(ctx context.Context, cl *sdk.Client, o sdk.ListOptions) iter.Seq2[*T, error]) apiCommand {
	return apiCommand{summary, func(ctx context.Context, c *cli, args []string) error {
		fs := c.flagSet(name, "[flags]", summary)
		limit := fs.Int("limit", 0, "print at most this many (0: all, paging through the whole list)")
		list := setup(fs)
		if err := c.parse(fs, args); err != nil {
			return err
		}
		if err := noArgs(fs); err != nil {
			return err
		}
		items, err := collect(list(ctx, c.client, sdk.ListOptions{Limit: pageSize(*limit)}), *limit)
		if err != nil {
			return err
		}
		return printList(c, cols, items)
	}}
}

// idCommand is a command on one resource given by its id (get, delete,
// hangup, …); show prints the answer.
func idCommand[T any](name, summary string, do func(cl *sdk.Client, ctx context.Context, id string) (*T, error), show func(c *cli, v *T) error) apiCommand {
	return apiCommand{summary, func(ctx context.Context, c *cli, args []string) error {
		fs := c.flagSet(name, "ID", summary)
		if err := c.parse(fs, args); err != nil {
			return err
		}
		id, err := oneID(fs, "ID")
		if err != nil {
			return err
		}
		v, err := do(c.client, ctx, id)
		if err != nil {
			return err
		}
		return show(c, v)
	}}
}

// createCommand is a `RESOURCE create`: setup adds the body's flags and
// returns how those given override --data's body once parsed; send sends
// it.
func createCommand[B, T any](name, usage, summary, help string, cols []column[T],
	send func(cl *sdk.Client, ctx context.Context, b B) (*T, error),
	setup func(fs *flag.FlagSet) func(set map[string]bool, b *B) error) apiCommand {
	return bodyCommand(name, usage, summary, help, false, cols,
		func(cl *sdk.Client, ctx context.Context, _ string, b B) (*T, error) { return send(cl, ctx, b) }, setup)
}

// updateCommand is a `RESOURCE update ID`, as createCommand.
func updateCommand[B, T any](name, usage, summary, help string, cols []column[T],
	send func(cl *sdk.Client, ctx context.Context, id string, b B) (*T, error),
	setup func(fs *flag.FlagSet) func(set map[string]bool, b *B) error) apiCommand {
	return bodyCommand(name, usage, summary, help, true, cols, send, setup)
}

func bodyCommand[B, T any](name, usage, summary, help string, takesID bool, cols []column[T],
	send func(cl *sdk.Client, ctx context.Context, id string, b B) (*T, error),
	setup func(fs *flag.FlagSet) func(set map[string]bool, b *B) error) apiCommand {
	return apiCommand{summary, func(ctx context.Context, c *cli, args []string) error {
		fs := c.flagSet(name, usage, help)
		apply := setup(fs)
		data := fs.String("data", "", dataHelp)
		if err := c.parse(fs, args); err != nil {
			return err
		}
		var id string
		var err error
		if takesID {
			id, err = oneID(fs, "ID")
		} else {
			err = noArgs(fs)
		}
		if err != nil {
			return err
		}
		var b B
		if err := readData(*data, &b); err != nil {
			return err
		}
		if err := apply(setFlags(fs), &b); err != nil {
			return err
		}
		v, err := send(c.client, ctx, id, b)
		if err != nil {
			return err
		}
		return printOne(c, cols, v)
	}}
}

// showWith prints one object as a table with cols, or as JSON.
func showWith[T any](cols []column[T]) func(c *cli, v *T) error {
	return func(c *cli, v *T) error { return printOne(c, cols, v) }
}

// showMessage prints the answer as JSON, or as the sentence msg makes of
// it on a terminal.
func showMessage[T any](msg func(v *T) string) func(c *cli, v *T) error {
	return func(c *cli, v *T) error {
		if c.output == outputJSON {
			return writeJSON(c.stdout, v)
		}
		_, err := fmt.Fprintln(c.stdout, msg(v))
		return err
	}
}

// overrideClearable sets *dst from a string flag when it was given: null
// when given empty (which clears the field), else Some(v); --data's value
// stays otherwise.
func overrideClearable(set map[string]bool, name string, dst *switchboard.Optional[string], v string) {
	switch {
	case !set[name]:
	case v == "":
		*dst = switchboard.Null[string]()
	default:
		*dst = switchboard.Some(v)
	}
}

// override sets *dst to v when the flag was given (so --data's value
// stays otherwise).
func override[T any](set map[string]bool, name string, dst *T, v T) {
	if set[name] {
		*dst = v
	}
}

// overrideOpt sets *dst to Some(v) when the flag was given.
func overrideOpt[T any](set map[string]bool, name string, dst *switchboard.Optional[T], v T) {
	if set[name] {
		*dst = switchboard.Some(v)
	}
}

// ---- endpoints

var endpointColumns = []column[switchboard.Endpoint]{
	col("ID", func(e *switchboard.Endpoint) string { return e.ID }),
	col("NAME", func(e *switchboard.Endpoint) string { return e.Name }),
	col("TYPE", func(e *switchboard.Endpoint) string { return e.Type }),
	col("STATUS", func(e *switchboard.Endpoint) string { return e.Status }),
	col("URL", func(e *switchboard.Endpoint) string { return e.URL }),
	col("RING TIMEOUT", func(e *switchboard.Endpoint) string { return cellInt(e.RingTimeout) }),
	col("CREATED", func(e *switchboard.Endpoint) string { return cellTime(e.CreatedAt) }),
}

func deletedMessage(d *sdk.Deleted) string {
	return fmt.Sprintf("deleted %s (%d phone numbers detached)", d.ID, d.DetachedPhoneNumbers)
}

var endpointCommands = map[string]apiCommand{
	"list": listCommand("endpoints list", "list endpoints, newest first", endpointColumns,
		func(fs *flag.FlagSet) func(context.Context, *sdk.Client, sdk.ListOptions) iter.Seq2[*switchboard.Endpoint, error] {
			typ := fs.String("type", "", "only agent or only webhook endpoints")
			status := fs.String("status", "", "only active or only inactive endpoints")
			return func(ctx context.Context, cl *sdk.Client, o sdk.ListOptions) iter.Seq2[*switchboard.Endpoint, error] {
				return cl.ListEndpoints(ctx, sdk.ListEndpointsParams{Type: *typ, Status: *status, ListOptions: o})
			}
		}),
	"get": idCommand("endpoints get", "show an endpoint", (*sdk.Client).GetEndpoint, showWith(endpointColumns)),
	"create": createCommand("endpoints create", "--name NAME --type agent|webhook --endpoint-url URL [flags]", "create an endpoint (an agent SIP URI or a webhook URL)", "create an endpoint (an agent SIP URI or a webhook URL)", endpointColumns, (*sdk.Client).CreateEndpoint,
		func(fs *flag.FlagSet) func(set map[string]bool, in *sdk.EndpointCreate) error {
			name := fs.String("name", "", "the endpoint's name")
			typ := fs.String("type", "", "agent (a SIP URI) or webhook (an HTTPS URL that decides each call)")
			u := fs.String("endpoint-url", "", "sip:… for an agent, https://… for a webhook (--url is the API's)")
			status := fs.String("status", "", "active (default) or inactive")
			ring := fs.Int("ring-timeout", 0, "seconds to ring the agent before failing over")
			pc := fs.String("provider-config", "", `an agent's provider as JSON, e.g. {"provider":"elevenlabs","agent_id":"agent_xyz"}`)
			return func(set map[string]bool, in *sdk.EndpointCreate) error {
				override(set, "name", &in.Name, *name)
				override(set, "type", &in.Type, *typ)
				override(set, "endpoint-url", &in.URL, *u)
				override(set, "status", &in.Status, *status)
				override(set, "ring-timeout", &in.RingTimeout, ring)
				if set["provider-config"] {
					if err := json.Unmarshal([]byte(*pc), &in.ProviderConfig); err != nil {
						return usageError{fmt.Sprintf("--provider-config: not a JSON object: %v", err)}
					}
				}
				return nil
			}
		}),
	"update": updateCommand("endpoints update", "[flags] ID", "change an endpoint's fields", "change an endpoint's fields (only those given)", endpointColumns, (*sdk.Client).UpdateEndpoint,
		func(fs *flag.FlagSet) func(set map[string]bool, p *sdk.EndpointUpdate) error {
			name := fs.String("name", "", "a new name")
			u := fs.String("endpoint-url", "", "a new URL (--url is the API's)")
			status := fs.String("status", "", "active or inactive")
			ring := fs.Int("ring-timeout", 0, "seconds to ring the agent")
			pc := fs.String("provider-config", "", "an agent's provider as JSON")
			return func(set map[string]bool, p *sdk.EndpointUpdate) error {
				overrideOpt(set, "name", &p.Name, *name)
				overrideOpt(set, "endpoint-url", &p.URL, *u)
				overrideOpt(set, "status", &p.Status, *status)
				overrideOpt(set, "ring-timeout", &p.RingTimeout, *ring)
				if set["provider-config"] {
					var m map[string]any
					if err := json.Unmarshal([]byte(*pc), &m); err != nil {
						return usageError{fmt.Sprintf("--provider-config: not a JSON object: %v", err)}
					}
					p.ProviderConfig = switchboard.Some(m)
				}
				return nil
			}
		}),
	"delete": idCommand("endpoints delete", "delete an endpoint (its numbers are detached)", (*sdk.Client).DeleteEndpoint, showMessage(deletedMessage)),
}

// ---- phone numbers

var numberColumns = []column[switchboard.PhoneNumber]{
	col("ID", func(n *switchboard.PhoneNumber) string { return n.ID }),
	col("NUMBER", func(n *switchboard.PhoneNumber) string { return n.Number }),
	col("COUNTRY", func(n *switchboard.PhoneNumber) string { return n.Country }),
	col("TYPE", func(n *switchboard.PhoneNumber) string { return n.Type }),
	col("STATUS", func(n *switchboard.PhoneNumber) string { return n.Status }),
	col("ENDPOINT", func(n *switchboard.PhoneNumber) string { return cellStr(n.EndpointID) }),
	col("FALLBACK", func(n *switchboard.PhoneNumber) string { return cellStr(n.FallbackEndpointID) }),
	col("TRUNK", func(n *switchboard.PhoneNumber) string { return cellStr(n.TrunkID) }),
	col("INBOUND", func(n *switchboard.PhoneNumber) string { return cellBool(n.AllowInbound) }),
	col("OUTBOUND", func(n *switchboard.PhoneNumber) string { return cellBool(n.AllowOutbound) }),
}

var inventoryColumns = []column[switchboard.InventoryNumber]{
	col("ID", func(n *switchboard.InventoryNumber) string { return n.ID }),
	col("NUMBER", func(n *switchboard.InventoryNumber) string { return n.Number }),
	col("COUNTRY", func(n *switchboard.InventoryNumber) string { return n.Country }),
	col("TYPE", func(n *switchboard.InventoryNumber) string { return n.Type }),
}

var numberCommands = map[string]apiCommand{
	"list": listCommand("numbers list", "list the organisation's phone numbers", numberColumns,
		func(fs *flag.FlagSet) func(context.Context, *sdk.Client, sdk.ListOptions) iter.Seq2[*switchboard.PhoneNumber, error] {
			status := fs.String("status", "", "only numbers with this status (active, inactive, pending)")
			country := fs.String("country", "", "only numbers of this country (ISO 3166 alpha-2)")
			endpoint := fs.String("endpoint-id", "", "only numbers attached to this endpoint")
			return func(ctx context.Context, cl *sdk.Client, o sdk.ListOptions) iter.Seq2[*switchboard.PhoneNumber, error] {
				return cl.ListPhoneNumbers(ctx, sdk.ListPhoneNumbersParams{Status: *status, Country: *country, EndpointID: *endpoint, ListOptions: o})
			}
		}),
	"available": listCommand("numbers available", "list the inventory's free numbers", inventoryColumns,
		func(fs *flag.FlagSet) func(context.Context, *sdk.Client, sdk.ListOptions) iter.Seq2[*switchboard.InventoryNumber, error] {
			country := fs.String("country", "", "only numbers of this country (ISO 3166 alpha-2)")
			typ := fs.String("type", "", "only local, mobile or toll_free numbers")
			return func(ctx context.Context, cl *sdk.Client, o sdk.ListOptions) iter.Seq2[*switchboard.InventoryNumber, error] {
				return cl.ListAvailablePhoneNumbers(ctx, sdk.ListAvailableParams{Country: *country, Type: *typ, ListOptions: o})
			}
		}),
	"get": idCommand("numbers get", "show a phone number", (*sdk.Client).GetPhoneNumber, showWith(numberColumns)),
	"claim": {"claim a free number for the organisation", func(ctx context.Context, c *cli, args []string) error {
		fs := c.flagSet("numbers claim", "[flags] [NUMBER]", "claim a free number (by E.164 or --inventory-id) for the organisation")
		inv := fs.String("inventory-id", "", "the inventory id of the number (from numbers available)")
		endpoint := fs.String("endpoint-id", "", "attach this endpoint")
		in := fs.Bool("allow-inbound", true, "the number takes inbound calls")
		out := fs.Bool("allow-outbound", true, "the number places outbound calls")
		data := fs.String("data", "", dataHelp)
		if err := c.parse(fs, args); err != nil {
			return err
		}
		var p sdk.ClaimPhoneNumberParams
		if err := readData(*data, &p); err != nil {
			return err
		}
		switch fs.NArg() {
		case 0:
		case 1:
			p.Number = fs.Arg(0)
		default:
			return usageError{fmt.Sprintf("numbers claim takes one NUMBER, got %q", fs.Args())}
		}
		set := setFlags(fs)
		override(set, "inventory-id", &p.InventoryID, *inv)
		override(set, "endpoint-id", &p.EndpointID, *endpoint)
		override(set, "allow-inbound", &p.AllowInbound, in)
		override(set, "allow-outbound", &p.AllowOutbound, out)
		if p.Number == "" && p.InventoryID == "" {
			return usageError{"numbers claim: give a NUMBER (E.164) or --inventory-id"}
		}
		n, err := c.client.ClaimPhoneNumber(ctx, p)
		if err != nil {
			return err
		}
		return printOne(c, numberColumns, n)
	}},
	"update": updateCommand("numbers update", "[flags] ID", "attach endpoints or a trunk, or change what a number allows", "attach endpoints or a trunk, or change what a number allows (only the flags given; an empty value detaches)", numberColumns, (*sdk.Client).UpdatePhoneNumber,
		func(fs *flag.FlagSet) func(set map[string]bool, p *sdk.PhoneNumberUpdate) error {
			endpoint := fs.String("endpoint-id", "", "the endpoint calls go to (\"\" detaches)")
			fallback := fs.String("fallback-endpoint-id", "", "the endpoint to fail over to (\"\" detaches)")
			trunk := fs.String("trunk-id", "", "the trunk outbound calls leave by (\"\" detaches)")
			in := fs.Bool("allow-inbound", false, "whether the number takes inbound calls (--allow-inbound=false refuses them)")
			out := fs.Bool("allow-outbound", false, "whether the number places outbound calls (--allow-outbound=false stops them)")
			return func(set map[string]bool, p *sdk.PhoneNumberUpdate) error {
				overrideClearable(set, "endpoint-id", &p.EndpointID, *endpoint)
				overrideClearable(set, "fallback-endpoint-id", &p.FallbackEndpointID, *fallback)
				overrideClearable(set, "trunk-id", &p.TrunkID, *trunk)
				overrideOpt(set, "allow-inbound", &p.AllowInbound, *in)
				overrideOpt(set, "allow-outbound", &p.AllowOutbound, *out)
				return nil
			}
		}),
	"release": idCommand("numbers release", "return a number to the inventory", (*sdk.Client).ReleasePhoneNumber,
		showMessage(func(r *sdk.Released) string { return fmt.Sprintf("released %s (%s)", r.Number, r.ID) })),
	"route": idCommand("numbers route", "say where a call to the number would go now", (*sdk.Client).ExplainPhoneNumberRoute,
		showMessage(func(r *sdk.Route) string {
			var b strings.Builder
			fmt.Fprintf(&b, "%s: %s", r.Number, r.Decision)
			if r.Reason != "" {
				fmt.Fprintf(&b, " (%s)", r.Reason)
			}
			for i, t := range r.Targets {
				role := "primary"
				if t.Fallback {
					role = "fallback"
				}
				fmt.Fprintf(&b, "\n  %d. %s %s (%s, %s, %s)", i+1, role, t.EndpointID, t.Endpoint.Name, t.Endpoint.Type, t.Endpoint.Status)
			}
			return b.String()
		})),
}

// ---- calls

var callColumns = []column[switchboard.Call]{
	col("ID", func(x *switchboard.Call) string { return x.ID }),
	col("DIRECTION", func(x *switchboard.Call) string { return x.Direction }),
	col("FROM", func(x *switchboard.Call) string { return x.FromNumber }),
	col("TO", func(x *switchboard.Call) string { return x.ToNumber }),
	col("STATUS", func(x *switchboard.Call) string { return x.Status }),
	col("DURATION", func(x *switchboard.Call) string { return cellInt(x.Duration) + "s" }),
	col("ENDPOINT", func(x *switchboard.Call) string { return cellStr(x.EndpointID) }),
	col("CREATED", func(x *switchboard.Call) string { return cellTime(x.CreatedAt) }),
}

var callEventColumns = []column[switchboard.CallEvent]{
	col("TIME", func(e *switchboard.CallEvent) string { return e.Timestamp.UTC().Format(time.RFC3339Nano) }),
	col("TYPE", func(e *switchboard.CallEvent) string { return e.Type }),
	col("STATUS", func(e *switchboard.CallEvent) string { return e.Status }),
	col("DETAIL", func(e *switchboard.CallEvent) string { return e.Detail }),
}

var outboundColumns = []column[sdk.OutboundCall]{
	col("ID", func(x *sdk.OutboundCall) string { return x.ID }),
	col("STATUS", func(x *sdk.OutboundCall) string { return x.Status }),
	col("FROM", func(x *sdk.OutboundCall) string { return x.FromNumber }),
	col("TO", func(x *sdk.OutboundCall) string { return x.ToNumber }),
	col("ENDPOINT", func(x *sdk.OutboundCall) string { return x.EndpointID }),
}

// callCommands are the calls subcommands; `calls tail` registers itself
// here from its own file.
var callCommands = map[string]apiCommand{
	"list": listCommand("calls list", "list calls, newest first", callColumns,
		func(fs *flag.FlagSet) func(context.Context, *sdk.Client, sdk.ListOptions) iter.Seq2[*switchboard.Call, error] {
			var p sdk.ListCallsParams
			fs.StringVar(&p.Status, "status", "", "only calls with this status (initiated, ringing, answered, in_progress, completed, failed, busy, no_answer, canceled)")
			fs.StringVar(&p.Direction, "direction", "", "only inbound or only outbound calls")
			fs.StringVar(&p.PhoneNumberID, "phone-number-id", "", "only calls of this number")
			fs.StringVar(&p.EndpointID, "endpoint-id", "", "only calls sent to this endpoint")
			fs.StringVar(&p.FromDate, "from-date", "", "only calls created from this time (RFC 3339 or YYYY-MM-DD)")
			fs.StringVar(&p.ToDate, "to-date", "", "only calls created until this time (RFC 3339 or YYYY-MM-DD, inclusive)")
			return func(ctx context.Context, cl *sdk.Client, o sdk.ListOptions) iter.Seq2[*switchboard.Call, error] {
				p.ListOptions = o
				return cl.ListCalls(ctx, p)
			}
		}),
	"get": idCommand("calls get", "show a call", (*sdk.Client).GetCall, showWith(callColumns)),
	"events": {"show a call's timeline, oldest first", func(ctx context.Context, c *cli, args []string) error {
		fs := c.flagSet("calls events", "ID", "show a call's timeline, oldest first")
		if err := c.parse(fs, args); err != nil {
			return err
		}
		id, err := oneID(fs, "ID")
		if err != nil {
			return err
		}
		items, err := collect(c.client.ListCallEvents(ctx, id, sdk.ListOptions{}), 0)
		if err != nil {
			return err
		}
		return printList(c, callEventColumns, items)
	}},
	"hangup": idCommand("calls hangup", "end a live call", (*sdk.Client).HangupCall,
		showMessage(func(r *sdk.HangupResult) string { return fmt.Sprintf("%s: %s", r.ID, r.Status) })),
	"create": createCommand("calls create", "--from E164 --to E164 [flags]", "place an outbound call and connect it to an agent", "place an outbound call from one of the organisation's numbers and connect the callee to an agent", outboundColumns, (*sdk.Client).CreateOutboundCall,
		func(fs *flag.FlagSet) func(set map[string]bool, p *sdk.OutboundCallParams) error {
			from := fs.String("from", "", "the organisation's number to call from (E.164)")
			to := fs.String("to", "", "the number to call (E.164)")
			endpoint := fs.String("endpoint-id", "", "the agent endpoint (default: the number's)")
			metadata := fs.String("metadata", "", "a JSON object kept on the call and its events")
			maxDur := fs.Int("max-duration", 0, "end the call after this many seconds (0: the node's limit)")
			ring := fs.Int("ring-timeout", 0, "seconds to ring the callee (0: the API's default)")
			return func(set map[string]bool, p *sdk.OutboundCallParams) error {
				override(set, "from", &p.FromNumber, *from)
				override(set, "to", &p.ToNumber, *to)
				override(set, "endpoint-id", &p.EndpointID, *endpoint)
				override(set, "max-duration", &p.MaxDuration, *maxDur)
				override(set, "ring-timeout", &p.RingTimeout, *ring)
				if set["metadata"] {
					if !json.Valid([]byte(*metadata)) {
						return usageError{"--metadata must be a JSON object"}
					}
					p.Metadata = json.RawMessage(*metadata)
				}
				return nil
			}
		}),
}

// ---- webhooks and deliveries

var webhookColumns = []column[switchboard.Webhook]{
	col("ID", func(w *switchboard.Webhook) string { return w.ID }),
	col("URL", func(w *switchboard.Webhook) string { return w.URL }),
	col("EVENTS", func(w *switchboard.Webhook) string { return cellList(w.Events) }),
	col("ACTIVE", func(w *switchboard.Webhook) string { return cellBool(w.Active) }),
	col("DESCRIPTION", func(w *switchboard.Webhook) string { return w.Description }),
	col("CREATED", func(w *switchboard.Webhook) string { return cellTime(w.CreatedAt) }),
}

// webhookSecretColumns add the signing secret, which create and
// rotate-secret show (once).
var webhookSecretColumns = append(webhookColumns[:2:2],
	col("SECRET", func(w *switchboard.Webhook) string { return w.Secret }),
	webhookColumns[2], webhookColumns[3])

var webhookCommands = map[string]apiCommand{
	"list": listCommand("webhooks list", "list webhook subscriptions", webhookColumns,
		func(fs *flag.FlagSet) func(context.Context, *sdk.Client, sdk.ListOptions) iter.Seq2[*switchboard.Webhook, error] {
			return func(ctx context.Context, cl *sdk.Client, o sdk.ListOptions) iter.Seq2[*switchboard.Webhook, error] {
				return cl.ListWebhooks(ctx, o)
			}
		}),
	"get": idCommand("webhooks get", "show a webhook subscription", (*sdk.Client).GetWebhook, showWith(webhookColumns)),
	"create": createCommand("webhooks create", "--webhook-url URL [--events a,b] [flags]", "subscribe a URL to events (prints the signing secret)", "subscribe a URL to events; the answer holds the signing secret", webhookSecretColumns, (*sdk.Client).CreateWebhook,
		func(fs *flag.FlagSet) func(set map[string]bool, in *sdk.WebhookCreate) error {
			u := fs.String("webhook-url", "", "the HTTPS URL deliveries are POSTed to (--url is the API's)")
			events := fs.String("events", "", "comma-separated event types or patterns (call.*); default all")
			desc := fs.String("description", "", "a description")
			active := fs.Bool("active", true, "deliver to it (false: created paused)")
			return func(set map[string]bool, in *sdk.WebhookCreate) error {
				override(set, "webhook-url", &in.URL, *u)
				override(set, "events", &in.Events, splitList(*events))
				override(set, "description", &in.Description, *desc)
				override(set, "active", &in.Active, active)
				return nil
			}
		}),
	"update": updateCommand("webhooks update", "[flags] ID", "change a webhook subscription", "change a webhook subscription (only the flags given)", webhookColumns, (*sdk.Client).UpdateWebhook,
		func(fs *flag.FlagSet) func(set map[string]bool, p *sdk.WebhookUpdate) error {
			u := fs.String("webhook-url", "", "a new URL (--url is the API's)")
			events := fs.String("events", "", "comma-separated event types or patterns")
			desc := fs.String("description", "", "a new description")
			active := fs.Bool("active", false, "deliver to it (--active), or pause it (--active=false)")
			return func(set map[string]bool, p *sdk.WebhookUpdate) error {
				overrideOpt(set, "webhook-url", &p.URL, *u)
				overrideOpt(set, "events", &p.Events, splitList(*events))
				overrideOpt(set, "description", &p.Description, *desc)
				overrideOpt(set, "active", &p.Active, *active)
				return nil
			}
		}),
	"delete": idCommand("webhooks delete", "delete a webhook subscription", (*sdk.Client).DeleteWebhook,
		showMessage(func(d *sdk.WebhookDeleted) string { return "deleted " + d.ID })),
	"rotate-secret": idCommand("webhooks rotate-secret", "give a subscription a new signing secret", (*sdk.Client).RotateWebhookSecret, showWith(webhookSecretColumns)),
	"test": idCommand("webhooks test", "send a webhook.test event to one subscription", (*sdk.Client).TestWebhook,
		showMessage(func(e *switchboard.Event) string { return fmt.Sprintf("queued %s %s", e.Type, e.ID) })),
}

var deliveryColumns = []column[switchboard.Delivery]{
	col("ID", func(d *switchboard.Delivery) string { return d.ID }),
	col("EVENT", func(d *switchboard.Delivery) string { return d.Event }),
	col("STATUS", func(d *switchboard.Delivery) string { return d.Status }),
	col("ATTEMPTS", func(d *switchboard.Delivery) string { return cellInt(d.AttemptCount) }),
	col("LAST HTTP", func(d *switchboard.Delivery) string {
		if d.LastStatusCode == nil {
			return ""
		}
		return cellInt(*d.LastStatusCode)
	}),
	col("URL", func(d *switchboard.Delivery) string { return d.URL }),
	col("CREATED", func(d *switchboard.Delivery) string { return cellTime(d.CreatedAt) }),
}

var deliveryCommands = map[string]apiCommand{
	"list": listCommand("deliveries list", "list webhook deliveries, newest first", deliveryColumns,
		func(fs *flag.FlagSet) func(context.Context, *sdk.Client, sdk.ListOptions) iter.Seq2[*switchboard.Delivery, error] {
			var p sdk.ListDeliveriesParams
			fs.StringVar(&p.WebhookID, "webhook-id", "", "only deliveries of this subscription")
			fs.StringVar(&p.Status, "status", "", "only pending, delivered or failed deliveries")
			fs.StringVar(&p.Event, "event", "", "only deliveries of this event type")
			return func(ctx context.Context, cl *sdk.Client, o sdk.ListOptions) iter.Seq2[*switchboard.Delivery, error] {
				p.ListOptions = o
				return cl.ListWebhookDeliveries(ctx, p)
			}
		}),
	"get":   idCommand("deliveries get", "show a delivery with its attempts and payload", (*sdk.Client).GetWebhookDelivery, showWith(deliveryColumns)),
	"retry": idCommand("deliveries retry", "queue one more attempt of a delivery", (*sdk.Client).RetryWebhookDelivery, showWith(deliveryColumns)),
	"replay": {"queue again every failed delivery of a subscription since a time", func(ctx context.Context, c *cli, args []string) error {
		fs := c.flagSet("deliveries replay", "--webhook-id ID --since TIME|DURATION", "queue one more attempt of every failed delivery of a subscription created since a time")
		webhook := fs.String("webhook-id", "", "the subscription")
		since := fs.String("since", "", "RFC 3339 time, or a duration back from now (24h)")
		if err := c.parse(fs, args); err != nil {
			return err
		}
		if err := noArgs(fs); err != nil {
			return err
		}
		if *webhook == "" || *since == "" {
			return usageError{"deliveries replay: --webhook-id and --since are required"}
		}
		t, err := parseSince(*since, time.Now())
		if err != nil {
			return err
		}
		r, err := c.client.ReplayWebhookDeliveries(ctx, *webhook, t)
		if err != nil {
			return err
		}
		return showMessage(func(r *sdk.Replayed) string {
			return fmt.Sprintf("queued %d failed deliveries of %s again (since %s)", r.Replayed, r.WebhookID, cellTime(r.Since))
		})(c, r)
	}},
}

// parseSince reads --since: an RFC 3339 time, or a duration before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, usageError{fmt.Sprintf("--since %q: want an RFC 3339 time or a duration such as 24h", s)}
}

// ---- API keys (over the API; keys create|list|revoke with --org or
// --database, or without an API key, are the operator's, in admin.go)

var keyColumns = []column[switchboard.APIKey]{
	col("ID", func(k *switchboard.APIKey) string { return k.ID }),
	col("NAME", func(k *switchboard.APIKey) string { return k.Name }),
	col("PREFIX", func(k *switchboard.APIKey) string { return k.KeyPrefix }),
	col("MODE", func(k *switchboard.APIKey) string { return k.Mode() }),
	col("SCOPES", func(k *switchboard.APIKey) string { return cellScopes(k.ScopeNames()) }),
	col("CREATED", func(k *switchboard.APIKey) string { return cellTime(k.CreatedAt) }),
	col("LAST USED", func(k *switchboard.APIKey) string { return cellTimePtr(k.LastUsedAt) }),
	col("EXPIRES", func(k *switchboard.APIKey) string { return cellTimePtr(k.ExpiresAt) }),
	col("REVOKED", func(k *switchboard.APIKey) string { return cellTimePtr(k.RevokedAt) }),
}

var createdKeyColumns = []column[sdk.CreatedAPIKey]{
	col("ID", func(k *sdk.CreatedAPIKey) string { return k.ID }),
	col("NAME", func(k *sdk.CreatedAPIKey) string { return k.Name }),
	col("MODE", func(k *sdk.CreatedAPIKey) string { return k.Mode() }),
	col("SCOPES", func(k *sdk.CreatedAPIKey) string { return cellScopes(k.ScopeNames()) }),
	col("KEY", func(k *sdk.CreatedAPIKey) string { return k.Key }),
}

// cellScopes is a key's scopes, or "all" when it has every one, which
// would otherwise be the widest cell of the table.
func cellScopes(names []string) string {
	if len(names) == len(switchboard.AllScopes) {
		return "all"
	}
	return cellList(names)
}

var revokeKey = idCommand("keys delete", "revoke an API key", (*sdk.Client).RevokeAPIKey,
	showMessage(func(k *switchboard.APIKey) string {
		return fmt.Sprintf("revoked %s (%s) at %s", k.ID, k.KeyPrefix, cellTimePtr(k.RevokedAt))
	}))

var keyCommands = map[string]apiCommand{
	"list": listCommand("keys list", "list the organisation's API keys (never their secrets)", keyColumns,
		func(fs *flag.FlagSet) func(context.Context, *sdk.Client, sdk.ListOptions) iter.Seq2[*switchboard.APIKey, error] {
			var p sdk.ListAPIKeysParams
			fs.StringVar(&p.Mode, "mode", "", "only live or only test keys")
			fs.StringVar(&p.Revoked, "revoked", "", "only revoked keys (true) or only keys not revoked (false)")
			return func(ctx context.Context, cl *sdk.Client, o sdk.ListOptions) iter.Seq2[*switchboard.APIKey, error] {
				p.ListOptions = o
				return cl.ListAPIKeys(ctx, p)
			}
		}),
	"get": idCommand("keys get", "show an API key (never its secret)", (*sdk.Client).GetAPIKey, showWith(keyColumns)),
	"create": createCommand("keys create", "--name NAME --scopes a:b,c:d [flags]", "create an API key in the key's organisation (prints its secret once)", "create an API key in the calling key's organisation; the answer holds its secret, shown once", createdKeyColumns, (*sdk.Client).CreateAPIKey,
		func(fs *flag.FlagSet) func(set map[string]bool, in *sdk.APIKeyCreate) error {
			name := fs.String("name", "", "the key's name")
			scopes := fs.String("scopes", "", "comma-separated scopes, e.g. calls:read,numbers:write")
			expires := fs.String("expires-at", "", "when the key stops working (RFC 3339)")
			mode := fs.String("mode", "", "live or test (default: the calling key's)")
			return func(set map[string]bool, in *sdk.APIKeyCreate) error {
				override(set, "name", &in.Name, *name)
				override(set, "scopes", &in.Scopes, splitList(*scopes))
				override(set, "expires-at", &in.ExpiresAt, *expires)
				override(set, "mode", &in.Mode, *mode)
				return nil
			}
		}),
	"delete": revokeKey,
	"revoke": {"the same as keys delete", revokeKey.run},
}

// ---- trunks

var trunkColumns = []column[switchboard.Trunk]{
	col("ID", func(t *switchboard.Trunk) string { return t.ID }),
	col("NAME", func(t *switchboard.Trunk) string { return t.Name }),
	col("ADDRESS", func(t *switchboard.Trunk) string { return t.Address }),
	col("TRANSPORT", func(t *switchboard.Trunk) string { return t.Transport }),
	col("STATUS", func(t *switchboard.Trunk) string { return t.Status }),
	col("DEFAULT", func(t *switchboard.Trunk) string { return cellBool(t.Default) }),
	col("MAX CALLS", func(t *switchboard.Trunk) string { return cellInt(t.MaxConcurrentCalls) }),
	col("CREATED", func(t *switchboard.Trunk) string { return cellTime(t.CreatedAt) }),
}

// trunkFlags are the flags trunks create and update share.
type trunkFlags struct {
	name, address, transport, user, password, format, prefix, status *string
	max                                                              *int
	def                                                              *bool
	failover, inbound                                                *string
}

func addTrunkFlags(fs *flag.FlagSet) trunkFlags {
	return trunkFlags{
		name:      fs.String("name", "", "the trunk's name"),
		address:   fs.String("address", "", "the carrier's SIP address (host[:port])"),
		transport: fs.String("transport", "", "udp, tcp or tls"),
		user:      fs.String("auth-username", "", "the digest username the carrier gave"),
		password:  fs.String("auth-password", "", "the digest password the carrier gave"),
		format:    fs.String("number-format", "", "how numbers are sent: e164 or national"),
		prefix:    fs.String("tech-prefix", "", "digits put before the callee's number"),
		status:    fs.String("status", "", "active or inactive"),
		max:       fs.Int("max-concurrent-calls", 0, "at most this many calls at once (0: no limit)"),
		def:       fs.Bool("default", false, "the trunk outbound calls use when their number names none"),
		failover:  fs.String("failover-addresses", "", "comma-separated addresses tried when the first fails"),
		inbound:   fs.String("inbound-addresses", "", "comma-separated addresses or CIDRs the carrier calls from"),
	}
}

var trunkCommands = map[string]apiCommand{
	"list": listCommand("trunks list", "list carrier trunks", trunkColumns,
		func(fs *flag.FlagSet) func(context.Context, *sdk.Client, sdk.ListOptions) iter.Seq2[*switchboard.Trunk, error] {
			status := fs.String("status", "", "only active or only inactive trunks")
			return func(ctx context.Context, cl *sdk.Client, o sdk.ListOptions) iter.Seq2[*switchboard.Trunk, error] {
				return cl.ListTrunks(ctx, sdk.ListTrunksParams{Status: *status, ListOptions: o})
			}
		}),
	"get": idCommand("trunks get", "show a trunk", (*sdk.Client).GetTrunk, showWith(trunkColumns)),
	"create": createCommand("trunks create", "--name NAME --address HOST[:PORT] [flags]", "add a carrier connection", "add a carrier connection for outbound calls", trunkColumns, (*sdk.Client).CreateTrunk,
		func(fs *flag.FlagSet) func(set map[string]bool, in *sdk.TrunkCreate) error {
			f := addTrunkFlags(fs)
			return func(set map[string]bool, in *sdk.TrunkCreate) error {
				override(set, "name", &in.Name, *f.name)
				override(set, "address", &in.Address, *f.address)
				override(set, "transport", &in.Transport, *f.transport)
				override(set, "auth-username", &in.AuthUsername, *f.user)
				override(set, "auth-password", &in.AuthPassword, *f.password)
				override(set, "number-format", &in.NumberFormat, *f.format)
				override(set, "tech-prefix", &in.TechPrefix, *f.prefix)
				override(set, "status", &in.Status, *f.status)
				override(set, "max-concurrent-calls", &in.MaxConcurrentCalls, *f.max)
				override(set, "default", &in.Default, *f.def)
				override(set, "failover-addresses", &in.FailoverAddresses, splitList(*f.failover))
				override(set, "inbound-addresses", &in.InboundAddresses, splitList(*f.inbound))
				return nil
			}
		}),
	"update": updateCommand("trunks update", "[flags] ID", "change a trunk", "change a trunk (only the flags given)", trunkColumns, (*sdk.Client).UpdateTrunk,
		func(fs *flag.FlagSet) func(set map[string]bool, p *sdk.TrunkUpdate) error {
			f := addTrunkFlags(fs)
			return func(set map[string]bool, p *sdk.TrunkUpdate) error {
				overrideOpt(set, "name", &p.Name, *f.name)
				overrideOpt(set, "address", &p.Address, *f.address)
				overrideOpt(set, "transport", &p.Transport, *f.transport)
				overrideOpt(set, "auth-username", &p.AuthUsername, *f.user)
				overrideOpt(set, "auth-password", &p.AuthPassword, *f.password)
				overrideOpt(set, "number-format", &p.NumberFormat, *f.format)
				overrideOpt(set, "tech-prefix", &p.TechPrefix, *f.prefix)
				overrideOpt(set, "status", &p.Status, *f.status)
				overrideOpt(set, "max-concurrent-calls", &p.MaxConcurrentCalls, *f.max)
				overrideOpt(set, "default", &p.Default, *f.def)
				overrideOpt(set, "failover-addresses", &p.FailoverAddresses, splitList(*f.failover))
				overrideOpt(set, "inbound-addresses", &p.InboundAddresses, splitList(*f.inbound))
				return nil
			}
		}),
	"delete": idCommand("trunks delete", "delete a trunk (its numbers are detached)", (*sdk.Client).DeleteTrunk, showMessage(deletedMessage)),
}
