package httpapi

import (
	"encoding/json"
	"net/http"
)

// writeJSON writes v as the JSON body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own types reach here; a marshal failure is a programming error.
		status, b = http.StatusInternalServerError, []byte(`{"error":"Internal error.","code":"INTERNAL_ERROR"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
