package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/switchboard-voice/switchboard"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 1 << 20

// readBody reads the request body once, enforcing the size limit and the
// JSON content type. An empty body is allowed without a content type.
func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, switchboard.Errorf(switchboard.ECodePayloadTooLarge, "request body exceeds %d bytes", MaxBodyBytes)
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, switchboard.Errorf(switchboard.ECodeInvalidJSON, "could not read request body")
	}
	if len(b) > MaxBodyBytes {
		return nil, switchboard.Errorf(switchboard.ECodePayloadTooLarge, "request body exceeds %d bytes", MaxBodyBytes)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	if !isJSONContentType(r.Header.Get("Content-Type")) {
		return nil, switchboard.Errorf(switchboard.ECodeUnsupportedMedia, "request body must be application/json")
	}
	return b, nil
}

func isJSONContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// decodeJSON strictly decodes body into v: one JSON object, no unknown
// fields, no trailing data. Errors name the field at fault.
func decodeJSON(body []byte, v any) error {
	if len(body) == 0 {
		return switchboard.Errorf(switchboard.ECodeInvalidJSON, "request body is required")
	}
	if trimmed := bytes.TrimSpace(body); len(trimmed) == 0 || trimmed[0] != '{' {
		return switchboard.Errorf(switchboard.ECodeInvalidJSON, "request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return switchboard.Errorf(switchboard.ECodeInvalidJSON, "request body must hold a single JSON object")
	}
	return checkBodyText(body, v)
}

func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var synErr *json.SyntaxError
	var domErr *switchboard.Error
	switch {
	case errors.As(err, &domErr):
		return domErr
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return switchboard.Errorf(switchboard.ECodeInvalidJSON, "request body must be a JSON object")
		}
		return switchboard.FieldError(field, "%s must be of type %s", field, jsonTypeName(typeErr.Type.Kind().String()))
	case errors.As(err, &synErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return switchboard.Errorf(switchboard.ECodeInvalidJSON, "request body is not valid JSON")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return switchboard.FieldError(name, "unknown field %q", name)
	}
	return switchboard.Errorf(switchboard.ECodeInvalidJSON, "request body is not valid JSON")
}

func jsonTypeName(kind string) string {
	switch kind {
	case "int", "int64", "float64":
		return "number"
	case "map", "struct":
		return "object"
	case "slice":
		return "array"
	case "bool":
		return "boolean"
	}
	return kind
}

// decode reads and strictly decodes a JSON request body into v.
func (s *Server) decode(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}

// noBody refuses a body on action routes that take none.
func (s *Server) noBody(r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if len(body) > 0 {
		return decodeJSON(body, &struct{}{})
	}
	return nil
}
