package httpapi

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/internal/jsonenc"
)

// Hand-written JSON encoders for the hottest responses: an endpoint and a
// page of endpoints. Their output is byte for byte what encoding/json
// writes for the same value (json.Marshal, HTML escaping on), which
// TestEncodeEndpointMatchesEncodingJSON and FuzzEncodeEndpoint check; they
// skip the reflection, map sorting and time.Time.MarshalJSON re-validation
// that made encoding a list cost more than the rest of the request.
//
// Endpoint's JSON shape is fixed by its struct tags in the root package:
// if a field or tag changes there, the equivalence tests fail until the
// encoder here follows.

// endpointPage is the list envelope of GET /v1/endpoints, the typed form of
// listBody("endpoints", ...). encoding/json writes listBody's map with its
// keys sorted, so the fields are encoded in that order.
type endpointPage struct {
	items []*switchboard.Endpoint
	total int
	page  switchboard.Page
}

// MarshalJSON encodes the page, so that writeJSON and anything else that
// uses encoding/json get the same bytes.
func (p endpointPage) MarshalJSON() ([]byte, error) {
	if b, ok := appendEndpointPage(nil, p); ok {
		return b, nil
	}
	return json.Marshal(listBody("endpoints", p.items, p.total, p.page))
}

// appendEndpointPage appends the page as json.Marshal(listBody(...))
// would. ok is false when encoding/json would fail (a time outside RFC
// 3339); b is then unusable.
func appendEndpointPage(b []byte, p endpointPage) (_ []byte, ok bool) {
	b = append(b, `{"endpoints":`...)
	if p.items == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, e := range p.items {
			if i > 0 {
				b = append(b, ',')
			}
			if b, ok = appendEndpoint(b, e); !ok {
				return b, false
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"limit":`...)
	b = strconv.AppendInt(b, int64(p.page.Limit), 10)
	b = append(b, `,"offset":`...)
	b = strconv.AppendInt(b, int64(p.page.Offset), 10)
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, int64(p.total), 10)
	return append(b, '}'), true
}

// appendEndpoint appends e as json.Marshal(e) would; ok is false when
// encoding/json would fail (a time outside RFC 3339).
func appendEndpoint(b []byte, e *switchboard.Endpoint) (_ []byte, ok bool) {
	if e == nil {
		return append(b, "null"...), true
	}
	b = append(b, `{"id":`...)
	b = jsonenc.AppendString(b, e.ID)
	b = append(b, `,"organization_id":`...)
	b = jsonenc.AppendString(b, e.OrganizationID)
	b = append(b, `,"name":`...)
	b = jsonenc.AppendString(b, e.Name)
	b = append(b, `,"type":`...)
	b = jsonenc.AppendString(b, e.Type)
	b = append(b, `,"url":`...)
	b = jsonenc.AppendString(b, e.URL)
	b = append(b, `,"status":`...)
	b = jsonenc.AppendString(b, e.Status)
	if pc := e.ProviderConfig; pc != nil {
		b = append(b, `,"provider_config":{"provider":`...)
		b = jsonenc.AppendString(b, pc.Provider)
		b = jsonenc.AppendOptional(b, `,"agent_id":`, pc.AgentID)
		b = jsonenc.AppendOptional(b, `,"assistant_id":`, pc.AssistantID)
		b = jsonenc.AppendOptional(b, `,"credential_id":`, pc.CredentialID)
		b = jsonenc.AppendOptional(b, `,"agent_name":`, pc.AgentName)
		b = jsonenc.AppendOptional(b, `,"sip_trunk_id":`, pc.SIPTrunkID)
		b = append(b, '}')
	}
	b = jsonenc.AppendOptional(b, `,"secret":`, e.Secret)
	if len(e.Headers) > 0 {
		b = append(b, `,"headers":{`...)
		var arr [24]string // stored endpoints have at most 20 headers
		keys := arr[:0]
		for k := range e.Headers {
			keys = append(keys, k)
		}
		slices.Sort(keys) // encoding/json sorts map keys by their Go string
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonenc.AppendString(b, k)
			b = append(b, ':')
			b = jsonenc.AppendString(b, e.Headers[k])
		}
		b = append(b, '}')
	}
	b = append(b, `,"ring_timeout":`...)
	b = strconv.AppendInt(b, int64(e.RingTimeout), 10)
	if c := e.Credentials; c != nil {
		b = append(b, `,"credentials":{"username":`...) // the password is json:"-"
		b = jsonenc.AppendString(b, c.Username)
		b = append(b, '}')
	}
	b = append(b, `,"created_at":`...)
	if b, ok = jsonenc.AppendTime(b, e.CreatedAt); !ok {
		return b, false
	}
	b = append(b, `,"updated_at":`...)
	if b, ok = jsonenc.AppendTime(b, e.UpdatedAt); !ok {
		return b, false
	}
	return append(b, '}'), true
}
