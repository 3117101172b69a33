package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-voice/switchboard"
)

// The SIP edge saves calls in batches of up to a few hundred updates, at
// thousands of calls a second, so SaveCalls writes a whole batch's rows,
// timelines included, in one statement (arrays unnested), and reads what
// the fan-out needs in one query per kind rather than one per event.

// saveCallsSQL upserts the calls ($1-$20, one array per column, one
// element per call, in ID order so that two batches lock shared rows in
// the same order; $21 their timelines). A conflict replaces every field
// an update can change; the call's identity (organisation, direction,
// numbers, phone number, SIP Call-ID, node, creation time), its metadata,
// its test mark ($22) and its raw caller ($23) are set when it is first
// saved and never change: a call whose update would change it is not
// written, and not returned, so UpsertCalls fails the batch and a call's
// events never go to another organisation than its record's. It returns
// the IDs of the calls written.
const saveCallsSQL = `INSERT INTO calls (` + switchboard.CallColumns + `, timeline)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
		$8::text[], $9::text[], $10::text[], $11::text[], $12::int[], $13::int[], $14::text[], $15::text[],
		$16::timestamptz[], $17::timestamptz[], $18::timestamptz[], $19::timestamptz[], $20::text[], $22::boolean[], $23::text[],
		$21::text[])
	ON CONFLICT (id) DO UPDATE SET endpoint_id = excluded.endpoint_id, status = excluded.status,
		hangup_cause = excluded.hangup_cause, hangup_by = excluded.hangup_by,
		failure_reason = excluded.failure_reason, sip_status = excluded.sip_status,
		duration = excluded.duration, answered_at = excluded.answered_at,
		completed_at = excluded.completed_at, updated_at = excluded.updated_at, timeline = excluded.timeline
	WHERE calls.organization_id IS NOT DISTINCT FROM excluded.organization_id
		AND calls.direction = excluded.direction
		AND calls.from_number = excluded.from_number AND calls.to_number = excluded.to_number
		AND calls.phone_number_id IS NOT DISTINCT FROM excluded.phone_number_id
		AND calls.sip_call_id = excluded.sip_call_id AND calls.node = excluded.node
		AND calls.created_at = excluded.created_at
	RETURNING id`

const findCallSQL = `SELECT ` + switchboard.CallColumns + ` FROM calls WHERE organization_id = $1 AND id = $2`

// callTimelineSQL reads a call's timeline column.
const callTimelineSQL = `SELECT timeline FROM calls WHERE organization_id = $1 AND id = $2`

// openCallsSQL locks a node's calls that are not final. Its condition is
// the partial index calls_open's, so it reads that small index only.
const openCallsSQL = `SELECT ` + switchboard.CallColumns + `, timeline FROM calls
	WHERE node = $1 AND status IN ('initiated', 'ringing', 'answered', 'in_progress')
	ORDER BY id FOR UPDATE`

// webhookEndpointsSQL picks, from (organisation, endpoint) pairs, the
// webhook-type endpoints of those organisations.
const webhookEndpointsSQL = `SELECT e.organization_id, e.id FROM endpoints e
	JOIN unnest($1::text[], $2::text[]) AS p(organization_id, id)
		ON e.organization_id = p.organization_id AND e.id = p.id
	WHERE e.type = '` + switchboard.EndpointWebhook + `'`

// checkCallText is PostgreSQL's own check of a batch: text it would
// refuse (NUL, invalid UTF-8) fails the batch with an error that names the
// call and field.
func checkCallText(calls []*switchboard.Call) error {
	for _, c := range calls {
		if err := checkText(c); err != nil {
			return err
		}
		for k, ev := range c.Timeline {
			if !storable(ev.ID) || !storable(ev.Type) || !storable(ev.Status) || !storable(ev.Detail) {
				return fmt.Errorf("call %s: timeline entry %d: ID, type, status or detail is not valid UTF-8 text", c.ID, k)
			}
		}
	}
	return nil
}

// checkText fails unless every text field of c can be stored: PostgreSQL
// text holds neither NUL nor invalid UTF-8, and the error names the call
// where the database's would name neither call nor field.
func checkText(c *switchboard.Call) error {
	for _, f := range []struct{ name, v string }{
		{"organization_id", c.OrganizationID}, {"direction", c.Direction}, {"from_number", c.FromNumber}, {"from_raw", c.FromRaw},
		{"to_number", c.ToNumber}, {"phone_number_id", deref(c.PhoneNumberID)}, {"endpoint_id", deref(c.EndpointID)},
		{"status", c.Status}, {"hangup_cause", c.HangupCause}, {"hangup_by", c.HangupBy},
		{"failure_reason", c.FailureReason}, {"sip_call_id", c.SIPCallID}, {"node", c.Node},
	} {
		if !storable(f.v) {
			return fmt.Errorf("call %s: %s is not valid UTF-8 text", c.ID, f.name)
		}
	}
	return nil
}

// sameIdentity reports whether two states of a call have the same
// identity, the fields an update cannot change.
func sameIdentity(a, b *switchboard.Call) bool {
	return a.OrganizationID == b.OrganizationID && a.Direction == b.Direction &&
		a.FromNumber == b.FromNumber && a.ToNumber == b.ToNumber &&
		deref(a.PhoneNumberID) == deref(b.PhoneNumberID) && (a.PhoneNumberID == nil) == (b.PhoneNumberID == nil) &&
		a.SIPCallID == b.SIPCallID && a.Node == b.Node && a.CreatedAt.Equal(b.CreatedAt)
}

// orgParam returns an organisation ID as a column value: NULL for "".
func orgParam(id string) *string {
	if id == "" {
		return nil
	}
	return &id
}

// UpsertCalls writes the batch in one statement. Each call is written
// once, in its last state of the batch; its earlier states in the batch
// must have the same identity, which the statement cannot see.
func (t *txn) UpsertCalls(ctx context.Context, batch []*switchboard.Call) error {
	if err := checkCallText(batch); err != nil {
		return err
	}
	calls := batch
	if len(batch) > 1 {
		last := make(map[string]*switchboard.Call, len(batch)) // each call's state after the batch
		for _, c := range batch {
			if prev := last[c.ID]; prev != nil && !sameIdentity(prev, c) {
				return &switchboard.CallIdentityError{CallID: c.ID}
			}
			last[c.ID] = c
		}
		calls = slices.SortedFunc(func(yield func(*switchboard.Call) bool) {
			for _, c := range last {
				if !yield(c) {
					return
				}
			}
		}, func(a, b *switchboard.Call) int { return strings.Compare(a.ID, b.ID) })
	}

	n := len(calls)
	var (
		ids, directions, froms, tos, statuses, causes, bys, reasons, sipCallIDs, nodes = make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		orgs, numberIDs, endpointIDs = make([]*string, n), make([]*string, n), make([]*string, n)
		sipStatuses, durations       = make([]int, n), make([]int, n)
		created, updated             = make([]time.Time, n), make([]time.Time, n)
		answered, completed          = make([]*time.Time, n), make([]*time.Time, n)
		metadata                     = make([]*string, n)
		tests                        = make([]bool, n)
		fromRaws, timelines          = make([]string, n), make([]string, n)
	)
	var buf []byte
	for i, c := range calls {
		ids[i], orgs[i], directions[i], froms[i], tos[i] = c.ID, orgParam(c.OrganizationID), c.Direction, c.FromNumber, c.ToNumber
		numberIDs[i], endpointIDs[i], statuses[i] = c.PhoneNumberID, c.EndpointID, c.Status
		causes[i], bys[i], reasons[i], sipStatuses[i], durations[i] = c.HangupCause, c.HangupBy, c.FailureReason, c.SIPStatus, c.Duration
		sipCallIDs[i], nodes[i], created[i], answered[i], completed[i], updated[i] = c.SIPCallID, c.Node, c.CreatedAt, c.AnsweredAt, c.CompletedAt, c.UpdatedAt
		metadata[i], tests[i], fromRaws[i] = c.MetadataColumn(), c.Test, c.FromRaw
		buf = switchboard.AppendTimeline(buf[:0], c.Timeline)
		timelines[i] = string(buf)
	}
	rows, err := t.Query(ctx, saveCallsSQL, ids, orgs, directions, froms, tos, numberIDs, endpointIDs,
		statuses, causes, bys, reasons, sipStatuses, durations, sipCallIDs, nodes, created, answered, completed, updated, metadata,
		timelines, tests, fromRaws)
	if err != nil {
		return err
	}
	saved := make(map[string]bool, n)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		saved[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(saved) < n {
		for _, c := range calls {
			if !saved[c.ID] {
				return &switchboard.CallIdentityError{CallID: c.ID}
			}
		}
	}
	return nil
}

// WebhookEndpoints looks the pairs up in one query.
func (t *txn) WebhookEndpoints(ctx context.Context, refs []switchboard.EndpointRef) ([]bool, error) {
	orgIDs, ids := make([]string, len(refs)), make([]string, len(refs))
	for i, r := range refs {
		orgIDs[i], ids[i] = r.OrganizationID, r.ID
	}
	rows, err := t.Query(ctx, webhookEndpointsSQL, orgIDs, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	is := make([]bool, len(ids))
	var org, id string
	for rows.Next() {
		if err := rows.Scan(&org, &id); err != nil {
			return nil, err
		}
		for i, r := range refs {
			if r.ID == id && r.OrganizationID == org {
				is[i] = true
			}
		}
	}
	return is, rows.Err()
}

// OpenCalls locks the node's calls that are not final.
func (t *txn) OpenCalls(ctx context.Context, node string) ([]*switchboard.Call, error) {
	if !storable(node) {
		return nil, nil // no stored node is named so
	}
	rows, err := t.Query(ctx, openCallsSQL, node)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*switchboard.Call, error) {
		var tl switchboard.TimelineDest
		c, err := codec.ScanCall(r, &tl)
		if err != nil {
			return nil, err
		}
		return c, tl.Set(c)
	})
}

// Call reads the organisation's call on the pool.
func (db *Driver) Call(ctx context.Context, orgID, id string) (*switchboard.Call, error) {
	return findCall(ctx, db.pool, orgID, id)
}

// Call reads the organisation's call in the transaction.
func (t *txn) Call(ctx context.Context, orgID, id string) (*switchboard.Call, error) {
	return findCall(ctx, t, orgID, id)
}

func findCall(ctx context.Context, q querier, orgID, id string) (*switchboard.Call, error) {
	if !storable(orgID) {
		return nil, switchboard.ErrNoRows
	}
	c, err := codec.ScanCall(q.QueryRow(ctx, findCallSQL, orgID, id))
	return c, noRows(err)
}

// ListCalls returns one page of the organisation's calls that match the
// filter, newest first, and their total.
func (db *Driver) ListCalls(ctx context.Context, orgID string, f switchboard.CallFilter) ([]*switchboard.Call, int, error) {
	for _, s := range []string{orgID, f.Status, f.Direction, f.PhoneNumberID, f.EndpointID} {
		if !storable(s) {
			return nil, 0, nil // no stored text equals it
		}
	}
	w := listCallsWhere(orgID, f)
	return switchboard.CollectPage(func(each func(scanner, ...any) error) (int, error) {
		return page(ctx, db.pool, switchboard.CallColumns, "calls", w, callsOrder, f.Page, each)
	}, codec.ScanCall)
}

// callsOrder is the calls' list order, newest first.
const callsOrder = `created_at DESC, id COLLATE "C" DESC`

// listCallsWhere returns the WHERE of ListCalls' statements. The index
// study of TestCallStatsScale explains them as they run.
func listCallsWhere(orgID string, f switchboard.CallFilter) where {
	var w where
	w.eqs(f.Conds(orgID))
	for _, c := range f.Where() {
		w.add(c)
	}
	if !f.From.IsZero() {
		w.add("created_at >= " + w.param(fromBound(f.From)))
	}
	if !f.To.IsZero() {
		w.add("created_at <= " + w.param(ts(f.To)))
	}
	return w
}

// fromBound returns the first microsecond at or after t, the precision
// stored: a lower bound between two microseconds must not take in the
// earlier one.
func fromBound(t time.Time) time.Time {
	b := ts(t)
	if b.Before(t) {
		b = b.Add(time.Microsecond)
	}
	return b
}

// CallEvents reads the call's timeline column.
func (db *Driver) CallEvents(ctx context.Context, orgID, callID string) ([]*switchboard.CallEvent, error) {
	if !storable(orgID) || !storable(callID) {
		return nil, switchboard.ErrNoRows
	}
	var tl switchboard.TimelineDest
	if err := db.pool.QueryRow(ctx, callTimelineSQL, orgID, callID).Scan(&tl); err != nil {
		return nil, noRows(err)
	}
	return tl.Events(callID)
}
