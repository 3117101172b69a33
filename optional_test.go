package switchboard

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestOptionalUnmarshal(t *testing.T) {
	t.Parallel()
	type body struct {
		S Optional[string]         `json:"s"`
		N Optional[int]            `json:"n"`
		M Optional[map[string]any] `json:"m"`
	}
	tests := []struct {
		name    string
		json    string
		want    body
		wantErr bool
	}{
		{name: "all absent", json: `{}`, want: body{}},
		{name: "string null", json: `{"s": null}`, want: body{S: Optional[string]{Set: true, Null: true}}},
		{name: "string value", json: `{"s": "x"}`, want: body{S: Optional[string]{Set: true, Value: "x"}}},
		{name: "empty string is a value", json: `{"s": ""}`, want: body{S: Optional[string]{Set: true}}},
		{name: "string \"null\" is a value", json: `{"s": "null"}`, want: body{S: Optional[string]{Set: true, Value: "null"}}},
		{name: "int zero is a value", json: `{"n": 0}`, want: body{N: Optional[int]{Set: true}}},
		{name: "int null", json: `{"n":null}`, want: body{N: Optional[int]{Set: true, Null: true}}},
		{name: "int value, others absent", json: `{"n": 42}`, want: body{N: Optional[int]{Set: true, Value: 42}}},
		{name: "map null", json: `{"m": null}`, want: body{M: Optional[map[string]any]{Set: true, Null: true}}},
		{
			name: "map with a null member is a value",
			json: `{"m": {"k": null, "v": "x"}}`,
			want: body{M: Optional[map[string]any]{Set: true, Value: map[string]any{"k": nil, "v": "x"}}},
		},
		{
			name: "mixed",
			json: `{"s": null, "n": 7}`,
			want: body{S: Optional[string]{Set: true, Null: true}, N: Optional[int]{Set: true, Value: 7}},
		},
		{name: "wrong type", json: `{"n": "seven"}`, wantErr: true},
		{name: "fraction for int", json: `{"n": 1.5}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got body
			err := json.Unmarshal([]byte(tt.json), &got)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Unmarshal(%s) = %+v, want an error", tt.json, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Unmarshal(%s) error: %v", tt.json, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Unmarshal(%s) = %+v, want %+v", tt.json, got, tt.want)
			}
		})
	}
}

// TestOptionalMarshal: a PATCH body tagged omitzero sends only the fields
// set, null for Null, and reads back as it was written.
func TestOptionalMarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		patch EndpointPatch
		json  string
	}{
		{EndpointPatch{}, `{}`},
		{EndpointPatch{Name: Some("x")}, `{"name":"x"}`},
		{EndpointPatch{URL: Null[string](), RingTimeout: Some(0)}, `{"url":null,"ring_timeout":0}`},
		{EndpointPatch{Headers: Some(map[string]string{"X-A": "1"}), ProviderConfig: Null[map[string]any]()}, `{"provider_config":null,"headers":{"X-A":"1"}}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.patch)
		if err != nil || string(b) != tt.json {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tt.patch, b, err, tt.json)
			continue
		}
		var back EndpointPatch
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, tt.patch) {
			t.Errorf("%s read back as %+v, %v", b, back, err)
		}
	}
}
