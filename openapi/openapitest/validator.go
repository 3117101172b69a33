// Package openapitest checks HTTP responses against Switchboard's OpenAPI
// document (package openapi). It is meant for tests only: every response a
// test of the HTTP API receives can be passed to (*Validator).Check, so the
// published contract and the server cannot drift apart unnoticed.
package openapitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/switchboard-voice/switchboard/openapi"
)

// Validator validates responses against the OpenAPI document. It is safe
// for concurrent use.
type Validator struct {
	doc    *openapi3.T
	router routers.Router
	// notFound and methodNotAllowed are stand-in operations for requests
	// that match no documented operation: such a request may only answer
	// the documented 404 or 405 error envelope.
	notFound, methodNotAllowed *openapi3.Operation

	mu sync.Mutex
	// succeeded holds the operations that answered 2xx at least once, in
	// the form Operations uses, so a suite can prove it covers every route.
	succeeded map[string]bool
}

// An event stream's body (GET /v1/events/stream, text/event-stream) is
// text: the validator reads it as a string, which its schema is. A test
// passes what it read of the stream, since the stream itself does not end.
func init() {
	openapi3filter.RegisterBodyDecoder("text/event-stream",
		func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
			b, err := io.ReadAll(body)
			return string(b), err
		})
}

var (
	loadOnce sync.Once
	loaded   *Validator
	loadErr  error
)

// New loads and validates the OpenAPI document (once per process) and
// returns a Validator for it. It fails the test when the document is
// invalid.
func New(t testing.TB) *Validator {
	t.Helper()
	loadOnce.Do(func() { loaded, loadErr = load() })
	if loadErr != nil {
		t.Fatalf("openapitest: %v", loadErr)
	}
	return loaded
}

func load() (*Validator, error) {
	ctx := context.Background()
	doc, err := openapi3.NewLoader().LoadFromData(openapi.YAML())
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("openapi.yaml is not a valid OpenAPI document: %w", err)
	}
	// Route on a copy whose servers are the two base paths the API is
	// served under. Relative server URLs match any host and scheme, so
	// requests to an httptest server match as they are. Path items with
	// their own servers (/healthz at the root) keep them.
	rdoc := *doc
	rdoc.Servers = openapi3.Servers{{URL: "/v1"}, {URL: "/api/v1"}}
	router, err := gorillamux.NewRouter(&rdoc)
	if err != nil {
		return nil, fmt.Errorf("build router: %w", err)
	}
	stand := func(status int, name string) (*openapi3.Operation, error) {
		ref := doc.Components.Responses[name]
		if ref == nil {
			return nil, fmt.Errorf("openapi.yaml has no components.responses.%s", name)
		}
		op := openapi3.NewOperation()
		op.Responses = openapi3.NewResponses(openapi3.WithStatus(status, ref))
		return op, nil
	}
	v := &Validator{doc: &rdoc, router: router}
	if v.notFound, err = stand(http.StatusNotFound, "NotFound"); err != nil {
		return nil, err
	}
	if v.methodNotAllowed, err = stand(http.StatusMethodNotAllowed, "MethodNotAllowed"); err != nil {
		return nil, err
	}
	return v, nil
}

// Check validates resp, the response to req, against the operation req
// matches: the status must be documented for it, the headers the document
// marks required must be present and well-formed, and the body must match
// the schema (response schemas forbid undocumented fields). Paths match
// under /v1 and /api/v1, and /healthz at the root.
//
// body is the response body already read by the caller; when it is nil,
// Check reads resp.Body and puts it back.
//
// A request that matches no documented operation is an error, unless the
// server answered it with the documented error envelope: 404 for an
// unknown path, 405 for a known path with another method. Every problem is
// reported with t.Errorf; Check does not stop the test.
func (v *Validator) Check(t testing.TB, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	if req == nil || resp == nil {
		t.Errorf("openapitest: Check needs both the request and the response")
		return
	}
	if body == nil && resp.Body != nil {
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		if err != nil {
			t.Errorf("openapitest: %s %s: read response body: %v", req.Method, req.URL.Path, err)
			return
		}
		body = b
	}
	if err := v.check(req, resp, body); err != nil {
		t.Errorf("openapitest: %s %s → %d: %v\nresponse headers: %v\nresponse body: %s",
			req.Method, req.URL.Path, resp.StatusCode, err, resp.Header, abbreviate(body))
	}
}

func (v *Validator) check(req *http.Request, resp *http.Response, body []byte) error {
	ctx := context.Background()
	// Route a HEAD request as the GET it mirrors; ValidateResponse does not
	// validate HEAD responses.
	rreq := req.Clone(ctx)
	if rreq.Method == http.MethodHead {
		rreq.Method = http.MethodGet
	}
	route, params, err := v.router.FindRoute(rreq)
	switch {
	case errors.Is(err, routers.ErrPathNotFound):
		if resp.StatusCode != http.StatusNotFound {
			return fmt.Errorf("no documented operation matches %s %s (undocumented route)", req.Method, req.URL.Path)
		}
		route = &routers.Route{Spec: v.doc, Path: req.URL.Path, Method: req.Method, Operation: v.notFound}
	case errors.Is(err, routers.ErrMethodNotAllowed):
		if resp.StatusCode != http.StatusMethodNotAllowed {
			return fmt.Errorf("the path is documented but not with method %s (undocumented route)", req.Method)
		}
		route = &routers.Route{Spec: v.doc, Path: req.URL.Path, Method: req.Method, Operation: v.methodNotAllowed}
	case err != nil:
		return fmt.Errorf("find route: %w", err)
	default:
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			v.recordSuccess(route)
		}
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		// Check prints the whole body; the schema dumps would drown the reason.
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()},
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: params,
			Route:      route,
			Options:    opts,
		},
		Status:  resp.StatusCode,
		Header:  resp.Header,
		Options: opts,
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		return err
	}
	return nil
}

func (v *Validator) recordSuccess(route *routers.Route) {
	base := "/v1"
	if item := route.PathItem; item != nil && len(item.Servers) > 0 {
		base = strings.TrimSuffix(item.Servers[0].URL, "/")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.succeeded == nil {
		v.succeeded = map[string]bool{}
	}
	v.succeeded[route.Method+" "+base+route.Path] = true
}

// Unexercised returns the documented operations (as Operations lists them)
// that no checked response has answered with a 2xx yet.
func (v *Validator) Unexercised() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for _, op := range v.Operations() {
		if !v.succeeded[op] {
			out = append(out, op)
		}
	}
	return out
}

// Operations returns every documented operation as "METHOD /path", with
// the path as served: under /v1 (the /api/v1 alias is not listed), or at
// the root for /healthz. For example "GET /v1/endpoints/{id}". The list is
// sorted.
func (v *Validator) Operations() []string {
	var out []string
	for path, item := range v.doc.Paths.Map() {
		base := "/v1"
		if len(item.Servers) > 0 {
			base = strings.TrimSuffix(item.Servers[0].URL, "/")
		}
		for method := range item.Operations() {
			out = append(out, method+" "+base+path)
		}
	}
	slices.Sort(out)
	return out
}

func abbreviate(b []byte) string {
	const max = 2000
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
