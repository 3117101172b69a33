package switchboard

import "context"

// Cond is one equality a list asks of its rows: Column = Value. The list
// filters name their conditions here once; each store renders them with
// its own placeholders.
type Cond struct {
	Column string
	Value  any
}

// conds returns column = value for each (column, value) pair of pairs
// whose value is set, after first.
func conds(first []Cond, pairs ...string) []Cond {
	out := first
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			out = append(out, Cond{pairs[i], pairs[i+1]})
		}
	}
	return out
}

// Conds are the organisation's endpoints that match the filter.
func (f EndpointFilter) Conds(orgID string) []Cond {
	return conds([]Cond{{"organization_id", orgID}}, "type", f.Type, "status", f.Status)
}

// Conds are the organisation's trunks that match the filter.
func (f TrunkFilter) Conds(orgID string) []Cond {
	return conds([]Cond{{"organization_id", orgID}}, "status", f.Status)
}

// Conds are the organisation's keys that match the filter's mode; where
// adds its revoked condition.
func (f APIKeyFilter) Conds(orgID string) []Cond {
	cs := []Cond{{"organization_id", orgID}}
	if f.Mode != "" {
		cs = append(cs, Cond{"live", f.Mode == ModeLive})
	}
	return cs
}

func (f APIKeyFilter) where() []string {
	switch {
	case f.Revoked == nil:
		return nil
	case *f.Revoked:
		return []string{"revoked_at IS NOT NULL"}
	}
	return []string{"revoked_at IS NULL"}
}

// Conds are the organisation's numbers (p, with inventory row i) that match
// the filter; EndpointID matches the primary endpoint, Number the E.164
// number.
func (f PhoneNumberFilter) Conds(orgID string) []Cond {
	return conds([]Cond{{"p.organization_id", orgID}}, "p.status", f.Status, "i.country", f.Country,
		"p.endpoint_id", f.EndpointID, "i.number", f.Number)
}

// Conds are the inventory numbers (i) that match the filter; that no
// organisation holds them is the store's own condition.
func (f AvailableFilter) Conds() []Cond {
	return conds(nil, "i.country", f.Country, "i.type", f.Type)
}

// Conds are the inventory numbers (i) that match the filter's equalities;
// Available is a condition of the list's join (Lists.ListInventory).
func (f InventoryFilter) Conds() []Cond {
	return conds(nil, "i.country", f.Country)
}

// Conds are the organisation's deliveries (d) that match the filter. The
// filters match exactly: WebhookID (also a deleted subscription's), Status,
// and Event, a canonical event type.
func (f DeliveryFilter) Conds(orgID string) []Cond {
	return conds([]Cond{{"d.organization_id", orgID}}, "d.webhook_id", f.WebhookID, "d.status", f.Status, "d.event", f.Event)
}

// Conds are the equalities of the filter on the organisation's calls; the
// store bounds created_at by From and To itself (each keeps time its own
// way).
func (f CallFilter) Conds(orgID string) []Cond {
	return conds([]Cond{{"organization_id", orgID}}, "status", f.Status, "direction", f.Direction,
		"phone_number_id", f.PhoneNumberID, "endpoint_id", f.EndpointID)
}

// Where are the conditions of the filter on the organisation's calls that
// take no parameter: Live's, the statuses that are not final (CallEnded).
func (f CallFilter) Where() []string {
	if !f.Live {
		return nil
	}
	return []string{"status IN ('" + CallInitiated + "', '" + CallRinging + "', '" + CallAnswered + "', '" + CallInProgress + "')"}
}

// InventoryConds name an inventory number by ID, by number, or by both.
func InventoryConds(id, number string) []Cond {
	return conds(nil, "id", id, "number", number)
}

// ListQuery is one page of a list as the rules describe it: Columns of
// the rows of From that match Where (conditions without parameters) and
// Conds, newest first by the CreatedAt column and then the ID column, and
// the total that match. A driver renders it in its dialect (Pager).
type ListQuery struct {
	Columns, From string
	// CountFrom, when set, is a narrower From with the same rows, for a
	// driver that counts them apart.
	CountFrom     string
	Where         []string
	Conds         []Cond
	CreatedAt, ID string
	Page          Page
}

// Pager is how a driver runs a ListQuery.
type Pager interface {
	// Page calls each with every row of the page, to scan Columns and then
	// the extra destinations each gives, and returns the total that match,
	// counted in the same snapshot.
	Page(ctx context.Context, q *ListQuery, each func(s Scanner, extra ...any) error) (total int, err error)
}

// CollectPage runs page, which calls each with every row of a list's
// page, and returns the rows as scan reads them and the total page
// returns.
func CollectPage[T any](page func(each func(Scanner, ...any) error) (int, error), scan func(Scanner, ...any) (T, error)) ([]T, int, error) {
	var out []T
	total, err := page(func(s Scanner, extra ...any) error {
		v, err := scan(s, extra...)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// Lists implements the Driver's lists, ListCalls aside (its time bounds
// are the driver's), once over a driver's Pager: a driver embeds it.
type Lists struct {
	P     Pager
	Codec *ColumnCodec
	// PhoneNumberColumns select a number from PhoneNumberFrom in the
	// order of PhoneNumberScan; PhoneNumberCountFrom is the CountFrom of
	// the list, if any.
	PhoneNumberColumns, PhoneNumberFrom, PhoneNumberCountFrom string
	// EventCallID is the dialect's expression of the call_id in the data
	// of event e, for DeliveryFilter.CallID.
	EventCallID string
}

// ListEndpoints returns one page of the organisation's endpoints, newest
// first, and the total that match the filter.
func (l Lists) ListEndpoints(ctx context.Context, orgID string, f EndpointFilter) ([]*Endpoint, int, error) {
	return CollectPage(l.page(ctx, ListQuery{Columns: EndpointColumns, From: "endpoints", Conds: f.Conds(orgID),
		CreatedAt: "created_at", ID: "id", Page: f.Page}), l.Codec.ScanEndpoint)
}

// ListPhoneNumbers returns one page of the organisation's numbers, newest
// first, and the total that match the filter.
func (l Lists) ListPhoneNumbers(ctx context.Context, orgID string, f PhoneNumberFilter) ([]*PhoneNumber, int, error) {
	return CollectPage(l.page(ctx, ListQuery{Columns: l.PhoneNumberColumns, From: l.PhoneNumberFrom, CountFrom: l.PhoneNumberCountFrom,
		Conds: f.Conds(orgID), CreatedAt: "p.created_at", ID: "p.id", Page: f.Page}), l.Codec.ScanPhoneNumber)
}

// ListAvailable returns one page of the inventory numbers no organisation
// holds, newest first, and the total that match the filter.
func (l Lists) ListAvailable(ctx context.Context, f AvailableFilter) ([]*InventoryNumber, int, error) {
	return CollectPage(l.page(ctx, ListQuery{Columns: InventoryColumns, From: "inventory_numbers i",
		Where: []string{"NOT EXISTS (SELECT 1 FROM phone_numbers p WHERE p.inventory_id = i.id)"}, Conds: f.Conds(),
		CreatedAt: "i.created_at", ID: "i.id", Page: f.Page}), l.Codec.ScanInventory)
}

// ListInventory returns one page of the inventory, newest first, each
// number with the organisation holding it, and the total that match.
func (l Lists) ListInventory(ctx context.Context, f InventoryFilter) ([]*InventoryEntry, int, error) {
	q := ListQuery{Columns: InventoryColumns + ", COALESCE(p.organization_id, '')",
		From: "inventory_numbers i LEFT JOIN phone_numbers p ON p.inventory_id = i.id", Conds: f.Conds(),
		CreatedAt: "i.created_at", ID: "i.id", Page: f.Page}
	if f.Available {
		q.Where = []string{"p.id IS NULL"}
	}
	return CollectPage(l.page(ctx, q), func(s Scanner, extra ...any) (*InventoryEntry, error) {
		var e InventoryEntry
		n, err := l.Codec.ScanInventory(s, append([]any{&e.OrganizationID}, extra...)...)
		if err != nil {
			return nil, err
		}
		e.InventoryNumber = *n
		return &e, nil
	})
}

// ListWebhooks returns one page of the organisation's subscriptions,
// newest first, and their total.
func (l Lists) ListWebhooks(ctx context.Context, orgID string, p Page) ([]*Webhook, int, error) {
	return CollectPage(l.page(ctx, ListQuery{Columns: WebhookColumns, From: "webhooks", Conds: []Cond{{"organization_id", orgID}},
		CreatedAt: "created_at", ID: "id", Page: p}), l.Codec.ScanWebhook)
}

// ListDeliveries returns one page of the organisation's deliveries, newest
// first, and the total that match the filter.
func (l Lists) ListDeliveries(ctx context.Context, orgID string, f DeliveryFilter) ([]*Delivery, int, error) {
	q := ListQuery{Columns: DeliveryColumns, From: "deliveries d", Conds: f.Conds(orgID),
		CreatedAt: "d.created_at", ID: "d.id", Page: f.Page}
	if f.CallID != "" {
		// A call's events carry its ID in their data; only call events do.
		q.From = "deliveries d JOIN events e ON e.id = d.event_id"
		q.Where = []string{"d.event LIKE 'call.%'"}
		q.Conds = append(q.Conds, Cond{l.EventCallID, f.CallID})
	}
	return CollectPage(l.page(ctx, q), l.Codec.ScanDelivery)
}

// ListTrunks returns one page of the organisation's trunks, newest first,
// and the total that match the filter.
func (l Lists) ListTrunks(ctx context.Context, orgID string, f TrunkFilter) ([]*Trunk, int, error) {
	return CollectPage(l.page(ctx, ListQuery{Columns: TrunkColumns, From: "trunks", Conds: f.Conds(orgID),
		CreatedAt: "created_at", ID: "id", Page: f.Page}), l.Codec.ScanTrunk)
}

// ListAPIKeys returns one page of the organisation's keys, newest first,
// and the total that match the filter.
func (l Lists) ListAPIKeys(ctx context.Context, orgID string, f APIKeyFilter) ([]*APIKey, int, error) {
	return CollectPage(l.page(ctx, ListQuery{Columns: APIKeyColumns, From: "api_keys", Where: f.where(), Conds: f.Conds(orgID),
		CreatedAt: "created_at", ID: "id", Page: f.Page}), l.Codec.ScanAPIKey)
}

func (l Lists) page(ctx context.Context, q ListQuery) func(each func(Scanner, ...any) error) (int, error) {
	return func(each func(Scanner, ...any) error) (int, error) { return l.P.Page(ctx, &q, each) }
}
