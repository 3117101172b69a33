package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// goldenVector is one entry of testdata/vectors.json.
type goldenVector struct {
	Name      string            `json:"name"`
	Source    string            `json:"source"`
	Secrets   []string          `json:"secrets"`
	MsgID     string            `json:"msg_id"`
	Timestamp int64             `json:"timestamp"`
	Body      string            `json:"body"`
	Expected  map[string]string `json:"expected"`
}

// vectorsSHA256 pins testdata/vectors.json byte for byte. The vectors are
// frozen: receivers in the field verify against this exact scheme, so a
// change to the file is a breaking change to the signing contract and must
// be a deliberate, reviewed edit of this constant too, never a regeneration.
const vectorsSHA256 = "3df3b7dee343857421ccc8a635826ba21af45a72222bb57dd33dd849c85baa40"

func loadVectors(t *testing.T) []goldenVector {
	t.Helper()
	raw, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	if sum := fmt.Sprintf("%x", sha256.Sum256(raw)); sum != vectorsSHA256 {
		t.Fatalf("testdata/vectors.json changed (sha256 %s, pinned %s); the vectors are frozen", sum, vectorsSHA256)
	}
	var file struct {
		Vectors []goldenVector `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) < 5 {
		t.Fatalf("only %d vectors", len(file.Vectors))
	}
	return file.Vectors
}

// independentV1 recomputes a Standard Webhooks v1 entry from first
// principles, sharing no code with sign.go, so the golden file is checked
// against the spec and not only against our own implementation.
func independentV1(t *testing.T, secret, id string, ts int64, body string) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatalf("vector secret: %v", err)
	}
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.%s", id, ts, body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// independentKrosAI recomputes KrosAI's header: the key is the whole
// secret string, "whsec_" included (webhooks-notes.md §1.6).
func independentKrosAI(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func TestGoldenVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			// 1. The frozen expectations agree with an independent HMAC.
			var entries []string
			for _, s := range v.Secrets {
				entries = append(entries, independentV1(t, s, v.MsgID, v.Timestamp, v.Body))
			}
			if want := strings.Join(entries, " "); v.Expected["webhook-signature"] != want {
				t.Errorf("golden webhook-signature %q, independent HMAC gives %q", v.Expected["webhook-signature"], want)
			}
			if want := independentKrosAI(v.Secrets[0], v.Body); v.Expected["X-Webhook-Signature"] != want {
				t.Errorf("golden X-Webhook-Signature %q, independent HMAC gives %q", v.Expected["X-Webhook-Signature"], want)
			}

			// 2. Sign reproduces the frozen headers exactly.
			h, err := Sign([]byte(v.Body), v.MsgID, time.Unix(v.Timestamp, 0), v.Secrets...)
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range v.Expected {
				if got := h.Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}

			// 3. Receivers holding any one of the secrets accept it.
			now := time.Unix(v.Timestamp, 0)
			for i, s := range v.Secrets {
				if err := Verify([]byte(v.Body), h, s, now, 0); err != nil {
					t.Errorf("Verify with secret %d: %v", i, err)
				}
			}
			if err := VerifyKrosAI([]byte(v.Body), h, v.Secrets[0]); err != nil {
				t.Errorf("VerifyKrosAI: %v", err)
			}
		})
	}
}

// TestStandardWebhooksReferenceVector asserts the published vector of the
// Standard Webhooks reference library in code as well as in the golden
// file, so the interoperability anchor cannot drift with the file.
func TestStandardWebhooksReferenceVector(t *testing.T) {
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		msgID  = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		ts     = 1614265330
		body   = `{"test": 2432232314}`
		want   = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	h, err := Sign([]byte(body), msgID, time.Unix(ts, 0), secret)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Get(HeaderWebhookSignature); got != want {
		t.Fatalf("webhook-signature = %q, want the published %q", got, want)
	}
	var found bool
	for _, v := range loadVectors(t) {
		if v.Name == "standard-webhooks-reference" {
			found = v.Expected["webhook-signature"] == want && v.Secrets[0] == secret &&
				v.MsgID == msgID && v.Timestamp == ts && v.Body == body
		}
	}
	if !found {
		t.Fatal("vectors.json lost or altered the standard-webhooks-reference vector")
	}
}

func TestSignHeaders(t *testing.T) {
	cur, old := testSecret(1), testSecret(2)
	body := []byte(`{"id":"evt_x","event":"call.answered"}`)
	ts := time.Date(2026, 3, 1, 12, 0, 0, 999_000_000, time.UTC)
	h, err := Sign(body, "evt_x", ts, cur, old)
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]string{
		"Content-Type":         "application/json",
		"User-Agent":           "Switchboard-Webhooks/1",
		HeaderWebhookID:        "evt_x",
		HeaderWebhookTimestamp: fmt.Sprint(ts.Unix()), // whole seconds, truncated
		HeaderKrosAISignature:  independentKrosAI(cur, string(body)),
		HeaderWebhookSignature: independentV1(t, cur, "evt_x", ts.Unix(), string(body)) + " " +
			independentV1(t, old, "evt_x", ts.Unix(), string(body)),
	}
	for name, want := range checks {
		if got := h.Values(name); len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want exactly [%q]", name, got, want)
		}
	}
	// The retry of the same event keeps the id and changes the timestamp.
	h2, err := Sign(body, "evt_x", ts.Add(time.Minute), cur, old)
	if err != nil {
		t.Fatal(err)
	}
	if h2.Get(HeaderWebhookID) != h.Get(HeaderWebhookID) || h2.Get(HeaderWebhookTimestamp) == h.Get(HeaderWebhookTimestamp) {
		t.Error("a retry must keep webhook-id and move webhook-timestamp")
	}
	if h2.Get(HeaderKrosAISignature) != h.Get(HeaderKrosAISignature) {
		t.Error("the KrosAI signature covers only the body, so it must not change on retry")
	}
}

func TestSignErrors(t *testing.T) {
	good := testSecret(1)
	ts := time.Unix(1767225600, 0)
	tests := []struct {
		name    string
		id      string
		ts      time.Time
		secrets []string
		want    error
	}{
		{"no secret", "evt_1", ts, nil, ErrInvalidSecret},
		{"no prefix", "evt_1", ts, []string{strings.TrimPrefix(good, "whsec_")}, ErrInvalidSecret},
		{"other prefix", "evt_1", ts, []string{"whsk_" + strings.TrimPrefix(good, "whsec_")}, ErrInvalidSecret},
		{"empty key", "evt_1", ts, []string{"whsec_"}, ErrInvalidSecret},
		{"not base64", "evt_1", ts, []string{"whsec_not*base64!"}, ErrInvalidSecret},
		{"unpadded", "evt_1", ts, []string{strings.TrimRight(good, "=")}, ErrInvalidSecret},
		{"url alphabet", "evt_1", ts, []string{"whsec_-_-_"}, ErrInvalidSecret},
		{"embedded newline", "evt_1", ts, []string{good[:20] + "\n" + good[20:]}, ErrInvalidSecret},
		{"non-canonical trailing bits", "evt_1", ts, []string{"whsec_AB=="}, ErrInvalidSecret},
		{"bad previous secret", "evt_1", ts, []string{good, "whsec_%%%"}, ErrInvalidSecret},
		{"empty id", "", ts, []string{good}, ErrInvalidMessageID},
		{"dot in id", "evt_1.2", ts, []string{good}, ErrInvalidMessageID},
		{"space in id", "evt 1", ts, []string{good}, ErrInvalidMessageID},
		{"CRLF in id", "evt_1\r\nX-Evil: 1", ts, []string{good}, ErrInvalidMessageID},
		{"non-ASCII id", "evt_é", ts, []string{good}, ErrInvalidMessageID},
		{"zero time", "evt_1", time.Time{}, []string{good}, ErrInvalidTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Sign([]byte("{}"), tt.id, tt.ts, tt.secrets...)
			if !errors.Is(err, tt.want) || h != nil {
				t.Fatalf("Sign = %v, %v; want nil, %v", h, err, tt.want)
			}
			for _, s := range tt.secrets {
				if len(s) > len("whsec_")+4 && strings.Contains(err.Error(), s) {
					t.Fatalf("error %q leaks the secret", err)
				}
			}
		})
	}
}

func TestVerify(t *testing.T) {
	cur, old, other := testSecret(1), testSecret(2), testSecret(3)
	body := []byte(`{"id":"evt_v","event":"call.completed","data":{"call_id":"call_1"}}`)
	ts := time.Unix(1767225600, 0)
	signed := func(secrets ...string) http.Header {
		h, err := Sign(body, "evt_v", ts, secrets...)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	with := func(h http.Header, name, value string) http.Header {
		h = h.Clone()
		if value == "" {
			h.Del(name)
		} else {
			h.Set(name, value)
		}
		return h
	}
	valid := signed(cur)
	validSig := valid.Get(HeaderWebhookSignature)
	rotated := signed(cur, old)

	tests := []struct {
		name   string
		body   []byte
		header http.Header
		secret string
		now    time.Time
		tol    time.Duration
		want   error // nil means accepted
	}{
		{"valid", body, valid, cur, ts, DefaultTolerance, nil},
		{"valid, receiver clock 5 min ahead (edge)", body, valid, cur, ts.Add(5 * time.Minute), DefaultTolerance, nil},
		{"valid, receiver clock 5 min behind (edge)", body, valid, cur, ts.Add(-5 * time.Minute), DefaultTolerance, nil},
		{"zero tolerance means default", body, valid, cur, ts.Add(4 * time.Minute), 0, nil},
		{"custom tolerance", body, valid, cur, ts.Add(10 * time.Minute), 15 * time.Minute, nil},
		{"tampered body", []byte(string(body) + " "), valid, cur, ts, DefaultTolerance, ErrNoMatchingSignature},
		{"empty body", nil, valid, cur, ts, DefaultTolerance, ErrNoMatchingSignature},
		{"wrong secret", body, valid, other, ts, DefaultTolerance, ErrNoMatchingSignature},
		{"KrosAI secret string is not the v1 key", body, valid, "whsec_" + base64.StdEncoding.EncodeToString([]byte(cur)), ts, DefaultTolerance, ErrNoMatchingSignature},
		{"timestamp too old", body, valid, cur, ts.Add(5*time.Minute + time.Second), DefaultTolerance, ErrTimestampTooOld},
		{"timestamp far too old", body, valid, cur, ts.Add(72 * time.Hour), DefaultTolerance, ErrTimestampTooOld},
		{"timestamp in the future", body, valid, cur, ts.Add(-5*time.Minute - time.Second), DefaultTolerance, ErrTimestampTooNew},
		{"timestamp near MaxInt64", body, with(valid, HeaderWebhookTimestamp, "9223372036854775807"), cur, ts, DefaultTolerance, ErrTimestampTooNew},
		{"now is the zero time", body, valid, cur, time.Time{}, DefaultTolerance, ErrTimestampTooNew},
		{"replay with a fresh timestamp", body, with(valid, HeaderWebhookTimestamp, fmt.Sprint(ts.Unix()+60)), cur, ts.Add(time.Minute), DefaultTolerance, ErrNoMatchingSignature},
		{"other event id", body, with(valid, HeaderWebhookID, "evt_other"), cur, ts, DefaultTolerance, ErrNoMatchingSignature},
		{"rotated: current secret", body, rotated, cur, ts, DefaultTolerance, nil},
		{"rotated: second (previous) signature accepted", body, rotated, old, ts, DefaultTolerance, nil},
		{"rotated: unrelated secret", body, rotated, other, ts, DefaultTolerance, ErrNoMatchingSignature},
		{"unknown versions skipped", body, with(valid, HeaderWebhookSignature, "v1a,AAAA v2,"+validSig[3:]+" "+validSig), cur, ts, DefaultTolerance, nil},
		{"only other versions", body, with(valid, HeaderWebhookSignature, "v2,"+validSig[3:]), cur, ts, DefaultTolerance, ErrNoMatchingSignature},
		{"extra whitespace between entries", body, with(valid, HeaderWebhookSignature, "  v1,AAAA   "+validSig+"  "), cur, ts, DefaultTolerance, nil},
		{"entry split over header lines", body, func() http.Header {
			h := with(valid, HeaderWebhookSignature, "v1,AAAA")
			h.Add(HeaderWebhookSignature, validSig)
			return h
		}(), cur, ts, DefaultTolerance, nil},
		{"missing webhook-id", body, with(valid, HeaderWebhookID, ""), cur, ts, DefaultTolerance, ErrMissingHeaders},
		{"missing webhook-timestamp", body, with(valid, HeaderWebhookTimestamp, ""), cur, ts, DefaultTolerance, ErrMissingHeaders},
		{"missing webhook-signature", body, with(valid, HeaderWebhookSignature, ""), cur, ts, DefaultTolerance, ErrMissingHeaders},
		{"empty header set", body, http.Header{}, cur, ts, DefaultTolerance, ErrMissingHeaders},
		{"nil header", body, nil, cur, ts, DefaultTolerance, ErrMissingHeaders},
		{"timestamp not a number", body, with(valid, HeaderWebhookTimestamp, "yesterday"), cur, ts, DefaultTolerance, ErrInvalidTimestamp},
		{"timestamp with plus sign", body, with(valid, HeaderWebhookTimestamp, "+"+fmt.Sprint(ts.Unix())), cur, ts, DefaultTolerance, ErrInvalidTimestamp},
		{"timestamp with leading zero", body, with(valid, HeaderWebhookTimestamp, "0"+fmt.Sprint(ts.Unix())), cur, ts, DefaultTolerance, ErrInvalidTimestamp},
		{"timestamp in milliseconds-ish decimal", body, with(valid, HeaderWebhookTimestamp, fmt.Sprint(ts.Unix())+".5"), cur, ts, DefaultTolerance, ErrInvalidTimestamp},
		{"negative timestamp", body, with(valid, HeaderWebhookTimestamp, "-1"), cur, ts, DefaultTolerance, ErrInvalidTimestamp},
		{"timestamp overflows int64", body, with(valid, HeaderWebhookTimestamp, "99999999999999999999"), cur, ts, DefaultTolerance, ErrInvalidTimestamp},
		{"signature without version", body, with(valid, HeaderWebhookSignature, validSig[3:]), cur, ts, DefaultTolerance, ErrNoMatchingSignature},
		{"signature v1 with empty value", body, with(valid, HeaderWebhookSignature, "v1,"), cur, ts, DefaultTolerance, ErrNoMatchingSignature},
		{"signature not base64", body, with(valid, HeaderWebhookSignature, "v1,!!!notbase64!!!"), cur, ts, DefaultTolerance, ErrNoMatchingSignature},
		{"signature truncated", body, with(valid, HeaderWebhookSignature, validSig[:len(validSig)-8]), cur, ts, DefaultTolerance, ErrNoMatchingSignature},
		{"signature upper-cased version", body, with(valid, HeaderWebhookSignature, "V1,"+validSig[3:]), cur, ts, DefaultTolerance, ErrNoMatchingSignature},
		{"KrosAI header is not a v1 signature", body, with(valid, HeaderWebhookSignature, valid.Get(HeaderKrosAISignature)), cur, ts, DefaultTolerance, ErrNoMatchingSignature},
		{"invalid secret", body, valid, "not-a-secret", ts, DefaultTolerance, ErrInvalidSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.body, tt.header, tt.secret, tt.now, tt.tol)
			if tt.want == nil && err != nil {
				t.Fatalf("Verify = %v, want accepted", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyKrosAI(t *testing.T) {
	secret := testSecret(1)
	body := []byte(`{"event":"call.completed"}`)
	h, err := Sign(body, "evt_k", time.Unix(1767225600, 0), secret, testSecret(2))
	if err != nil {
		t.Fatal(err)
	}
	good := h.Get(HeaderKrosAISignature)
	hdr := func(v string) http.Header { return http.Header{"X-Webhook-Signature": {v}} }
	tests := []struct {
		name   string
		body   []byte
		header http.Header
		secret string
		want   error
	}{
		{"valid", body, h, secret, nil},
		{"valid with surrounding spaces", body, hdr(" " + good + " "), secret, nil},
		{"upper-case hex accepted", body, hdr("sha256=" + strings.ToUpper(good[7:])), secret, nil},
		{"a receiver using any string secret", body, hdr(independentKrosAI("plain-old-secret", string(body))), "plain-old-secret", nil},
		{"tampered body", []byte(`{"event":"call.failed"}`), h, secret, ErrNoMatchingSignature},
		{"wrong secret", body, h, testSecret(3), ErrNoMatchingSignature},
		{"previous secret is not in the legacy header", body, h, testSecret(2), ErrNoMatchingSignature},
		{"missing header", body, http.Header{}, secret, ErrMissingHeaders},
		{"no sha256= prefix", body, hdr(good[7:]), secret, ErrNoMatchingSignature},
		{"other algorithm", body, hdr("sha1=" + good[7:]), secret, ErrNoMatchingSignature},
		{"not hex", body, hdr("sha256=zz"), secret, ErrNoMatchingSignature},
		{"truncated", body, hdr(good[:len(good)-2]), secret, ErrNoMatchingSignature},
		{"two values", body, hdr(good + "," + good), secret, ErrNoMatchingSignature},
		{"empty secret", body, h, "", ErrInvalidSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyKrosAI(tt.body, tt.header, tt.secret)
			if tt.want == nil && err != nil {
				t.Fatalf("VerifyKrosAI = %v, want accepted", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("VerifyKrosAI = %v, want %v", err, tt.want)
			}
		})
	}
}

// FuzzVerify: arbitrary headers, bodies and secrets never panic, and
// whatever Sign accepts, Verify accepts back.
func FuzzVerify(f *testing.F) {
	f.Add([]byte(`{"test": 2432232314}`), "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
		"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", int64(1614265330))
	f.Add([]byte{}, "", "", "", "", int64(0))
	f.Add([]byte("x"), "evt_1", "-1", "v1, v1,, ,v1 v2,AAAA", "whsec_", int64(-1))
	f.Add([]byte("x"), "evt.1", "99999999999999999999", "v1,====", "whsec_AB==", int64(1<<62))
	f.Fuzz(func(t *testing.T, body []byte, id, ts, sig, secret string, now int64) {
		h := http.Header{}
		h.Set(HeaderWebhookID, id)
		h.Set(HeaderWebhookTimestamp, ts)
		h.Set(HeaderWebhookSignature, sig)
		h.Set(HeaderKrosAISignature, sig)
		_ = Verify(body, h, secret, time.Unix(now, 0), DefaultTolerance)
		_ = VerifyKrosAI(body, h, secret)

		signed, err := Sign(body, id, time.Unix(now, 0), secret)
		if err != nil {
			return
		}
		if err := Verify(body, signed, secret, time.Unix(now, 0), DefaultTolerance); err != nil {
			t.Fatalf("Verify rejected what Sign produced: %v", err)
		}
		if err := VerifyKrosAI(body, signed, secret); err != nil {
			t.Fatalf("VerifyKrosAI rejected what Sign produced: %v", err)
		}
	})
}

// testSecret returns a deterministic, well-formed secret.
func testSecret(n byte) string {
	b := make([]byte, 32)
	for i := range b {
		b[i] = n
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}
