package switchboard

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// purgeBatch bounds the expired idempotency keys one BeginIdempotent
// deletes, so the table stays near a day of keys without any request
// paying for a big purge.
const purgeBatch = 100

// EnsureOrganization returns the organisation named name, creating it if
// there is none; created reports which happened. Two callers racing on one
// name both end with the same row.
func (s *Service) EnsureOrganization(ctx context.Context, name string) (*Organization, bool, error) {
	if strings.TrimSpace(name) == "" {
		return nil, false, FieldError("name", "organization name is required")
	}
	org, created, err := s.d.EnsureOrganization(ctx, NewID(PrefixOrg), name, s.now())
	if errors.Is(err, ErrUnstorable) {
		return nil, false, FieldError("name", "organization name must be text")
	}
	if err != nil {
		return nil, false, fmt.Errorf("ensure organization %q: %w", name, err)
	}
	return org, created, nil
}

// FindOrganization returns the organisation with this name, or NOT_FOUND.
func (s *Service) FindOrganization(ctx context.Context, name string) (*Organization, error) {
	org, err := s.d.OrganizationByName(ctx, name)
	if errors.Is(err, ErrNoRows) {
		return nil, Errorf(ECodeNotFound, "no organization named %q", name)
	}
	if err != nil {
		return nil, fmt.Errorf("find organization %q: %w", name, err)
	}
	return org, nil
}

// CountOrganizations returns how many organisations exist.
func (s *Service) CountOrganizations(ctx context.Context) (int, error) {
	n, err := s.d.CountOrganizations(ctx)
	if err != nil {
		return 0, fmt.Errorf("count organizations: %w", err)
	}
	return n, nil
}

// BeginIdempotent records rec as in flight and returns (nil, true), or, when
// a live record already holds the key, returns it and false. A record older
// than IdempotencyTTL is replaced, and a few expired ones are purged.
// rec.CreatedAt is set. Of several requests racing with one key exactly
// one starts.
func (s *Service) BeginIdempotent(ctx context.Context, rec *IdempotencyRecord) (*IdempotencyRecord, bool, error) {
	now := s.now()
	expired := now.Add(-IdempotencyTTL)
	var existing *IdempotencyRecord
	err := s.d.Write(ctx, func(tx Tx) error {
		var err error
		if existing, err = tx.ClaimIdempotencyKey(ctx, rec, now, expired); err != nil || existing != nil {
			return err
		}
		return tx.PurgeIdempotencyKeys(ctx, expired, purgeBatch)
	})
	if errors.Is(err, ErrUnstorable) {
		return nil, false, FieldError("Idempotency-Key", "Idempotency-Key must be text")
	}
	if err != nil {
		return nil, false, fmt.Errorf("begin idempotency key %q: %w", rec.Key, err)
	}
	if existing != nil {
		return existing, false, nil
	}
	rec.Status, rec.Body, rec.ContentType, rec.CreatedAt = 0, nil, "", now
	return nil, true, nil
}

// FinishIdempotent stores the response of the request begun for the key.
// It is an error when no request is in flight for it.
func (s *Service) FinishIdempotent(ctx context.Context, rec *IdempotencyRecord) error {
	r := *rec
	if r.Body == nil {
		r.Body = []byte{} // a finished record has a body, if an empty one
	}
	finished, err := s.d.FinishIdempotent(ctx, &r)
	if err == nil && !finished {
		err = errors.New("no request in flight for the key")
	}
	if err != nil {
		return fmt.Errorf("finish idempotency key %q: %w", rec.Key, err)
	}
	return nil
}

// AbortIdempotent forgets an in-flight key so the client may retry. A
// finished record is kept: its response is still the one to replay.
func (s *Service) AbortIdempotent(ctx context.Context, rec *IdempotencyRecord) error {
	if err := s.d.AbortIdempotent(ctx, rec); err != nil && !errors.Is(err, ErrUnstorable) {
		return fmt.Errorf("abort idempotency key %q: %w", rec.Key, err)
	}
	return nil // an unstorable key was refused by BeginIdempotent: nothing is in flight
}

// RequestHangup asks node to hang up the organisation's call (HangupRelay).
func (s *Service) RequestHangup(ctx context.Context, node, orgID, callID string) error {
	return s.d.RequestHangup(ctx, node, orgID, callID)
}

// SubscribeHangups calls fn for each hangup request addressed to node.
func (s *Service) SubscribeHangups(ctx context.Context, node string, fn func(orgID, callID string)) error {
	return s.d.SubscribeHangups(ctx, node, fn)
}

// RoutingEntries returns the active numbers and the endpoints they point
// at, from one snapshot (RoutingService).
func (s *Service) RoutingEntries(ctx context.Context, orgID string) ([]*PhoneNumber, []*Endpoint, error) {
	return s.d.RoutingEntries(ctx, orgID)
}

// RoutingTrunks returns every trunk of one organisation, or of all, with
// its password (RoutingService).
func (s *Service) RoutingTrunks(ctx context.Context, orgID string) ([]*Trunk, error) {
	return s.d.RoutingTrunks(ctx, orgID)
}
