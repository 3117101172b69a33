package httpapi

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard-voice/switchboard"
)

// The text rule, for every string a caller sends: a JSON body's strings
// (names, URLs, headers, metadata, descriptions, numbers…), the URL path
// (IDs) and query, and the Idempotency-Key. Text must be valid UTF-8 and
// hold no control character (Unicode Cc: U+0000–U+001F, U+007F–U+009F).
// PostgreSQL refuses a NUL or invalid UTF-8 in text outright, which would
// turn the request into a 500, and no field has a use for the others: a
// CR or LF in a header value would even split the SIP header it becomes.
// The rule lives here, where every input is decoded, rather than in each
// validation of the domain.

// validText reports whether s obeys the text rule.
func validText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// textError is the VALIDATION_ERROR for a field that breaks the text rule.
func textError(field string) error {
	return switchboard.FieldError(field, "%s must be UTF-8 text without control characters", field)
}

// mayHoldControl reports whether a syntactically valid JSON body can
// decode to a string with a control character: only through an escape,
// a raw DEL or a raw C1 character (UTF-8 C2 80–C2 9F), since raw C0
// bytes are a syntax error inside a JSON string. It keeps the walk over
// the decoded value off the path of ordinary bodies.
func mayHoldControl(body []byte) bool {
	for _, c := range body {
		if c == '\\' || c == 0x7f || c == 0xc2 {
			return true
		}
	}
	return false
}

// checkBodyText applies the text rule to every string of a decoded body
// (v is what decodeJSON decoded into), naming the first field that breaks it.
func checkBodyText(body []byte, v any) error {
	if !mayHoldControl(body) {
		return nil
	}
	if field, bad := badText(reflect.ValueOf(v), ""); bad {
		if field == "" {
			field = "body"
		}
		return textError(field)
	}
	return nil
}

// badText walks v and returns the JSON path of the first string (map
// keys included) that breaks the text rule. A struct field without a json
// tag, such as switchboard.Optional's Value, keeps its parent's path.
func badText(v reflect.Value, path string) (string, bool) {
	switch v.Kind() {
	case reflect.String:
		return path, !validText(v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return badText(v.Elem(), path)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			p := path
			if name != "" {
				p = join(path, name)
			}
			if field, bad := badText(v.Field(i), p); bad {
				return field, true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			k := it.Key()
			if k.Kind() == reflect.String && !validText(k.String()) {
				return path, true
			}
			if field, bad := badText(it.Value(), join(path, k.String())); bad {
				return field, true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if field, bad := badText(v.Index(i), path+"["+strconv.Itoa(i)+"]"); bad {
				return field, true
			}
		}
	}
	return "", false
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// checkURLText applies the text rule to the request's path, which carries
// IDs that go to the store, and to its query parameters. Control bytes
// can only arrive percent-encoded (net/http refuses raw ones), and other
// invalid UTF-8 as raw bytes of 0x80 and above.
func checkURLText(r *http.Request) error {
	if !validText(r.URL.Path) {
		return switchboard.Errorf(switchboard.ECodeValidation, "the URL path must be UTF-8 text without control characters")
	}
	if raw := r.URL.RawQuery; strings.IndexByte(raw, '%') < 0 && !hasHighByte(raw) {
		return nil
	}
	for name, vals := range r.URL.Query() {
		if !validText(name) {
			return switchboard.Errorf(switchboard.ECodeValidation, "query parameter names must be UTF-8 text without control characters")
		}
		for _, v := range vals {
			if !validText(v) {
				return textError(name)
			}
		}
	}
	return nil
}

func hasHighByte(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}
