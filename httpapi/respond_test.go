package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// TestWriteJSON checks the response: json.Marshal's body with a newline,
// the content type, an exact Content-Length, and the 500 envelope when
// encoding fails.
func TestWriteJSON(t *testing.T) {
	t.Parallel()
	ep := &switchboard.Endpoint{
		ID: "ep_1", Name: `<b>"x"</b> & é`, Headers: map[string]string{"X-B": "b", "X-A": "a"},
		ProviderConfig: &switchboard.ProviderConfig{Provider: "vapi"},
		Credentials:    &switchboard.SIPCredentials{Username: "u", Password: "never shown"},
		CreatedAt:      time.Date(2026, 11, 29, 0, 19, 56, 123456789, time.FixedZone("plus", 5*3600+30*60)),
	}
	page := listBody("endpoints", []*switchboard.Endpoint{ep, {}}, 3, switchboard.Page{Limit: 50})
	for _, v := range []any{ep, page, map[string]any{"id": "x"}} {
		rec := newRecorder()
		writeJSON(rec, 201, v)
		want, _ := json.Marshal(v)
		want = append(want, '\n')
		if rec.status != 201 || !bytes.Equal(rec.body.Bytes(), want) ||
			rec.h.Get("Content-Type") != "application/json" || rec.h.Get("Content-Length") != fmt.Sprint(len(want)) {
			t.Errorf("writeJSON(%T) = %d %v %q", v, rec.status, rec.h, rec.body.Bytes())
		}
	}
	for _, v := range []any{
		&switchboard.Endpoint{CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		listBody("endpoints", []*switchboard.Endpoint{{UpdatedAt: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}}, 1, switchboard.Page{}),
	} {
		rec := newRecorder()
		writeJSON(rec, 200, v)
		if rec.status != 500 || rec.body.String() != internalErrorBody || rec.h.Get("Content-Length") != fmt.Sprint(len(internalErrorBody)) {
			t.Errorf("unencodable %T: %d %v %q", v, rec.status, rec.h, rec.body.String())
		}
	}
}

type recorder struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder                    { return &recorder{h: http.Header{}} }
func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) WriteHeader(code int)        { r.status = code }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
