package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// The SIP edge saves calls in batches of up to a few hundred updates, at
// thousands of calls a second, so SaveCalls writes a whole batch, calls
// and timeline entries, in one statement (arrays unnested), and reads what
// the fan-out needs in one query per kind rather than one per event.

const callColumns = `id, organization_id, direction, from_number, to_number, phone_number_id, endpoint_id,
	status, hangup_cause, hangup_by, failure_reason, sip_status, duration, sip_call_id, node,
	created_at, answered_at, completed_at, updated_at`

// saveCallsSQL upserts the calls ($1-$19, one array per column, one
// element per call, in ID order so that two batches lock shared rows in the
// same order) and appends the timeline entries ($20-$26, in batch order,
// which seq keeps). A conflict replaces every field an update can change;
// the call's identity (organisation, direction, numbers, phone number, SIP
// Call-ID, node, creation time) is set when it is first saved and never
// changes: a call whose update would change it is not written, and not
// returned, so saveCalls fails the batch and a call's events never go to
// another organisation than its record's. An entry already written (a
// batch retried after an error that hid its commit) is skipped. It
// returns the calls written (true, call ID) and the entries written
// (false, call ID, entry ID), which are the ones to emit. The entries' foreign key to their call
// is checked at the end of the statement, when the calls are in.
const saveCallsSQL = `WITH c AS (
		INSERT INTO calls (` + callColumns + `)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::text[], $10::text[], $11::text[], $12::int[], $13::int[], $14::text[], $15::text[],
			$16::timestamptz[], $17::timestamptz[], $18::timestamptz[], $19::timestamptz[])
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
		FROM unnest($20::text[], $21::text[], $22::text[], $23::text[], $24::timestamptz[], $25::text[], $26::text[])
			WITH ORDINALITY AS e(id, call_id, organization_id, type, occurred_at, status, detail, ord)
		ORDER BY ord
		ON CONFLICT (call_id, id) DO NOTHING
		RETURNING call_id, id
	)
	SELECT true, id, '' FROM c UNION ALL SELECT false, call_id, id FROM e`

const findCallSQL = `SELECT ` + callColumns + ` FROM calls WHERE organization_id = $1 AND id = $2`

// callEventsSQL reads a call's timeline, oldest first. The LEFT JOIN
// answers "no such call" (no row) and "no entry yet" (one row of NULLs)
// in one query.
const callEventsSQL = `SELECT e.id, e.type, e.occurred_at, e.status, e.detail
	FROM calls c LEFT JOIN call_events e ON e.call_id = c.id
	WHERE c.organization_id = $1 AND c.id = $2
	ORDER BY e.occurred_at, e.seq`

// openCallsSQL locks a node's calls that are not final. Its condition is
// the partial index calls_open's, so it reads that small index only.
const openCallsSQL = `SELECT ` + callColumns + ` FROM calls
	WHERE node = $1 AND status IN ('initiated', 'ringing', 'in_progress')
	ORDER BY id FOR UPDATE`

// webhookEndpointsSQL picks, from (organisation, endpoint) pairs, the
// webhook-type endpoints of those organisations.
const webhookEndpointsSQL = `SELECT e.organization_id, e.id FROM endpoints e
	JOIN unnest($1::text[], $2::text[]) AS p(organization_id, id)
		ON e.organization_id = p.organization_id AND e.id = p.id
	WHERE e.type = '` + switchboard.EndpointWebhook + `'`

func callNotFound(id string) error {
	return switchboard.Errorf(switchboard.ECodeCallNotFound, "Call %s not found.", id)
}

// SaveCalls writes the batch in one transaction, in slice order: each call
// is inserted or updated to the update's state, its timeline entries are
// appended, and each entry whose type is a call event of the catalogue
// (switchboard.EventTypes) is emitted, when the call belongs to an
// organisation, to the organisation's matching subscriptions and, unless
// SkipEndpoint, to the call's webhook-type endpoint. Entries of other
// types ("call.failover") stay on the timeline only.
//
// A call's identity (organisation, direction, numbers, phone number, SIP
// Call-ID, node, creation time) is fixed by its first save: an update that
// would change it fails the batch. Before writing, SaveCalls gives each
// entry without an ID one and sets its CallID, so a caller that saves the
// same updates again after an error writes and emits each entry once.
// Either the whole batch is saved or none of it.
func (db *Driver) SaveCalls(ctx context.Context, updates []switchboard.CallUpdate) error {
	if len(updates) == 0 {
		return nil
	}
	if err := prepareCallUpdates(updates); err != nil {
		return fmt.Errorf("save calls: %w", err)
	}
	err := db.write(ctx, func(tx *txn) error { return saveCalls(tx, db.now(), updates) })
	if err != nil {
		return fmt.Errorf("save calls: %w", err)
	}
	return nil
}

// prepareCallUpdates adds PostgreSQL's own check to the shared one: text
// it would refuse (NUL, invalid UTF-8) fails the batch with an error that
// names the call and field.
func prepareCallUpdates(updates []switchboard.CallUpdate) error {
	if err := switchboard.PrepareCallUpdates(updates); err != nil {
		return err
	}
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
		{"organization_id", c.OrganizationID}, {"direction", c.Direction}, {"from_number", c.FromNumber},
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

// storedCall returns c as it reads back: its times in UTC, truncated to
// microseconds. Events carry this copy, so their data matches FindCall.
func storedCall(c *switchboard.Call) *switchboard.Call {
	n := *c
	n.CreatedAt, n.UpdatedAt = ts(n.CreatedAt), ts(n.UpdatedAt)
	if n.AnsweredAt != nil {
		t := ts(*n.AnsweredAt)
		n.AnsweredAt = &t
	}
	if n.CompletedAt != nil {
		t := ts(*n.CompletedAt)
		n.CompletedAt = &t
	}
	return &n
}

// identityChanged is the error of an update that would change a call's
// identity.
func identityChanged(id string) error {
	return fmt.Errorf("call %s: an update cannot change a call's organisation, direction, numbers, "+
		"phone number, SIP Call-ID, node or creation time", id)
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

// saveCalls writes the prepared updates in tx and emits their events,
// stamped now, with one event writer per organisation (a batch mixes
// organisations). fn of db.write may run again, so it keeps no state
// outside tx.
func saveCalls(tx *txn, now time.Time, updates []switchboard.CallUpdate) error {
	ctx := tx.ctx
	states := make([]*switchboard.Call, len(updates))
	last := make(map[string]*switchboard.Call, len(updates)) // each call's state after the batch
	nEvents := 0
	for i, u := range updates {
		c := storedCall(u.Call)
		// The statement compares each call's identity with the stored
		// one's; the states of one call within the batch are compared here.
		if prev := last[c.ID]; prev != nil && !sameIdentity(prev, c) {
			return identityChanged(c.ID)
		}
		states[i], last[c.ID] = c, c
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
	)
	for i, c := range calls {
		ids[i], orgs[i], directions[i], froms[i], tos[i] = c.ID, orgParam(c.OrganizationID), c.Direction, c.FromNumber, c.ToNumber
		numberIDs[i], endpointIDs[i], statuses[i] = c.PhoneNumberID, c.EndpointID, c.Status
		causes[i], bys[i], reasons[i], sipStatuses[i], durations[i] = c.HangupCause, c.HangupBy, c.FailureReason, c.SIPStatus, c.Duration
		sipCallIDs[i], nodes[i], created[i], answered[i], completed[i], updated[i] = c.SIPCallID, c.Node, c.CreatedAt, c.AnsweredAt, c.CompletedAt, c.UpdatedAt
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
	rows, err := tx.Query(ctx, saveCallsSQL, ids, orgs, directions, froms, tos, numberIDs, endpointIDs,
		statuses, causes, bys, reasons, sipStatuses, durations, sipCallIDs, nodes, created, answered, completed, updated,
		evIDs, evCalls, evOrgs, evTypes, evAt, evStatuses, evDetails)
	if err != nil {
		return err
	}
	savedCalls := make(map[string]bool, len(calls))
	wrote := make(map[entryKey]bool, nEvents)
	for rows.Next() {
		var isCall bool
		var k entryKey
		if err := rows.Scan(&isCall, &k.call, &k.id); err != nil {
			rows.Close()
			return err
		}
		if isCall {
			savedCalls[k.call] = true
		} else {
			wrote[k] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(savedCalls) < len(calls) {
		for _, c := range calls {
			if !savedCalls[c.ID] {
				return identityChanged(c.ID)
			}
		}
	}
	emit := make(map[entryKey]bool, len(wrote))
	for i, u := range updates {
		if states[i].OrganizationID == "" {
			continue // a call of no organisation has nobody to tell
		}
		for _, ev := range u.Events {
			if k := (entryKey{ev.CallID, ev.ID}); wrote[k] && switchboard.IsCallEvent(ev.Type) {
				emit[k] = true
			}
		}
	}
	if len(emit) == 0 {
		return nil
	}
	return emitCallEvents(tx, now, updates, states, emit)
}

// emitCallEvents emits the entries named in emit, in batch order. The
// endpoints of the batch's calls are checked in one query first: only a
// webhook-type endpoint of the call's organisation receives events, and
// the calls of most organisations go to agent endpoints, which emit would
// otherwise look up once per event to skip.
func emitCallEvents(tx *txn, now time.Time, updates []switchboard.CallUpdate, states []*switchboard.Call, emit map[entryKey]bool) error {
	type orgEndpoint struct{ org, id string }
	hooks := map[orgEndpoint]bool{}
	var pairOrgs, pairIDs []string
	for i, u := range updates {
		c := states[i]
		if c.EndpointID == nil || !slices.ContainsFunc(u.Events, func(ev *switchboard.CallEvent) bool {
			return emit[entryKey{ev.CallID, ev.ID}] && !ev.SkipEndpoint
		}) {
			continue
		}
		k := orgEndpoint{c.OrganizationID, *c.EndpointID}
		if _, ok := hooks[k]; !ok {
			hooks[k] = false
			pairOrgs, pairIDs = append(pairOrgs, k.org), append(pairIDs, k.id)
		}
	}
	if len(pairIDs) > 0 {
		rows, err := tx.Query(tx.ctx, webhookEndpointsSQL, pairOrgs, pairIDs)
		if err != nil {
			return fmt.Errorf("call endpoints: %w", err)
		}
		for rows.Next() {
			var k orgEndpoint
			if err := rows.Scan(&k.org, &k.id); err != nil {
				rows.Close()
				return fmt.Errorf("call endpoints: %w", err)
			}
			hooks[k] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("call endpoints: %w", err)
		}
	}

	writers := map[string]*switchboard.Outbox{}
	for i, u := range updates {
		c := states[i]
		var data *switchboard.CallEventData // built at the first event emitted
		for _, ev := range u.Events {
			k := entryKey{ev.CallID, ev.ID}
			if !emit[k] {
				continue
			}
			delete(emit, k) // an entry listed twice in the batch is written and emitted once
			w := writers[c.OrganizationID]
			if w == nil {
				w = tx.events(c.OrganizationID, now)
				writers[c.OrganizationID] = w
			}
			if data == nil {
				d := c.EventData()
				data = &d
			}
			var opts switchboard.EmitOptions
			if c.EndpointID != nil && !ev.SkipEndpoint && hooks[orgEndpoint{c.OrganizationID, *c.EndpointID}] {
				opts.EndpointID = *c.EndpointID
			}
			evData := data
			if ev.Data != nil {
				evData = ev.Data // the state this entry was recorded in (merged updates)
			}
			if _, err := w.Emit(tx.ctx, ev.Type, evData, opts); err != nil {
				return fmt.Errorf("call %s: %w", c.ID, err)
			}
		}
	}
	return nil
}

// FindCall returns the organisation's call, or CALL_NOT_FOUND. A call of
// no organisation is found by none.
func (db *Driver) FindCall(ctx context.Context, orgID, id string) (*switchboard.Call, error) {
	if orgID == "" || !storable(orgID) || !switchboard.ValidID(switchboard.PrefixCall, id) {
		return nil, callNotFound(id)
	}
	c, err := scanCall(db.pool.QueryRow(ctx, findCallSQL, orgID, id))
	if isNoRows(err) {
		return nil, callNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("find call %s: %w", id, err)
	}
	return c, nil
}

// ListCalls returns one page of the organisation's calls that match the
// filter, newest first, and their total. From and To bound created_at,
// both inclusive.
func (db *Driver) ListCalls(ctx context.Context, orgID string, f switchboard.CallFilter) ([]*switchboard.Call, int, error) {
	if orgID == "" {
		return nil, 0, nil // the calls of no organisation are listed by none
	}
	for _, s := range []string{orgID, f.Status, f.Direction, f.PhoneNumberID, f.EndpointID} {
		if !storable(s) {
			return nil, 0, nil // no stored text equals it
		}
	}
	var w where
	w.eq("organization_id", orgID)
	if f.Status != "" {
		w.eq("status", f.Status)
	}
	if f.Direction != "" {
		w.eq("direction", f.Direction)
	}
	if f.PhoneNumberID != "" {
		w.eq("phone_number_id", f.PhoneNumberID)
	}
	if f.EndpointID != "" {
		w.eq("endpoint_id", f.EndpointID)
	}
	if !f.From.IsZero() {
		w.add("created_at >= " + w.param(fromBound(f.From)))
	}
	if !f.To.IsZero() {
		w.add("created_at <= " + w.param(ts(f.To)))
	}
	out, total, err := list(ctx, db.pool, callColumns, "calls", w, `created_at DESC, id COLLATE "C" DESC`, f.Page, scanCall)
	if err != nil {
		return nil, 0, fmt.Errorf("list calls: %w", err)
	}
	return out, total, nil
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

// ListCallEvents returns the call's timeline, oldest first, or
// CALL_NOT_FOUND.
func (db *Driver) ListCallEvents(ctx context.Context, orgID, callID string) ([]*switchboard.CallEvent, error) {
	if orgID == "" || !storable(orgID) || !switchboard.ValidID(switchboard.PrefixCall, callID) {
		return nil, callNotFound(callID)
	}
	rows, err := db.pool.Query(ctx, callEventsSQL, orgID, callID)
	if err != nil {
		return nil, fmt.Errorf("list call events %s: %w", callID, err)
	}
	defer rows.Close()
	found := false
	events := []*switchboard.CallEvent{}
	for rows.Next() {
		found = true
		var id, typ, status, detail *string
		var at *time.Time
		if err := rows.Scan(&id, &typ, &at, &status, &detail); err != nil {
			return nil, fmt.Errorf("list call events %s: %w", callID, err)
		}
		if id == nil {
			continue // the call has no entry yet
		}
		events = append(events, &switchboard.CallEvent{ID: *id, CallID: callID, Type: deref(typ),
			Timestamp: *at, Status: deref(status), Detail: deref(detail)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list call events %s: %w", callID, err)
	}
	if !found {
		return nil, callNotFound(callID)
	}
	return events, nil
}

// EndOrphanCalls ends, at now, every call of the node that is not final,
// in one transaction that holds their row locks: an answered call
// completes (system_shutdown, by the system, its duration counted to
// now), any other fails (node_restarted). Each gets a timeline entry and
// its call.completed or call.failed event, as SaveCalls writes them. It
// returns how many calls it ended.
func (db *Driver) EndOrphanCalls(ctx context.Context, node string, now time.Time) (int, error) {
	if !storable(node) {
		return 0, nil // no stored node is named so
	}
	now = ts(now)
	var n int
	err := db.write(ctx, func(tx *txn) error {
		rows, err := tx.Query(ctx, openCallsSQL, node)
		if err != nil {
			return err
		}
		var updates []switchboard.CallUpdate
		for rows.Next() {
			c, err := scanCall(rows)
			if err != nil {
				rows.Close()
				return err
			}
			updates = append(updates, switchboard.CallUpdate{Call: c, Events: []*switchboard.CallEvent{endOrphan(c, now)}})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		n = len(updates)
		if n == 0 {
			return nil
		}
		if err := prepareCallUpdates(updates); err != nil {
			return err
		}
		return saveCalls(tx, db.now(), updates)
	})
	if err != nil {
		return 0, fmt.Errorf("end orphan calls of %s: %w", node, err)
	}
	return n, nil
}

// endOrphan ends the open call c at now and returns its timeline entry.
func endOrphan(c *switchboard.Call, now time.Time) *switchboard.CallEvent {
	c.CompletedAt, c.UpdatedAt = &now, now
	typ := switchboard.EventCallFailed
	if c.AnsweredAt != nil {
		typ = switchboard.EventCallCompleted
		c.Status, c.HangupCause, c.HangupBy = switchboard.CallCompleted, switchboard.HangupShutdown, switchboard.HangupBySystem
		c.Duration = max(0, int(now.Sub(*c.AnsweredAt)/time.Second))
	} else {
		c.Status, c.FailureReason = switchboard.CallFailed, "node_restarted"
	}
	return &switchboard.CallEvent{Type: typ, Timestamp: now, Status: c.Status, Detail: "node_restarted"}
}

// scanCall scans callColumns, then extra.
func scanCall(s scanner, extra ...any) (*switchboard.Call, error) {
	var c switchboard.Call
	var org *string
	dest := append([]any{&c.ID, &org, &c.Direction, &c.FromNumber, &c.ToNumber, &c.PhoneNumberID, &c.EndpointID,
		&c.Status, &c.HangupCause, &c.HangupBy, &c.FailureReason, &c.SIPStatus, &c.Duration, &c.SIPCallID, &c.Node,
		&c.CreatedAt, &c.AnsweredAt, &c.CompletedAt, &c.UpdatedAt}, extra...)
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	c.OrganizationID = deref(org)
	return &c, nil
}
