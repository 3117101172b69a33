package switchboard

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

// Conds are the organisation's numbers (p, with inventory row i) that match
// the filter; EndpointID matches the primary endpoint.
func (f PhoneNumberFilter) Conds(orgID string) []Cond {
	return conds([]Cond{{"p.organization_id", orgID}}, "p.status", f.Status, "i.country", f.Country, "p.endpoint_id", f.EndpointID)
}

// Conds are the inventory numbers (i) that match the filter; that no
// organisation holds them is the store's own condition.
func (f AvailableFilter) Conds() []Cond {
	return conds(nil, "i.country", f.Country, "i.type", f.Type)
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

// InventoryConds name an inventory number by ID, by number, or by both.
func InventoryConds(id, number string) []Cond {
	return conds(nil, "id", id, "number", number)
}
