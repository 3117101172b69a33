package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/switchboard-voice/switchboard"
)

// jsonContentType is the Content-Type of every JSON response. The slice is
// shared by all responses and must not be modified.
var jsonContentType = []string{"application/json"}

// internalErrorBody is sent when a response cannot be encoded.
const internalErrorBody = `{"error":"Internal error.","code":"INTERNAL_ERROR"}` + "\n"

// encoder is a response buffer with its json.Encoder, recycled through
// encoderPool so that a response costs no buffer or encoder allocation.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var encoderPool = sync.Pool{New: func() any {
	e := new(encoder)
	e.buf.Grow(1024)
	e.enc = json.NewEncoder(&e.buf)
	return e
}}

// maxPooledBuf bounds the buffers kept in encoderPool; one that grew past
// it (a very large page) is left to the garbage collector.
const maxPooledBuf = 64 << 10

// writeJSON writes v as the JSON body with the given status, with its
// Content-Length. The body is json.Marshal's followed by a newline, as
// json.Encoder writes it; the domain types' struct tags decide its shape.
func writeJSON(w http.ResponseWriter, status int, v any) {
	e := encoderPool.Get().(*encoder)
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		// Only our own types reach here; a marshal failure is a programming error.
		status = http.StatusInternalServerError
		e.buf.Reset()
		e.buf.WriteString(internalErrorBody)
	}
	writeBody(w, status, e.buf.Bytes())
	if e.buf.Cap() <= maxPooledBuf {
		encoderPool.Put(e)
	}
}

// encodeJSON returns the body writeJSON would write for v, in a new slice
// that the caller may keep (the cached endpoint bodies).
func encodeJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// writeBody writes b, a JSON body, with the given status.
func writeBody(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	w.Write(b)
}

// listBody is the envelope of every list: the items under the resource's
// name, the total matching, and the window returned. No items is an empty
// array, never null.
func listBody[T any](name string, items []T, total int, p switchboard.Page) map[string]any {
	if items == nil {
		items = []T{}
	}
	return map[string]any{name: items, "total": total, "limit": p.Limit, "offset": p.Offset}
}
