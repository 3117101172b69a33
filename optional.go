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
