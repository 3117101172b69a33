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
// thousands of calls a second, so SaveCalls writes a whole batch, calls
// and timeline entries, in one statement (arrays unnested), and reads what
// the fan-out needs in one query per kind rather than one per event.

// saveCallsSQL upserts the calls ($1-$20, one array per column, one
// element per call, in ID order so that two batches lock shared rows in the
// same order) and appends the timeline entries ($21-$27, in batch order,
// which seq keeps). A conflict replaces every field an update can change;
// the call's identity (organisation, direction, numbers, phone number, SIP
// Call-ID, node, creation time), its metadata, its test mark ($28) and its raw caller ($29) are set when it is first
// saved and never change: a call whose update would change it is not written, and not
// returned, so saveCalls fails the batch and a call's events never go to
// another organisation than its record's. An entry already written (a
// batch retried after an error that hid its commit) is skipped. It
// returns the calls written (true, call ID) and the entries written
// (false, call ID, entry ID), which are the ones to emit. The entries' foreign key to their call
// is checked at the end of the statement, when the calls are in.
const saveCallsSQL = `WITH c AS (
		INSERT INTO calls (` + switchboard.CallColumns + `)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::text[], $10::text[], $11::text[], $12::int[], $13::int[], $14::text[], $15::text[],
			$16::timestamptz[], $17::timestamptz[], $18::timestamptz[], $19::timestamptz[], $20::text[], $28::boolean[], $29::text[])
		ON CONFLICT (id) DO UPDATE SET endpoint_id = excluded.endpoint_id, status = excluded.status,
			hangup_cause = excluded.hangup_cause, hangup_by = excluded.hangup_by,
			failure_reason = excluded.failure_reason, sip_status = excluded.sip_status,
			duration = excluded.duration, answered_at = excluded.answered_at,
			completed_at = excluded.completed_at, updated_at = excluded.updated_at
		WHERE calls.organization_id IS NOT DISTINCT FROM excluded.organization_id
			AND calls.direction = excluded.direction
			AND calls.from_number = excluded.from_number AND calls.to_number = excluded.to_number
			AND calls.phone_number_id IS NOT DISTINCT FROM excluded.phone_number_id
			AND calls.sip_call_id = excluded.sip_call_id AND calls.node = excluded.node
			AND calls.created_at = excluded.created_at
		RETURNING id
	), e AS (
		INSERT INTO call_events (id, call_id, organization_id, type, occurred_at, status, detail)
		SELECT id, call_id, organization_id, type, occurred_at, status, detail
		FROM unnest($21::text[], $22::text[], $23::text[], $24::text[], $25::timestamptz[], $26::text[], $27::text[])
			WITH ORDINALITY AS e(id, call_id, organization_id, type, occurred_at, status, detail, ord)
		ORDER BY ord
		ON CONFLICT (call_id, id) DO NOTHING
		RETURNING call_id, id
	)
	SELECT true, id, '' FROM c UNION ALL SELECT false, call_id, id FROM e`

const findCallSQL = `SELECT ` + switchboard.CallColumns + ` FROM calls WHERE organization_id = $1 AND id = $2`

// callEventsSQL reads a call's timeline, oldest first. The LEFT JOIN
// answers "no such call" (no row) and "no entry yet" (one row of NULLs)
// in one query.
const callEventsSQL = `SELECT e.id, e.type, e.occurred_at, e.status, e.detail
	FROM calls c LEFT JOIN call_events e ON e.call_id = c.id
	WHERE c.organization_id = $1 AND c.id = $2
	ORDER BY e.occurred_at, e.seq`

// openCallsSQL locks a node's calls that are not final. Its condition is
// the partial index calls_open's, so it reads that small index only.
const openCallsSQL = `SELECT ` + switchboard.CallColumns + ` FROM calls
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
func checkCallText(updates []switchboard.CallUpdate) error {
	for _, u := range updates {
		if err := checkText(u.Call); err != nil {
			return err
		}
		for k, ev := range u.Events {
			if !storable(ev.ID) || !storable(ev.Type) || !storable(ev.Status) || !storable(ev.Detail) {
				return fmt.Errorf("call %s: event %d: ID, type, status or detail is not valid UTF-8 text", u.Call.ID, k)
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

// entryKey names a timeline entry: its ID is unique within its call.
type entryKey struct{ call, id string }

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
func (t *txn) UpsertCalls(ctx context.Context, updates []switchboard.CallUpdate, states []*switchboard.Call) ([]bool, error) {
	if err := checkCallText(updates); err != nil {
		return nil, err
	}
	last := make(map[string]*switchboard.Call, len(updates)) // each call's state after the batch
	nEvents := 0
	for i, u := range updates {
		c := states[i]
		if prev := last[c.ID]; prev != nil && !sameIdentity(prev, c) {
			return nil, &switchboard.CallIdentityError{CallID: c.ID}
		}
		last[c.ID] = c
		nEvents += len(u.Events)
	}
	calls := slices.SortedFunc(func(yield func(*switchboard.Call) bool) {
		for _, c := range last {
			if !yield(c) {
				return
			}
		}
	}, func(a, b *switchboard.Call) int { return strings.Compare(a.ID, b.ID) })

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
		fromRaws                     = make([]string, n)
	)
	for i, c := range calls {
		ids[i], orgs[i], directions[i], froms[i], tos[i] = c.ID, orgParam(c.OrganizationID), c.Direction, c.FromNumber, c.ToNumber
		numberIDs[i], endpointIDs[i], statuses[i] = c.PhoneNumberID, c.EndpointID, c.Status
		causes[i], bys[i], reasons[i], sipStatuses[i], durations[i] = c.HangupCause, c.HangupBy, c.FailureReason, c.SIPStatus, c.Duration
		sipCallIDs[i], nodes[i], created[i], answered[i], completed[i], updated[i] = c.SIPCallID, c.Node, c.CreatedAt, c.AnsweredAt, c.CompletedAt, c.UpdatedAt
		metadata[i], tests[i], fromRaws[i] = c.MetadataColumn(), c.Test, c.FromRaw
	}
	var (
		evIDs, evCalls, evTypes, evStatuses, evDetails = make([]string, 0, nEvents), make([]string, 0, nEvents),
			make([]string, 0, nEvents), make([]string, 0, nEvents), make([]string, 0, nEvents)
		evOrgs = make([]*string, 0, nEvents)
		evAt   = make([]time.Time, 0, nEvents)
	)
	for i, u := range updates {
		c := states[i]
		for _, ev := range u.Events {
			evIDs, evCalls, evOrgs = append(evIDs, ev.ID), append(evCalls, c.ID), append(evOrgs, orgParam(c.OrganizationID))
			evTypes, evAt = append(evTypes, ev.Type), append(evAt, ts(ev.Timestamp))
			evStatuses, evDetails = append(evStatuses, ev.Status), append(evDetails, ev.Detail)
		}
	}
	rows, err := t.Query(ctx, saveCallsSQL, ids, orgs, directions, froms, tos, numberIDs, endpointIDs,
		statuses, causes, bys, reasons, sipStatuses, durations, sipCallIDs, nodes, created, answered, completed, updated, metadata,
		evIDs, evCalls, evOrgs, evTypes, evAt, evStatuses, evDetails, tests, fromRaws)
	if err != nil {
		return nil, err
	}
	savedCalls := make(map[string]bool, len(calls))
	wrote := make(map[entryKey]bool, nEvents)
	for rows.Next() {
		var isCall bool
		var k entryKey
		if err := rows.Scan(&isCall, &k.call, &k.id); err != nil {
			rows.Close()
			return nil, err
		}
		if isCall {
			savedCalls[k.call] = true
		} else {
			wrote[k] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(savedCalls) < len(calls) {
		for _, c := range calls {
			if !savedCalls[c.ID] {
				return nil, &switchboard.CallIdentityError{CallID: c.ID}
			}
		}
	}
	written := make([]bool, 0, nEvents)
	for _, u := range updates {
		for _, ev := range u.Events {
			k := entryKey{ev.CallID, ev.ID}
			written = append(written, wrote[k])
			delete(wrote, k) // an entry listed twice in the batch is written once
		}
	}
	return written, nil
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
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*switchboard.Call, error) { return codec.ScanCall(r) })
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

// CallEvents reads the call's timeline, oldest first.
func (db *Driver) CallEvents(ctx context.Context, orgID, callID string) ([]*switchboard.CallEvent, error) {
	if !storable(orgID) {
		return nil, switchboard.ErrNoRows
	}
	rows, err := db.pool.Query(ctx, callEventsSQL, orgID, callID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return switchboard.ScanCallTimeline(rows, callID, &codec)
}
