package switchboard

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestOutboundRequestCheck covers the rules of an outbound call request
// that need no database; storetest covers the rest on both stores.
func TestOutboundRequestCheck(t *testing.T) {
	t.Parallel()
	ok := OutboundCallRequest{FromNumber: "+14155550101", ToNumber: "+2348031234567"}
	with := func(fn func(*OutboundCallRequest)) OutboundCallRequest {
		r := ok
		fn(&r)
		return r
	}
	big := `{"k":"` + strings.Repeat("x", MaxOutboundMetadata) + `"}`
	for _, tc := range []struct {
		name  string
		req   OutboundCallRequest
		field string // of the VALIDATION_ERROR; "" when valid
		code  string // another error code
		want  outboundRequest
	}{
		{name: "minimal", req: ok, want: outboundRequest{from: "+14155550101", to: "+2348031234567", ringTimeout: 60 * time.Second}},
		{name: "separators", req: with(func(r *OutboundCallRequest) { r.FromNumber, r.ToNumber = " +1 (415) 555-0101", "+234.803.123.4567" }),
			want: outboundRequest{from: "+14155550101", to: "+2348031234567", ringTimeout: 60 * time.Second}},
		{name: "everything", req: with(func(r *OutboundCallRequest) {
			r.EndpointID, r.Metadata, r.MaxDuration, r.RingTimeout = "ep_abc", json.RawMessage("{\n \"a\": [1, 2] }"), 3600, ptrTo(30)
		}), want: outboundRequest{from: "+14155550101", to: "+2348031234567", endpointID: "ep_abc",
			metadata: json.RawMessage(`{"a":[1,2]}`), maxDuration: time.Hour, ringTimeout: 30 * time.Second}},
		{name: "null metadata is none", req: with(func(r *OutboundCallRequest) { r.Metadata = json.RawMessage(" null ") }),
			want: outboundRequest{from: "+14155550101", to: "+2348031234567", ringTimeout: 60 * time.Second}},
		{name: "empty object", req: with(func(r *OutboundCallRequest) { r.Metadata = json.RawMessage(`{}`) }),
			want: outboundRequest{from: "+14155550101", to: "+2348031234567", metadata: json.RawMessage(`{}`), ringTimeout: 60 * time.Second}},
		{name: "limits", req: with(func(r *OutboundCallRequest) {
			r.MaxDuration, r.RingTimeout = MaxOutboundDuration, ptrTo(MaxOutboundRingTimeout)
		}),
			want: outboundRequest{from: "+14155550101", to: "+2348031234567", maxDuration: 24 * time.Hour, ringTimeout: 300 * time.Second}},
		{name: "no from", req: with(func(r *OutboundCallRequest) { r.FromNumber = "" }), field: "from_number"},
		{name: "from not E.164", req: with(func(r *OutboundCallRequest) { r.FromNumber = "4155550101" }), field: "from_number"},
		{name: "from letters", req: with(func(r *OutboundCallRequest) { r.FromNumber = "+1415CALLNOW" }), field: "from_number"},
		{name: "no to", req: with(func(r *OutboundCallRequest) { r.ToNumber = "" }), field: "to_number"},
		{name: "to impossible", req: with(func(r *OutboundCallRequest) { r.ToNumber = "+1415" }), field: "to_number"},
		{name: "to sip URI", req: with(func(r *OutboundCallRequest) { r.ToNumber = "sip:+14155550101@example.com" }), field: "to_number"},
		{name: "metadata array", req: with(func(r *OutboundCallRequest) { r.Metadata = json.RawMessage(`[1]`) }), field: "metadata"},
		{name: "metadata string", req: with(func(r *OutboundCallRequest) { r.Metadata = json.RawMessage(`"x"`) }), field: "metadata"},
		{name: "metadata number", req: with(func(r *OutboundCallRequest) { r.Metadata = json.RawMessage(`7`) }), field: "metadata"},
		{name: "metadata invalid", req: with(func(r *OutboundCallRequest) { r.Metadata = json.RawMessage(`{"a":}`) }), field: "metadata"},
		{name: "metadata invalid UTF-8", req: with(func(r *OutboundCallRequest) { r.Metadata = json.RawMessage("{\"a\":\"\xff\"}") }), field: "metadata"},
		{name: "metadata too large", req: with(func(r *OutboundCallRequest) { r.Metadata = json.RawMessage(big) }), field: "metadata"},
		{name: "max_duration negative", req: with(func(r *OutboundCallRequest) { r.MaxDuration = -1 }), field: "max_duration"},
		{name: "max_duration too long", req: with(func(r *OutboundCallRequest) { r.MaxDuration = MaxOutboundDuration + 1 }), field: "max_duration"},
		{name: "ring_timeout zero", req: with(func(r *OutboundCallRequest) { r.RingTimeout = ptrTo(0) }), field: "ring_timeout"},
		{name: "ring_timeout too long", req: with(func(r *OutboundCallRequest) { r.RingTimeout = ptrTo(MaxOutboundRingTimeout + 1) }), field: "ring_timeout"},
		{name: "endpoint of another kind", req: with(func(r *OutboundCallRequest) { r.EndpointID = "pn_abc" }), code: ECodeEndpointNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.req.check()
			switch {
			case tc.field != "":
				e, ok := err.(*Error)
				if !ok || e.Code != ECodeValidation || e.Details["field"] != tc.field {
					t.Fatalf("check() = %v; want VALIDATION_ERROR on %s", err, tc.field)
				}
			case tc.code != "":
				if ErrorCode(err) != tc.code {
					t.Fatalf("check() = %v; want %s", err, tc.code)
				}
			case err != nil:
				t.Fatalf("check() = %v", err)
			case got.from != tc.want.from || got.to != tc.want.to || got.endpointID != tc.want.endpointID ||
				string(got.metadata) != string(tc.want.metadata) || (got.metadata == nil) != (tc.want.metadata == nil) ||
				got.maxDuration != tc.want.maxDuration || got.ringTimeout != tc.want.ringTimeout:
				t.Errorf("check() = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }
