package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// awkward are strings that exercise every branch of encoding/json's string
// escaping: HTML characters, quotes, backslashes, every control character,
// DEL, multi-byte UTF-8, U+2028/U+2029, and invalid or truncated UTF-8.
var awkward = func() []string {
	out := []string{
		"", "plain", `<script>alert("x")</script>`, "a&b", "a>b<c", `back\slash`, `"quoted"`,
		"tab\there", "new\nline", "cr\rlf", "\b\f", "\x00\x01\x1f", "\x7f", "café", "日本語", "emoji 🎙️",
		"line\u2028sep", "para\u2029sep", "\u2027\u202a", "bad \xff byte", "truncated \xe2\x80", "\xc0\xaf",
		"\xed\xa0\x80 surrogate", "mixed <\u2028\xff\n>", strings.Repeat("long ", 60), "x-header",
		"https://example.com/hook?a=1&b=<2>",
	}
	var all strings.Builder
	for c := range 0x80 {
		all.WriteByte(byte(c))
	}
	return append(out, all.String())
}()

// sampleEndpoints builds endpoints covering every field: webhook and agent,
// every provider, with and without headers (nil, empty, several),
// credentials, secrets, and times in UTC, other zones, and zero.
func sampleEndpoints() []*switchboard.Endpoint {
	providers := append(switchboard.Providers(), "")
	zones := []*time.Location{time.UTC, time.FixedZone("plus", 5*3600+30*60), time.FixedZone("minus", -8*3600), time.FixedZone("odd", 61)}
	var out []*switchboard.Endpoint
	for i, s := range awkward {
		t := time.Date(2026, time.November, 29, 0, 19, 56, i*123456789%1e9, zones[i%len(zones)])
		e := &switchboard.Endpoint{
			ID: "ep_" + fmt.Sprint(i), OrganizationID: "org_x", Name: s, Type: switchboard.EndpointWebhook,
			URL: "https://example.com/" + s, Status: switchboard.StatusActive, Secret: s, RingTimeout: i * 7,
			CreatedAt: t, UpdatedAt: t.Add(time.Duration(i) * time.Microsecond),
		}
		switch i % 4 {
		case 0:
			e.Headers = map[string]string{}
		case 1:
			e.Headers = map[string]string{s: s, "X-B": "b", "X-A": s, "x-a": "lower", "X-\u00e9": "é"}
		case 2:
			e.Headers = map[string]string{"X-Only": s}
		}
		if p := providers[i%len(providers)]; p != "" || i%3 == 0 {
			e.Type = switchboard.EndpointAgent
			e.ProviderConfig = &switchboard.ProviderConfig{Provider: p}
			if i%2 == 0 {
				*e.ProviderConfig = switchboard.ProviderConfig{Provider: p, AgentID: s, AssistantID: "as" + s,
					CredentialID: s + "c", AgentName: s, SIPTrunkID: "tr"}
			}
			e.Credentials = &switchboard.SIPCredentials{Username: s, Password: "never shown " + s}
		}
		out = append(out, e)
	}
	out = append(out,
		&switchboard.Endpoint{},                             // zero value: zero times, empty strings
		&switchboard.Endpoint{RingTimeout: -300, Name: "n"}, // negative number
		&switchboard.Endpoint{CreatedAt: time.Unix(0, 1).UTC(), UpdatedAt: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)},
	)
	return out
}

// checkSame fails unless appendJSON and json.Marshal agree on v: the same
// bytes, or both fail.
func checkSame(t testing.TB, what string, v any) {
	t.Helper()
	want, err := json.Marshal(v)
	got, ok := appendJSON([]byte("prefix"), v)
	switch {
	case err != nil && ok:
		t.Errorf("%s: encoding/json fails (%v), appendJSON succeeds with %s", what, err, got)
	case err == nil && !ok:
		t.Errorf("%s: appendJSON fails, encoding/json gives %s", what, want)
	case err == nil && !bytes.Equal(got, append([]byte("prefix"), want...)):
		t.Errorf("%s:\n got %s\nwant prefix%s", what, got, want)
	}
}

func TestEncodeEndpointMatchesEncodingJSON(t *testing.T) {
	eps := sampleEndpoints()
	for i, e := range eps {
		checkSame(t, fmt.Sprintf("endpoint %d (%q)", i, e.Name), e)
	}
	checkSame(t, "nil endpoint", (*switchboard.Endpoint)(nil))

	// A real stored endpoint, as the API returns it.
	real, err := switchboard.NewEndpoint(switchboard.EndpointInput{Name: "ep 1", Type: "webhook", URL: "https://127.0.0.1:9/hook"})
	if err != nil {
		t.Fatal(err)
	}
	real.ID, real.OrganizationID = switchboard.NewID(switchboard.PrefixEndpoint), switchboard.NewID(switchboard.PrefixOrg)
	real.CreatedAt = switchboard.SystemClock()
	real.UpdatedAt = real.CreatedAt
	checkSame(t, "stored webhook endpoint", real)
}

// TestEncodeTimesMatchEncodingJSON covers the times time.Time.MarshalJSON
// refuses, which must make the hand-written encoder fail too.
func TestEncodeTimesMatchEncodingJSON(t *testing.T) {
	times := []time.Time{
		{},
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 600000000, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", 23*3600+59*60)),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", 24*3600)),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", -24*3600)),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", 100*3600)),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", -(23*3600+59*60+59))),
		time.Date(2026, 1, 2, 3, 4, 5, 1, time.FixedZone("", 30)),
		time.Now(), // monotonic reading and the local zone
	}
	for i, tm := range times {
		checkSame(t, fmt.Sprintf("time %d created_at %v", i, tm), &switchboard.Endpoint{CreatedAt: tm})
		checkSame(t, fmt.Sprintf("time %d updated_at %v", i, tm), &switchboard.Endpoint{UpdatedAt: tm})
	}
}

// TestEncodePageMatchesListBody: the typed page encodes exactly as the
// generic listBody map did, for full, empty and nil pages.
func TestEncodePageMatchesListBody(t *testing.T) {
	eps := sampleEndpoints()
	for _, tc := range []struct {
		items []*switchboard.Endpoint
		total int
		page  switchboard.Page
	}{
		{eps, len(eps), switchboard.Page{Limit: 50}},
		{eps[:1], 1000, switchboard.Page{Limit: 1, Offset: 999}},
		{[]*switchboard.Endpoint{}, 0, switchboard.Page{Limit: 50}},
		{nil, 0, switchboard.Page{}},
		{[]*switchboard.Endpoint{nil, eps[3]}, -1, switchboard.Page{Limit: -2, Offset: -3}},
		{[]*switchboard.Endpoint{{CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}, 1, switchboard.Page{}},
	} {
		p := endpointPage{items: tc.items, total: tc.total, page: tc.page}
		want, werr := json.Marshal(listBody("endpoints", tc.items, tc.total, tc.page))
		got, ok := appendJSON(nil, p)
		if (werr == nil) != ok || (ok && !bytes.Equal(got, want)) {
			t.Errorf("page of %d: got %s (%v)\nwant %s (%v)", len(tc.items), got, ok, want, werr)
		}
		// Through encoding/json too (MarshalJSON), as other code might.
		if viaJSON, err := json.Marshal(p); (err == nil) != (werr == nil) || (err == nil && !bytes.Equal(viaJSON, want)) {
			t.Errorf("json.Marshal(page) = %s, %v; want %s, %v", viaJSON, err, want, werr)
		}
	}
}

// TestWriteJSON checks the response: the body with a newline, the content
// type, an exact Content-Length, and the 500 envelope when encoding fails.
func TestWriteJSON(t *testing.T) {
	for _, v := range []any{sampleEndpoints()[1], endpointPage{items: sampleEndpoints(), total: 3}, map[string]any{"id": "x"}} {
		rec := newRecorder()
		writeJSON(rec, 201, v)
		want, _ := json.Marshal(v)
		want = append(want, '\n')
		if rec.status != 201 || !bytes.Equal(rec.body.Bytes(), want) ||
			rec.h.Get("Content-Type") != "application/json" || rec.h.Get("Content-Length") != fmt.Sprint(len(want)) {
			t.Errorf("writeJSON(%T) = %d %v %q", v, rec.status, rec.h, rec.body.Bytes())
		}
	}
	rec := newRecorder()
	writeJSON(rec, 200, &switchboard.Endpoint{CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)})
	if rec.status != 500 || rec.body.String() != internalErrorBody || rec.h.Get("Content-Length") != fmt.Sprint(len(internalErrorBody)) {
		t.Errorf("unencodable endpoint: %d %v %q", rec.status, rec.h, rec.body.String())
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

// FuzzEncodeEndpoint compares the hand-written encoder with encoding/json
// on arbitrary strings, numbers and times.
func FuzzEncodeEndpoint(f *testing.F) {
	for i, s := range awkward {
		f.Add(s, "X-"+s, s, int64(i)*1e15, int32(i*3600), i, uint8(i))
	}
	f.Add("", "", "", int64(0), int32(0), 0, uint8(0))
	f.Add("<&>", "X-A", "\u2028", int64(-62135596800)*1e6, int32(86400), -1, uint8(255))
	f.Fuzz(func(t *testing.T, s, hk, hv string, nanos int64, offset int32, ring int, shape uint8) {
		tm := time.Unix(0, nanos).In(time.FixedZone("z", int(offset)))
		e := &switchboard.Endpoint{
			ID: s, OrganizationID: hv, Name: s, Type: hk, URL: hv, Status: s, Secret: hv,
			RingTimeout: ring, CreatedAt: tm, UpdatedAt: tm.Add(time.Duration(ring)),
		}
		if shape&1 != 0 {
			e.Headers = map[string]string{hk: hv, s: hk}
		} else if shape&2 != 0 {
			e.Headers = map[string]string{}
		}
		if shape&4 != 0 {
			e.ProviderConfig = &switchboard.ProviderConfig{Provider: s}
			if shape&8 != 0 {
				*e.ProviderConfig = switchboard.ProviderConfig{Provider: s, AgentID: hk, AssistantID: hv, CredentialID: s, AgentName: hk, SIPTrunkID: hv}
			}
		}
		if shape&16 != 0 {
			e.Credentials = &switchboard.SIPCredentials{Username: hk, Password: hv}
		}
		checkSame(t, "endpoint", e)
		if shape&32 != 0 {
			checkSame(t, "page", endpointPage{items: []*switchboard.Endpoint{e, e}, total: ring, page: switchboard.Page{Limit: int(shape), Offset: int(offset)}})
		}
	})
}

// BenchmarkEncodeList compares the encoders on the list of the benchmark:
// 50 webhook endpoints.
func BenchmarkEncodeList(b *testing.B) {
	var eps []*switchboard.Endpoint
	now := switchboard.SystemClock()
	for i := range 50 {
		eps = append(eps, &switchboard.Endpoint{
			ID: switchboard.NewID(switchboard.PrefixEndpoint), OrganizationID: switchboard.NewID(switchboard.PrefixOrg),
			Name: fmt.Sprint("ep ", i), Type: "webhook", URL: "https://127.0.0.1:9/hook", Status: "active",
			Secret: switchboard.NewSigningSecret(), RingTimeout: 30, CreatedAt: now, UpdatedAt: now,
		})
	}
	page := endpointPage{items: eps, total: 50, page: switchboard.Page{Limit: 50}}
	b.Run("append", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf, _ = appendJSON(buf[:0], page)
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("encoding-json", func(b *testing.B) {
		var n int
		for b.Loop() {
			out, _ := json.Marshal(listBody("endpoints", eps, 50, page.page))
			n = len(out)
		}
		b.SetBytes(int64(n))
	})
}
