package httpapi_test

import (
	"fmt"
	"testing"
)

// TestIntegersInAnySpelling: JSON has one number type, so an integer
// field takes 30.0 and 3e1 as 30; 30.5 is "must be an integer" and a
// number no integer field can hold is "out of range", never "must be of
// type number". Numbers inside strings are left as they are.
func TestIntegersInAnySpelling(t *testing.T) {
	t.Parallel()
	h, key, epID, _ := newAPI(t)
	const create = `{"name":%s,"type":"retell","provider_config":{"agent_id":"a"},"ring_timeout":%s}`
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		ring                     float64 // on success
		wantName, msg            string
	}{
		{"30.0", "POST", "/v1/endpoints", fmt.Sprintf(create, `"n"`, "30.0"), 201, 30, "n", ""},
		{"3e1", "POST", "/v1/endpoints", fmt.Sprintf(create, `"n"`, "3e1"), 201, 30, "n", ""},
		{"1.2E+2", "POST", "/v1/endpoints", fmt.Sprintf(create, `"n"`, "1.2E+2"), 201, 120, "n", ""},
		{"25.000", "POST", "/v1/endpoints", fmt.Sprintf(create, `"n"`, "25.000"), 201, 25, "n", ""},
		{"number-like text kept", "POST", "/v1/endpoints", fmt.Sprintf(create, `"v 1.0e1 \"2.0\""`, "2e1"), 201, 20, `v 1.0e1 "2.0"`, ""},
		{"30.5", "POST", "/v1/endpoints", fmt.Sprintf(create, `"n"`, "30.5"), 400, 0, "", "ring_timeout must be an integer"},
		{"3.05e1", "POST", "/v1/endpoints", fmt.Sprintf(create, `"n"`, "3.05e1"), 400, 0, "", "ring_timeout must be an integer"},
		{"1e300", "POST", "/v1/endpoints", fmt.Sprintf(create, `"n"`, "1e300"), 400, 0, "", "ring_timeout is out of range"},
		{"1e400", "POST", "/v1/endpoints", fmt.Sprintf(create, `"n"`, "1e400"), 400, 0, "", "ring_timeout is out of range"},
		{"whole but out of the field's range", "POST", "/v1/endpoints", fmt.Sprintf(create, `"n"`, "400.0"), 400, 0, "", "ring_timeout must be 1 to 300 seconds"},
		{"string", "POST", "/v1/endpoints", fmt.Sprintf(create, `"n"`, `"30"`), 400, 0, "", "ring_timeout must be of type number"},
		{"patch 6e1", "PATCH", "/v1/endpoints/" + epID, `{"ring_timeout":6e1}`, 200, 60, "e", ""},
		{"patch 6.5", "PATCH", "/v1/endpoints/" + epID, `{"ring_timeout":6.5}`, 400, 0, "", "ring_timeout must be an integer"},
		{"unknown field still refused", "PATCH", "/v1/endpoints/" + epID, `{"ring_timeout":6e1,"x":1}`, 400, 0, "", `unknown field "x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := do(t, h, key, tc.method, tc.path, tc.body)
			if r.status != tc.status || r.body["error"] != nilIfEmpty(tc.msg) ||
				(tc.status < 300 && (r.body["ring_timeout"] != tc.ring || r.body["name"] != tc.wantName)) {
				t.Fatalf("%s: %d %s, want %d ring_timeout %v name %q error %q", tc.body, r.status, r.raw, tc.status, tc.ring, tc.wantName, tc.msg)
			}
		})
	}
}

// nilIfEmpty is what a decoded JSON body holds for an optional string.
func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
