package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"

	"github.com/switchboard-voice/switchboard"
)

// maxIdempotencyKey is the longest Idempotency-Key accepted (Stripe's limit).
const maxIdempotencyKey = 255

// captureWriter passes a response through while keeping a copy to store;
// statusRecorder remembers its status.
type captureWriter struct {
	statusRecorder
	buf bytes.Buffer
	// stored, when set, is the body kept for replays instead of buf;
	// unstorable keeps none (see storeInstead).
	stored     []byte
	unstorable bool
}

// storeInstead makes idempotent keep v for replays instead of the response
// sent, when w is its capture: a response that shows a secret once (a
// number's SIP password) is replayed without it, so the secret is never
// written to the database.
func storeInstead(w http.ResponseWriter, v any) {
	c, ok := w.(*captureWriter)
	if !ok {
		return
	}
	b, err := encodeJSON(v)
	if err != nil {
		c.unstorable = true // nothing is kept rather than the secret
		return
	}
	c.stored = b
}

func (c *captureWriter) Write(b []byte) (int, error) {
	c.buf.Write(b)
	return c.statusRecorder.Write(b)
}

// idempotent makes a write route honour Idempotency-Key: the first response
// for a key is stored and replayed for IdempotencyTTL; the same key with a
// different request is 422, and while the first is still running, 409.
// Keys are scoped to the organisation and API key. 5xx and 429 responses
// are not stored, so a client can retry after a server fault or once a
// limit lets it through (a 429 replayed for a day would make the key
// useless). next is already
// adapted (Server.h), so its error responses are captured like any other;
// the errors of idempotent itself are returned, never stored.
func (s *Server) idempotent(next http.HandlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		idemKey := r.Header.Get("Idempotency-Key")
		if idemKey == "" {
			next(w, r)
			return nil
		}
		if len(idemKey) > maxIdempotencyKey {
			return switchboard.FieldError("Idempotency-Key", "Idempotency-Key must be at most %d characters", maxIdempotencyKey)
		}
		if !validText(idemKey) {
			return textError("Idempotency-Key")
		}
		body, err := readBody(r)
		if err != nil {
			return err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		key := apiKey(r.Context())
		sum := sha256.New()
		for _, part := range [][]byte{[]byte(r.Method), {0}, []byte(r.URL.Path), {0}, []byte(r.URL.RawQuery), {0}, body} {
			sum.Write(part)
		}
		rec := &switchboard.IdempotencyRecord{
			OrganizationID: key.OrganizationID,
			APIKeyID:       key.ID,
			Key:            idemKey,
			Fingerprint:    hex.EncodeToString(sum.Sum(nil)),
		}
		existing, started, err := s.store.BeginIdempotent(r.Context(), rec)
		if err != nil {
			return err
		}
		if !started {
			switch {
			case existing.Fingerprint != rec.Fingerprint:
				return switchboard.Errorf(switchboard.ECodeIdempotencyReused, "Idempotency-Key was already used with a different request")
			case existing.Status == 0:
				return switchboard.Errorf(switchboard.ECodeIdempotencyBusy, "a request with this Idempotency-Key is still in progress")
			default:
				w.Header().Set("Idempotent-Replayed", "true")
				w.Header().Set("Content-Type", existing.ContentType)
				w.WriteHeader(existing.Status)
				w.Write(existing.Body)
			}
			return nil
		}
		cw := &captureWriter{statusRecorder: statusRecorder{ResponseWriter: w}}
		finished := false
		defer func() {
			// Runs on panic too: an unfinished key must not stay "in progress".
			if !finished {
				s.store.AbortIdempotent(context.WithoutCancel(r.Context()), rec)
			}
		}()
		next(cw, r)
		if cw.status >= 500 || cw.status == http.StatusTooManyRequests || cw.status == 0 || cw.unstorable {
			return nil
		}
		rec.Status, rec.Body, rec.ContentType = cw.status, cw.buf.Bytes(), cw.Header().Get("Content-Type")
		if cw.stored != nil {
			rec.Body = cw.stored
		}
		if err := s.store.FinishIdempotent(context.WithoutCancel(r.Context()), rec); err != nil {
			s.logger.ErrorContext(r.Context(), "store idempotent response", "request_id", requestID(r.Context()), "err", err)
			return nil
		}
		finished = true
		return nil
	}
}
