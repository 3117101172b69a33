package client_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard/client"
)

// vector is one entry of the frozen golden vectors of webhook signing
// (webhook/testdata/vectors.json, webhooks-notes.md §1.7).
type vector struct {
	Name      string            `json:"name"`
	Secrets   []string          `json:"secrets"`
	MsgID     string            `json:"msg_id"`
	Timestamp int64             `json:"timestamp"`
	Body      string            `json:"body"`
	Expected  map[string]string `json:"expected"`
}

func goldenVectors(t *testing.T) []vector {
	t.Helper()
	raw, err := os.ReadFile("../webhook/testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Vectors []vector }
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) < 5 {
		t.Fatalf("only %d vectors", len(file.Vectors))
	}
	return file.Vectors
}

func TestVerifyWebhookGoldenVectors(t *testing.T) {
	t.Parallel()
	for _, v := range goldenVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			now := time.Unix(v.Timestamp, 0).Add(10 * time.Second)
			full := http.Header{}
			for k, val := range v.Expected {
				full.Set(k, val)
			}
			standardOnly, krosOnly := full.Clone(), http.Header{}
			standardOnly.Del("X-Webhook-Signature")
			krosOnly.Set("X-Webhook-Signature", v.Expected["X-Webhook-Signature"])
			for _, h := range []struct {
				name   string
				header http.Header
			}{{"both schemes", full}, {"Standard Webhooks only", standardOnly}, {"KrosAI only", krosOnly}} {
				if err := client.VerifyWebhook(v.Secrets[0], h.header, []byte(v.Body), now, time.Minute); err != nil {
					t.Errorf("%s: %v", h.name, err)
				}
				// One byte more in the body and nothing verifies.
				if err := client.VerifyWebhook(v.Secrets[0], h.header, []byte(v.Body+" "), now, time.Minute); !errors.Is(err, client.ErrWebhookBadSignature) {
					t.Errorf("%s, tampered body: err = %v", h.name, err)
				}
				if err := client.VerifyWebhook("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", h.header, []byte(v.Body), now, time.Minute); !errors.Is(err, client.ErrWebhookBadSignature) {
					t.Errorf("%s, wrong secret: err = %v", h.name, err)
				}
			}
			// During a rotation the previous secret verifies the Standard
			// Webhooks signature too.
			for i, s := range v.Secrets[1:] {
				if err := client.VerifyWebhook(s, standardOnly, []byte(v.Body), now, time.Minute); err != nil {
					t.Errorf("previous secret %d: %v", i+1, err)
				}
			}
		})
	}
}

func TestVerifyWebhookTimestamp(t *testing.T) {
	t.Parallel()
	v := goldenVectors(t)[0]
	h := http.Header{}
	for k, val := range v.Expected {
		h.Set(k, val)
	}
	signed := time.Unix(v.Timestamp, 0)
	tests := []struct {
		name string
		now  time.Time
		tol  time.Duration
		want error
	}{
		{"within tolerance", signed.Add(4 * time.Minute), 0, nil},
		{"too old for the default 5 minutes", signed.Add(6 * time.Minute), 0, client.ErrWebhookTimestampTooOld},
		{"too old for 1 minute", signed.Add(61 * time.Second), time.Minute, client.ErrWebhookTimestampTooOld},
		{"from the future", signed.Add(-2 * time.Minute), time.Minute, client.ErrWebhookTimestampTooNew},
	}
	for _, tt := range tests {
		if err := client.VerifyWebhook(v.Secrets[0], h, []byte(v.Body), tt.now, tt.tol); !errors.Is(err, tt.want) && err != tt.want {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	// A re-stamped request (a replay with a fresh timestamp) fails: the
	// timestamp is signed.
	re := h.Clone()
	re.Set("webhook-timestamp", strconv.FormatInt(v.Timestamp+600, 10))
	if err := client.VerifyWebhook(v.Secrets[0], re, []byte(v.Body), signed.Add(600*time.Second), 0); !errors.Is(err, client.ErrWebhookBadSignature) {
		t.Errorf("re-stamped: err = %v", err)
	}
	if err := client.VerifyWebhook(v.Secrets[0], http.Header{}, []byte(v.Body), signed, 0); !errors.Is(err, client.ErrWebhookMissingHeaders) {
		t.Errorf("no headers: err = %v", err)
	}
}
