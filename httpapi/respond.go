package httpapi

import (
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

// bufPool recycles response buffers; buffers that grew past maxPooledBuf
// (a very large page) are left to the garbage collector.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

const maxPooledBuf = 64 << 10

// writeJSON writes v as the JSON body with the given status, followed by a
// newline, with its Content-Length. The bytes are those of json.Marshal;
// endpoints and pages of endpoints take the hand-written encoders of
// encode.go.
func writeJSON(w http.ResponseWriter, status int, v any) {
	bp := bufPool.Get().(*[]byte)
	b, ok := appendJSON((*bp)[:0], v)
	if ok {
		b = append(b, '\n')
	} else {
		// Only our own types reach here; a marshal failure is a programming error.
		status, b = http.StatusInternalServerError, append(b[:0], internalErrorBody...)
	}
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	w.Write(b)
	if cap(b) <= maxPooledBuf {
		*bp = b[:0]
		bufPool.Put(bp)
	}
}

// appendJSON appends the JSON encoding of v, as json.Marshal would write it.
func appendJSON(b []byte, v any) ([]byte, bool) {
	switch v := v.(type) {
	case *switchboard.Endpoint:
		return appendEndpoint(b, v)
	case endpointPage:
		return appendEndpointPage(b, v)
	}
	j, err := json.Marshal(v)
	if err != nil {
		return b, false
	}
	return append(b, j...), true
}
