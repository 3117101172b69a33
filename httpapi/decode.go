package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"reflect"
	"strconv"
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
	err := decodeStrict(body, v)
	var whole *wholeNumberError
	if errors.As(err, &whole) {
		// An integer field got 30.0 or 3e1: decode again with every
		// whole number spelled as an integer (see wholeNumbers).
		if nb := wholeNumbers(body); nb != nil {
			reflect.ValueOf(v).Elem().SetZero()
			body, err = nb, decodeStrict(nb, v)
		}
		if errors.As(err, &whole) { // still: the number does not fit the field
			err = switchboard.FieldError(whole.field, "%s is out of range", whole.field)
		}
	}
	if err != nil {
		return err
	}
	return checkBodyText(body, v)
}

func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return switchboard.Errorf(switchboard.ECodeInvalidJSON, "request body must hold a single JSON object")
	}
	return nil
}

// maxWholeNumber bounds the numbers wholeNumbers rewrites: below 2^53 a
// float64 holds every integer exactly.
const maxWholeNumber = 1 << 53

// wholeNumberError is the error of an integer field given a whole number
// in another spelling (30.0, 3e1), which decodeJSON retries.
type wholeNumberError struct{ field string }

func (e *wholeNumberError) Error() string {
	return e.field + ": whole number in a non-integer spelling"
}

// wholeNumbers returns body with every number outside a string that is a
// whole number written with a fraction or an exponent (30.0, 3e1, -2.0E0)
// rewritten as an integer, or nil when there is none. JSON has one number
// type, so 30.0 is 30; encoding/json only refuses it for Go integer fields.
// Fields of other types decode both spellings to the same float64, and
// request bodies have no json.Number field that would keep the spelling;
// the one RawMessage field (an outbound call's metadata) may keep 30 for
// 30.0, the same JSON number. So the rewrite changes no value.
func wholeNumbers(body []byte) []byte {
	var out []byte
	last, inString := 0, false
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
			continue
		case c == '"':
			inString = true
			continue
		case c != '-' && (c < '0' || c > '9'):
			continue
		}
		j := i
		for j < len(body) && strings.IndexByte("+-.eE0123456789", body[j]) >= 0 {
			j++
		}
		if lit := body[i:j]; bytes.ContainsAny(lit, ".eE") {
			f, err := strconv.ParseFloat(string(lit), 64)
			if err == nil && f == math.Trunc(f) && math.Abs(f) < maxWholeNumber {
				out = strconv.AppendInt(append(out, body[last:i]...), int64(f), 10)
				last = j
			}
		}
		i = j - 1
	}
	if out == nil {
		return nil
	}
	return append(out, body[last:]...)
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
		if number, ok := strings.CutPrefix(typeErr.Value, "number "); ok && isInteger(typeErr.Type.Kind()) {
			f, err := strconv.ParseFloat(number, 64)
			switch {
			case err == nil && f == math.Trunc(f) && math.Abs(f) < maxWholeNumber:
				return &wholeNumberError{field}
			case err == nil && f != math.Trunc(f):
				return switchboard.FieldError(field, "%s must be an integer", field)
			}
			return switchboard.FieldError(field, "%s is out of range", field)
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

func isInteger(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
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
