package switchboard

import (
	"context"
	"time"
)

// Number types of the inventory.
const (
	NumberLocal    = "local"
	NumberMobile   = "mobile"
	NumberTollFree = "toll_free"
)

// Phone number statuses. A held number is active; ReleaseNumber returns the
// number it gave back with status released.
const (
	NumberActive   = "active"
	NumberReleased = "released"
)

// ValidNumberType reports whether t is a number type we know.
func ValidNumberType(t string) bool {
	return t == NumberLocal || t == NumberMobile || t == NumberTollFree
}

// InventoryNumber is a number the operator's carrier delivers, loaded with
// `switchboard inventory add`. It is available while no organisation holds it.
type InventoryNumber struct {
	ID        string    `json:"id"`
	Number    string    `json:"number"`
	Country   string    `json:"country"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
}

// NewInventoryNumber validates and normalises one inventory entry. An empty
// country is taken from the number; an empty type is local.
func NewInventoryNumber(raw, country, typ string) (*InventoryNumber, error) {
	e164, err := NormalizeE164(raw, country)
	if err != nil {
		return nil, err
	}
	region := RegionOfE164(e164)
	if country == "" {
		country = region
	}
	if country == "" {
		return nil, Errorf(ECodeValidation, "number %s: its country cannot be derived from it; give the country", e164)
	}
	if !ValidCountry(country) {
		return nil, Errorf(ECodeValidation, "number %s: country %q is not a valid ISO 3166 alpha-2 code", e164, country)
	}
	if region != "" && !InRegion(e164, country) {
		return nil, Errorf(ECodeValidation, "number %s belongs to %s, not %s", e164, region, country)
	}
	if typ == "" {
		typ = NumberLocal
	}
	if !ValidNumberType(typ) {
		return nil, Errorf(ECodeValidation, "number %s: type must be local, mobile or toll_free", e164)
	}
	return &InventoryNumber{Number: e164, Country: country, Type: typ}, nil
}

// EndpointSummary is the short form of the endpoint embedded in a phone number.
type EndpointSummary struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	Provider string `json:"provider,omitempty"`
	Status   string `json:"status"`
}

// PhoneNumber is a number an organisation holds.
type PhoneNumber struct {
	ID                 string  `json:"id"`
	OrganizationID     string  `json:"organization_id"`
	InventoryID        string  `json:"inventory_id"`
	Number             string  `json:"number"`
	E164               string  `json:"e164"`
	Country            string  `json:"country"`
	Type               string  `json:"type"`
	Status             string  `json:"status"`
	EndpointID         *string `json:"endpoint_id"`
	FallbackEndpointID *string `json:"fallback_endpoint_id"`
	AllowInbound       bool    `json:"allow_inbound"`
	AllowOutbound      bool    `json:"allow_outbound"`
	TrunkID            *string `json:"trunk_id"`
	// SIPCredentials are nil for a number claimed before numbers had
	// credentials, until they are rotated (the migration cannot compute
	// the hashes without a password).
	SIPCredentials *NumberSIPCredentials `json:"sip_credentials"`
	Endpoint       *EndpointSummary      `json:"endpoint,omitempty"`
	CreatedAt      time.Time             `json:"created_at"`
	UpdatedAt      time.Time             `json:"updated_at"`
}

// ClaimRequest asks for an available number: by inventory ID or by number.
type ClaimRequest struct {
	InventoryID   string
	Number        string // E.164
	EndpointID    *string
	AllowInbound  bool
	AllowOutbound bool
	// SIPDomain is the node's SIP domain, the realm of the number's SIP
	// credentials; "" gives the number none.
	SIPDomain string
}

// PhoneNumberPatch is the body of a phone number PATCH. Endpoint IDs may be
// set to null to detach.
type PhoneNumberPatch struct {
	EndpointID         Optional[string]
	FallbackEndpointID Optional[string]
	AllowInbound       Optional[bool]
	AllowOutbound      Optional[bool]
	// TrunkID names the organisation's trunk the number's outbound calls
	// use (TRUNK_NOT_FOUND otherwise); null detaches it.
	TrunkID Optional[string]
}

// AvailableFilter selects inventory numbers that no organisation holds.
type AvailableFilter struct {
	Country string
	Type    string
	Page
}

// InventoryFilter selects inventory numbers, held or not: the operator's
// view (`switchboard inventory list`).
type InventoryFilter struct {
	Country string
	// Available keeps only the numbers no organisation holds.
	Available bool
	Page
}

// InventoryEntry is an inventory number with the organisation that holds
// it, "" while it is available.
type InventoryEntry struct {
	InventoryNumber
	OrganizationID string
}

// PhoneNumberFilter selects an organisation's numbers.
type PhoneNumberFilter struct {
	Status     string
	Country    string
	EndpointID string
	// Number is an E.164 number: at most one of the organisation's numbers
	// matches (PrepareOutboundCall's lookup; the API has no such filter).
	Number string
	Page
}

// PhoneNumberService manages the inventory and the numbers organisations
// hold. Methods that take an orgID answer PHONE_NUMBER_NOT_FOUND for another
// organisation's number and ENDPOINT_NOT_FOUND for another's endpoint.
type PhoneNumberService interface {
	// AddInventory adds numbers to the inventory; numbers already there are
	// skipped and reported by the returned count of added rows.
	AddInventory(ctx context.Context, nums []*InventoryNumber) (added int, err error)
	ListAvailable(ctx context.Context, f AvailableFilter) ([]*InventoryNumber, int, error)
	// ListInventory returns one page of the inventory, held numbers too,
	// with who holds each: the operator's view.
	ListInventory(ctx context.Context, f InventoryFilter) ([]*InventoryEntry, int, error)
	// RemoveInventory takes an available number out of the inventory. A
	// number an organisation holds is refused (CONFLICT), one not in the
	// inventory is PHONE_NUMBER_NOT_FOUND.
	RemoveInventory(ctx context.Context, number string) error
	// ClaimNumber gives an available number to the organisation, or fails
	// with NUMBER_NOT_AVAILABLE.
	ClaimNumber(ctx context.Context, orgID string, req ClaimRequest) (*PhoneNumber, error)
	FindPhoneNumber(ctx context.Context, orgID, id string) (*PhoneNumber, error)
	ListPhoneNumbers(ctx context.Context, orgID string, f PhoneNumberFilter) ([]*PhoneNumber, int, error)
	UpdatePhoneNumber(ctx context.Context, orgID, id string, p PhoneNumberPatch) (*PhoneNumber, error)
	// ReleaseNumber returns the number to the inventory, and its SIP
	// credentials with it.
	ReleaseNumber(ctx context.Context, orgID, id string) (*PhoneNumber, error)
	// RotateSIPCredentials gives the number new SIP credentials of realm
	// and returns them with the password, the one time it is shown.
	RotateSIPCredentials(ctx context.Context, orgID, id, realm string) (*PhoneNumber, error)
	// SIPCredentials returns the number a SIP username belongs to and its
	// HA1 hashes (ErrNoRows for an unknown username): the SIP edge's
	// lookup for digest authentication.
	SIPCredentials(ctx context.Context, username string) (orgID, phoneNumberID, ha1md5, ha1sha256 string, err error)
}

// PhoneNumberScan reads one stored number with its inventory row and a
// summary of its primary endpoint (NULL when it has none), in the order
// the stores select them: p.id, p.organization_id, p.inventory_id,
// i.number, i.country, i.type, p.status, p.endpoint_id,
// p.fallback_endpoint_id, p.allow_inbound, p.allow_outbound, p.created_at,
// p.updated_at, e.id, e.name, e.type, the endpoint's provider, e.status,
// p.trunk_id, p.sip_username.
type PhoneNumberScan struct {
	pn                                         PhoneNumber
	endpointID, fallbackID, trunkID, sipUser   nullText
	epID, epName, epType, epProvider, epStatus nullText
}

// Dest returns the scan destinations.
func (s *PhoneNumberScan) Dest(c *ColumnCodec) []any {
	pn := &s.pn
	return []any{&pn.ID, &pn.OrganizationID, &pn.InventoryID, &pn.Number, &pn.Country, &pn.Type,
		&pn.Status, &s.endpointID, &s.fallbackID, &pn.AllowInbound, &pn.AllowOutbound,
		c.TimeDest(&pn.CreatedAt), c.TimeDest(&pn.UpdatedAt),
		&s.epID, &s.epName, &s.epType, &s.epProvider, &s.epStatus, &s.trunkID, &s.sipUser}
}

// PhoneNumber returns the number scanned.
func (s *PhoneNumberScan) PhoneNumber() *PhoneNumber {
	pn := s.pn
	pn.E164 = pn.Number
	pn.EndpointID, pn.FallbackEndpointID, pn.TrunkID = s.endpointID.ptr(), s.fallbackID.ptr(), s.trunkID.ptr()
	if s.sipUser.valid {
		pn.SIPCredentials = &NumberSIPCredentials{Username: string(s.sipUser.b)}
	}
	if s.epID.valid {
		pn.Endpoint = &EndpointSummary{
			ID: string(s.epID.b), Name: string(s.epName.b), Type: string(s.epType.b),
			Provider: string(s.epProvider.b), Status: string(s.epStatus.b),
		}
	}
	return &pn
}
