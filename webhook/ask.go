package webhook

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// maxReply bounds what is read of a webhook endpoint's reply.
const maxReply = 64 << 10

// Asker posts a call to a webhook endpoint and returns its reply: the
// synchronous question "where does this call go?". It signs like every
// delivery and goes through the same SSRF guard; it does not retry — the
// caller is waiting in silence, and the call plane falls back instead.
type Asker struct {
	client *http.Client
	now    func() time.Time
}

// NewAsker returns an Asker whose requests are bounded by the caller's
// context (the call plane's webhook timeout).
func NewAsker(allowPrivate bool) *Asker {
	return &Asker{client: NewHTTPClient(time.Minute, allowPrivate), now: time.Now}
}

// Ask POSTs body to url, signed with secret under message id msgID, and
// returns the reply body of a 2xx answer. Anything else is an error.
func (a *Asker) Ask(ctx context.Context, url, secret, msgID string, body []byte) ([]byte, error) {
	hdr, err := Sign(body, msgID, a.now(), secret)
	if err != nil {
		return nil, err
	}
	req, err := newRequest(ctx, url, body, hdr)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := a.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(res.Body, maxReply+1))
	if err != nil {
		return nil, fmt.Errorf("read reply: %w", err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return nil, fmt.Errorf("answered HTTP %d", res.StatusCode)
	}
	return reply, nil
}
