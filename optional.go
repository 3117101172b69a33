package switchboard

import (
	"bytes"
	"encoding/json"
)

// Optional is a PATCH field: absent (Set false: leave unchanged), explicit
// null (Set and Null: clear), or a value.
type Optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// UnmarshalJSON is only called when the field is present in the JSON.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// Some is an Optional holding v: a PATCH field set to a value.
func Some[T any](v T) Optional[T] { return Optional[T]{Set: true, Value: v} }

// Null is an Optional set to JSON null: a PATCH field to clear.
func Null[T any]() Optional[T] { return Optional[T]{Set: true, Null: true} }

// IsZero reports whether o is absent, so that a field tagged omitzero is
// left out of the JSON: a client sends only the fields it sets.
func (o Optional[T]) IsZero() bool { return !o.Set }

// MarshalJSON writes null or the value. An absent Optional is written as
// null too, which is why PATCH bodies tag their Optional fields omitzero.
func (o Optional[T]) MarshalJSON() ([]byte, error) {
	if !o.Set || o.Null {
		return []byte("null"), nil
	}
	return json.Marshal(o.Value)
}
