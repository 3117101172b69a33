package switchboard

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Event types (DESIGN §9). Call events come from the call plane; the rest
// are written by the store in the same transaction as the change.
const (
	EventCallInitiated        = "call.initiated"
	EventCallRinging          = "call.ringing"
	EventCallAnswered         = "call.answered"
	EventCallCompleted        = "call.completed"
	EventCallFailed           = "call.failed"
	EventEndpointCreated      = "endpoint.created"
	EventEndpointUpdated      = "endpoint.updated"
	EventEndpointDeleted      = "endpoint.deleted"
	EventPhoneNumberPurchased = "phone_number.purchased"
	EventPhoneNumberUpdated   = "phone_number.updated"
	EventPhoneNumberReleased  = "phone_number.released"
	EventTrunkCreated         = "trunk.created"
	EventTrunkUpdated         = "trunk.updated"
	EventTrunkDeleted         = "trunk.deleted"
	// EventWebhookTest is sent only by POST /v1/webhooks/{id}/test, to that
	// subscription, whatever its filter.
	EventWebhookTest = "webhook.test"
)

// EventTypes is the catalogue a subscription may name.
var EventTypes = []string{
	EventCallInitiated, EventCallRinging, EventCallAnswered, EventCallCompleted, EventCallFailed,
	EventEndpointCreated, EventEndpointUpdated, EventEndpointDeleted,
	EventPhoneNumberPurchased, EventPhoneNumberUpdated, EventPhoneNumberReleased,
	EventTrunkCreated, EventTrunkUpdated, EventTrunkDeleted,
}

// eventAliases maps KrosAI's other spellings (its overview page and its
// OpenAPI enum) to our catalogue.
var eventAliases = map[string]string{
	"call.started":       EventCallAnswered,
	"call.connected":     EventCallAnswered,
	"call.ended":         EventCallCompleted,
	"number.provisioned": EventPhoneNumberPurchased,
	"number.purchased":   EventPhoneNumberPurchased,
	"number.updated":     EventPhoneNumberUpdated,
	"number.released":    EventPhoneNumberReleased,
}

// eventGroups are the prefixes a wildcard may name ("call.*"); number.* is
// KrosAI's spelling of phone_number.*.
var eventGroups = map[string]string{
	"call": "call", "endpoint": "endpoint", "phone_number": "phone_number", "number": "phone_number",
	"trunk": "trunk",
}

// NormalizeEventFilters validates a subscription's event list, folding
// aliases into canonical names. An empty list means every event ("*").
func NormalizeEventFilters(in []string) ([]string, error) {
	if len(in) == 0 {
		return []string{"*"}, nil
	}
	if len(in) > 50 {
		return nil, FieldError("events", "at most 50 event filters")
	}
	var out []string
	for i, raw := range in {
		name := strings.TrimSpace(raw)
		canon := ""
		switch {
		case name == "*":
			canon = "*"
		case slices.Contains(EventTypes, name):
			canon = name
		case eventAliases[name] != "":
			canon = eventAliases[name]
		case strings.HasSuffix(name, ".*") && eventGroups[strings.TrimSuffix(name, ".*")] != "":
			canon = eventGroups[strings.TrimSuffix(name, ".*")] + ".*"
		default:
			return nil, &Error{Code: ECodeValidation, Message: "unknown event " + quote(raw) + ": use one of " +
				strings.Join(EventTypes, ", ") + ", a group wildcard such as call.* or *",
				Details: map[string]any{"field": "events", "index": i}}
		}
		if !slices.Contains(out, canon) {
			out = append(out, canon)
		}
	}
	return out, nil
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// EventMatches reports whether a subscription with these (normalised)
// filters receives events of type typ.
func EventMatches(filters []string, typ string) bool {
	for _, f := range filters {
		if f == "*" || f == typ {
			return true
		}
		if group, ok := strings.CutSuffix(f, ".*"); ok && strings.HasPrefix(typ, group+".") {
			return true
		}
	}
	return false
}

// Event is something that happened, as subscribers receive it: KrosAI's
// envelope {"id", "event", "timestamp", "data"}.
type Event struct {
	ID             string          `json:"id"`
	OrganizationID string          `json:"-"`
	Type           string          `json:"event"`
	Timestamp      time.Time       `json:"timestamp"`
	Data           json.RawMessage `json:"data"`
	// Seq is the event's position in its organisation's log (eventlog.go);
	// 0 when unknown.
	Seq int64 `json:"-"`
}

// EventView returns the endpoint as event data: the API form without the
// signing secret, which must never travel in a payload.
func (e *Endpoint) EventView() *Endpoint {
	v := *e
	v.Secret = ""
	return &v
}

// EmitOptions says who besides the matching subscriptions gets an event.
type EmitOptions struct {
	// EndpointID names a webhook-type endpoint that also receives the
	// event, at its own URL and signed with its own secret (call events).
	EndpointID string
	// WebhookID restricts delivery to this one subscription, whatever its
	// filter (webhook.test).
	WebhookID string
	// ID, when set, is the event's ID (else a new one): an event whose ID
	// is already stored is neither stored nor delivered again, which is
	// how a call entry saved twice emits once (CallEventID).
	ID string
}

// EventService records events. Each call writes the event and one
// pending delivery per receiver in a single transaction, so an event is
// delivered if and only if it was committed.
type EventService interface {
	EmitEvent(ctx context.Context, orgID, typ string, data any, opts EmitOptions) (*Event, error)
}
