// Package openapi holds the published contract of Switchboard's REST API:
// an OpenAPI 3.0.3 document, embedded in the binary and served at
// /v1/openapi.json (and /api/v1/openapi.json).
//
// The document is the reference for the wire format; the tests of the HTTP
// API validate every response they see against it with package
// openapitest.
package openapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed openapi.yaml
var specYAML []byte

// YAML returns the OpenAPI document as written, in YAML. The caller may
// modify the returned slice.
func YAML() []byte { return slices.Clone(specYAML) }

var jsonOnce = sync.OnceValues(func() ([]byte, error) {
	doc, err := openapi3.NewLoader().LoadFromData(specYAML)
	if err != nil {
		return nil, fmt.Errorf("openapi: load openapi.yaml: %w", err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi: encode openapi.yaml as JSON: %w", err)
	}
	return b, nil
})

// JSON returns the OpenAPI document as JSON, the form served at
// /v1/openapi.json. The conversion runs once; later calls return a copy of
// the first result. An error means the embedded YAML is broken, which the
// package's tests rule out.
func JSON() ([]byte, error) {
	b, err := jsonOnce()
	if err != nil {
		return nil, err
	}
	return slices.Clone(b), nil
}
