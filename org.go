package switchboard

import (
	"context"
	"time"
)

// Organization owns API keys, endpoints, phone numbers and calls. Every
// store call that touches owned data takes the organisation's ID, and the
// HTTP layer takes it from the API key, never from the request.
type Organization struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// DefaultOrgName is the organisation the first `serve` on an empty database creates.
const DefaultOrgName = "default"

// OrganizationService manages organisations.
type OrganizationService interface {
	// EnsureOrganization returns the organisation with this name, creating it if needed.
	EnsureOrganization(ctx context.Context, name string) (*Organization, bool, error)
	// CountOrganizations returns how many organisations exist.
	CountOrganizations(ctx context.Context) (int, error)
	// FindOrganization returns the organisation with this name, or
	// NOT_FOUND (operator tools: the CLI names organisations).
	FindOrganization(ctx context.Context, name string) (*Organization, error)
}
