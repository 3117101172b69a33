package storecache

import (
	"context"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// The writes below invalidate the organisation they name once the
// underlying store returns, failed or not (a failed write may still have
// committed). Only the endpoint writes can change what is cached; the
// others invalidate too, conservatively, since any write of an
// organisation might one day touch its endpoints.
//
// Not wrapped, because they name no organisation or cannot change an
// endpoint: EnsureOrganization (a new organisation has no endpoints),
// AddInventory (the shared inventory), the idempotency records, and the
// delivery workers' ClaimDeliveries and FinishDeliveries (delivery rows
// only). TestEveryStoreMethodIsClassified fails when the Store interface
// gains a method, so that each new one gets this decision.

// CreateEndpoint creates the endpoint and invalidates the organisation.
func (s *Cache) CreateEndpoint(ctx context.Context, orgID string, e *switchboard.Endpoint) error {
	defer s.invalidate(orgID)
	return s.Store.CreateEndpoint(ctx, orgID, e)
}

// UpdateEndpoint updates the endpoint and invalidates the organisation. fn
// gets the underlying store's fresh copy of the endpoint, read inside its
// write transaction, never a cached one.
func (s *Cache) UpdateEndpoint(ctx context.Context, orgID, id string, fn func(*switchboard.Endpoint) (*switchboard.Endpoint, error)) (*switchboard.Endpoint, error) {
	defer s.invalidate(orgID)
	return s.Store.UpdateEndpoint(ctx, orgID, id, fn)
}

// DeleteEndpoint deletes the endpoint and invalidates the organisation.
func (s *Cache) DeleteEndpoint(ctx context.Context, orgID, id string) (int, error) {
	defer s.invalidate(orgID)
	return s.Store.DeleteEndpoint(ctx, orgID, id)
}

// CreateAPIKey creates the key and invalidates its organisation.
func (s *Cache) CreateAPIKey(ctx context.Context, key *switchboard.APIKey) error {
	defer s.invalidate(key.OrganizationID)
	return s.Store.CreateAPIKey(ctx, key)
}

// ClaimNumber claims the number and invalidates the organisation.
func (s *Cache) ClaimNumber(ctx context.Context, orgID string, req switchboard.ClaimRequest) (*switchboard.PhoneNumber, error) {
	defer s.invalidate(orgID)
	return s.Store.ClaimNumber(ctx, orgID, req)
}

// UpdatePhoneNumber updates the number and invalidates the organisation.
func (s *Cache) UpdatePhoneNumber(ctx context.Context, orgID, id string, p switchboard.PhoneNumberPatch) (*switchboard.PhoneNumber, error) {
	defer s.invalidate(orgID)
	return s.Store.UpdatePhoneNumber(ctx, orgID, id, p)
}

// ReleaseNumber releases the number and invalidates the organisation.
func (s *Cache) ReleaseNumber(ctx context.Context, orgID, id string) (*switchboard.PhoneNumber, error) {
	defer s.invalidate(orgID)
	return s.Store.ReleaseNumber(ctx, orgID, id)
}

// EmitEvent records the event and invalidates the organisation.
func (s *Cache) EmitEvent(ctx context.Context, orgID, typ string, data any, opts switchboard.EmitOptions) (*switchboard.Event, error) {
	defer s.invalidate(orgID)
	return s.Store.EmitEvent(ctx, orgID, typ, data, opts)
}

// CreateWebhook creates the subscription and invalidates the organisation.
func (s *Cache) CreateWebhook(ctx context.Context, orgID string, w *switchboard.Webhook) error {
	defer s.invalidate(orgID)
	return s.Store.CreateWebhook(ctx, orgID, w)
}

// UpdateWebhook updates the subscription and invalidates the organisation.
func (s *Cache) UpdateWebhook(ctx context.Context, orgID, id string, fn func(*switchboard.Webhook) (*switchboard.Webhook, error)) (*switchboard.Webhook, error) {
	defer s.invalidate(orgID)
	return s.Store.UpdateWebhook(ctx, orgID, id, fn)
}

// DeleteWebhook deletes the subscription and invalidates the organisation.
func (s *Cache) DeleteWebhook(ctx context.Context, orgID, id string) error {
	defer s.invalidate(orgID)
	return s.Store.DeleteWebhook(ctx, orgID, id)
}

// RotateWebhookSecret rotates the secret and invalidates the organisation.
func (s *Cache) RotateWebhookSecret(ctx context.Context, orgID, id string) (*switchboard.Webhook, error) {
	defer s.invalidate(orgID)
	return s.Store.RotateWebhookSecret(ctx, orgID, id)
}

// RetryDelivery queues the delivery again and invalidates the organisation.
func (s *Cache) RetryDelivery(ctx context.Context, orgID, id string) (*switchboard.Delivery, error) {
	defer s.invalidate(orgID)
	return s.Store.RetryDelivery(ctx, orgID, id)
}

// ReplayDeliveries queues the failed deliveries again and invalidates the
// organisation.
func (s *Cache) ReplayDeliveries(ctx context.Context, orgID, webhookID string, since time.Time) (int, error) {
	defer s.invalidate(orgID)
	return s.Store.ReplayDeliveries(ctx, orgID, webhookID, since)
}
