package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// The SIP edge saves calls in batches of up to a few hundred updates, at
// thousands of calls a second, so SaveCalls runs each batch in one write
// transaction (one lock, one commit), writes calls and timeline entries
// through statements prepared once on the writer connection (writeStmt),
// and looks each endpoint up once per batch rather than once per event.

const callColumns = `id, organization_id, direction, from_number, to_number, phone_number_id, endpoint_id,
	status, hangup_cause, hangup_by, failure_reason, sip_status, duration, sip_call_id, node,
	created_at, answered_at, completed_at, updated_at`

// upsertCallSQL inserts a call or, when it exists, replaces every field
// an update can change. The call's identity (organisation, direction,
// numbers, phone number, SIP Call-ID, node, creation time) is set when it
// is first saved and never changes: an update that would change it
// changes nothing (no row affected), and SaveCalls fails it, so a call's
// events never go to another organisation than its record's. Leaving the
// identity out of the SET also spares SQLite index work: it rewrites an
// index's entries whenever the SET names one of its columns (or of its
// WHERE), changed or not, so an update rewrites calls_org_status,
// calls_org_endpoint and calls_open rather than every index of the table.
//
// It is an UPSERT, never INSERT OR REPLACE, which would delete the row
// and, with it, the call's timeline (ON DELETE CASCADE).
const upsertCallSQL = `INSERT INTO calls (` + callColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET endpoint_id = excluded.endpoint_id, status = excluded.status,
		hangup_cause = excluded.hangup_cause, hangup_by = excluded.hangup_by,
		failure_reason = excluded.failure_reason, sip_status = excluded.sip_status,
		duration = excluded.duration, answered_at = excluded.answered_at,
		completed_at = excluded.completed_at, updated_at = excluded.updated_at
	WHERE calls.organization_id IS excluded.organization_id AND calls.direction = excluded.direction
		AND calls.from_number = excluded.from_number AND calls.to_number = excluded.to_number
		AND calls.phone_number_id IS excluded.phone_number_id AND calls.sip_call_id = excluded.sip_call_id
		AND calls.node = excluded.node AND calls.created_at = excluded.created_at`

// insertCallEventSQL appends a timeline entry; an entry already written
// (a batch retried after an error that hid its commit) is skipped.
const insertCallEventSQL = `INSERT INTO call_events
	(id, call_id, organization_id, type, occurred_at, status, detail)
	VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (call_id, id) DO NOTHING`

const findCallSQL = `SELECT ` + callColumns + ` FROM calls WHERE organization_id = ? AND id = ?`

// callEventsSQL reads a call's timeline, oldest first. The LEFT JOIN
// answers "no such call" (no row) and "no entry yet" (one row of NULLs)
// in one query.
const callEventsSQL = `SELECT e.id, e.type, e.occurred_at, e.status, e.detail
	FROM calls c LEFT JOIN call_events e ON e.call_id = c.id
	WHERE c.organization_id = ? AND c.id = ?
	ORDER BY e.occurred_at, e.seq`

// openCallsSQL reads a node's calls that are not final. Its condition is
// the partial index calls_open's, so it reads that small index only.
const openCallsSQL = `SELECT ` + callColumns + ` FROM calls
	WHERE node = ? AND status IN ('initiated', 'ringing', 'in_progress')
	ORDER BY id`

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
	if err := switchboard.PrepareCallUpdates(updates); err != nil {
		return fmt.Errorf("save calls: %w", err)
	}
	s, err := db.callSaver(ctx)
	if err != nil {
		return fmt.Errorf("save calls: %w", err)
	}
	err = db.write(ctx, func(tx *txn) error {
		return s.save(tx, db.now(), updates)
	})
	if err != nil {
		return fmt.Errorf("save calls: %w", err)
	}
	return nil
}

// storedCall returns c as it reads back: its times in UTC, truncated to
// microseconds. Events carry this copy, so their data matches FindCall.
func storedCall(c *switchboard.Call) *switchboard.Call {
	n := *c
	n.CreatedAt = n.CreatedAt.UTC().Truncate(time.Microsecond)
	n.UpdatedAt = n.UpdatedAt.UTC().Truncate(time.Microsecond)
	if n.AnsweredAt != nil {
		t := n.AnsweredAt.UTC().Truncate(time.Microsecond)
		n.AnsweredAt = &t
	}
	if n.CompletedAt != nil {
		t := n.CompletedAt.UTC().Truncate(time.Microsecond)
		n.CompletedAt = &t
	}
	return &n
}

// callSaver holds SaveCalls' statements, prepared on the writer
// connection; save runs them in one transaction.
type callSaver struct {
	db                *Driver
	ctx               context.Context
	upsert, insertEvt *sql.Stmt
}

// callSaver prepares the statements, once per DB. It must be called
// before db.write, never inside (see writeStmt).
func (db *Driver) callSaver(ctx context.Context) (*callSaver, error) {
	upsert, err := db.writeStmt(ctx, upsertCallSQL)
	if err != nil {
		return nil, err
	}
	insertEvt, err := db.writeStmt(ctx, insertCallEventSQL)
	if err != nil {
		return nil, err
	}
	return &callSaver{db: db, ctx: ctx, upsert: upsert, insertEvt: insertEvt}, nil
}

// save writes the prepared updates in tx, emitting with one event writer
// per organisation (the batch mixes organisations), stamped now.
func (s *callSaver) save(tx *txn, now time.Time, updates []switchboard.CallUpdate) error {
	ctx := s.ctx
	upsert := tx.StmtContext(ctx, s.upsert)
	defer upsert.Close()
	insertEvt := tx.StmtContext(ctx, s.insertEvt)
	defer insertEvt.Close()
	writers := map[string]*switchboard.Outbox{}
	hooks, err := s.webhookEndpoints(tx, updates)
	if err != nil {
		return err
	}
	for _, u := range updates {
		c := storedCall(u.Call)
		var org any // NULL for a call of no organisation
		if c.OrganizationID != "" {
			org = c.OrganizationID
		}
		res, err := upsert.ExecContext(ctx, c.ID, org, c.Direction, c.FromNumber, c.ToNumber,
			c.PhoneNumberID, c.EndpointID, c.Status, c.HangupCause, c.HangupBy, c.FailureReason,
			c.SIPStatus, c.Duration, c.SIPCallID, c.Node, micros(c.CreatedAt), optMicros(c.AnsweredAt),
			optMicros(c.CompletedAt), micros(c.UpdatedAt))
		if err != nil {
			return fmt.Errorf("call %s: %w", c.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("call %s: %w", c.ID, err)
		} else if n == 0 {
			return identityChanged(c.ID)
		}
		var data *switchboard.CallEventData // built at the first event emitted
		for _, ev := range u.Events {
			res, err := insertEvt.ExecContext(ctx, ev.ID, c.ID, org, ev.Type, micros(ev.Timestamp), ev.Status, ev.Detail)
			if err != nil {
				return fmt.Errorf("call %s: event %s: %w", c.ID, ev.ID, err)
			}
			if c.OrganizationID == "" || !switchboard.IsCallEvent(ev.Type) {
				continue
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("call %s: event %s: %w", c.ID, ev.ID, err)
			} else if n == 0 {
				continue // written, and emitted, by an earlier try of this batch
			}
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
			if _, err := w.Emit(ctx, ev.Type, evData, opts); err != nil {
				return fmt.Errorf("call %s: %w", c.ID, err)
			}
		}
	}
	return nil
}

// identityChanged is the error of an update that would change a call's
// identity.
func identityChanged(id string) error {
	return fmt.Errorf("call %s: an update cannot change a call's organisation, direction, numbers, "+
		"phone number, SIP Call-ID, node or creation time", id)
}

// orgEndpoint is an endpoint ID as a call of the organisation names it.
type orgEndpoint struct{ org, id string }

// webhookEndpoints returns which of the endpoints the batch's calls name
// are webhook-type endpoints of the call's organisation, in one query for
// the batch: only those receive call events, and most calls go to agent
// endpoints, which emit would otherwise look up once per event to skip.
func (s *callSaver) webhookEndpoints(tx *txn, updates []switchboard.CallUpdate) (map[orgEndpoint]bool, error) {
	hooks := map[orgEndpoint]bool{}
	var ids []string
	for _, u := range updates {
		c := u.Call
		if c.EndpointID == nil || c.OrganizationID == "" || !slices.ContainsFunc(u.Events, func(ev *switchboard.CallEvent) bool {
			return switchboard.IsCallEvent(ev.Type) && !ev.SkipEndpoint
		}) {
			continue
		}
		k := orgEndpoint{c.OrganizationID, *c.EndpointID}
		if _, ok := hooks[k]; !ok {
			hooks[k] = false
			ids = append(ids, k.id)
		}
	}
	if len(ids) == 0 {
		return hooks, nil
	}
	rows, err := tx.QueryContext(s.ctx, `SELECT organization_id, id FROM endpoints
		WHERE id IN (SELECT value FROM json_each(?)) AND type = ?`, idList(ids), switchboard.EndpointWebhook)
	if err != nil {
		return nil, fmt.Errorf("call endpoints: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k orgEndpoint
		if err := rows.Scan(&k.org, &k.id); err != nil {
			return nil, fmt.Errorf("call endpoints: %w", err)
		}
		if _, asked := hooks[k]; asked { // the endpoint of the call's own organisation
			hooks[k] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("call endpoints: %w", err)
	}
	return hooks, nil
}

// optMicros returns the column value of an optional time: NULL for nil.
func optMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return micros(*t)
}

// FindCall returns the organisation's call, or CALL_NOT_FOUND. A call of
// no organisation is found by none.
func (db *Driver) FindCall(ctx context.Context, orgID, id string) (*switchboard.Call, error) {
	if orgID == "" {
		return nil, callNotFound(id)
	}
	c, err := lookup(switchboard.PrefixCall, id, callNotFound,
		func() *sql.Row { return db.queryRow(ctx, findCallSQL, orgID, id) }, scanCall)
	if err != nil && switchboard.ErrorCode(err) == switchboard.ECodeInternal {
		return nil, fmt.Errorf("find call %s: %w", id, err)
	}
	return c, err
}

// ListCalls returns one page of the organisation's calls that match the
// filter, newest first, and their total. From and To bound created_at,
// both inclusive.
func (db *Driver) ListCalls(ctx context.Context, orgID string, f switchboard.CallFilter) ([]*switchboard.Call, int, error) {
	if orgID == "" {
		return nil, 0, nil // the calls of no organisation are listed by none
	}
	var w where
	w.add("organization_id = ?", orgID)
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if f.Direction != "" {
		w.add("direction = ?", f.Direction)
	}
	if f.PhoneNumberID != "" {
		w.add("phone_number_id = ?", f.PhoneNumberID)
	}
	if f.EndpointID != "" {
		w.add("endpoint_id = ?", f.EndpointID)
	}
	if !f.From.IsZero() {
		w.add("created_at >= ?", fromBound(f.From))
	}
	if !f.To.IsZero() {
		w.add("created_at <= ?", micros(f.To))
	}
	list, total, err := listPage(ctx, db, `SELECT COUNT(*) FROM calls WHERE `+w.String(),
		`SELECT `+callColumns+` FROM calls WHERE `+w.String()+` ORDER BY created_at DESC, id DESC`,
		w.args, f.Page, scanCall)
	if err != nil {
		return nil, 0, fmt.Errorf("list calls: %w", err)
	}
	return list, total, nil
}

// fromBound returns the first stored microsecond at or after t: a lower
// bound between two microseconds must not take in the earlier one.
func fromBound(t time.Time) int64 {
	us := micros(t)
	if t.Nanosecond()%1000 != 0 {
		us++
	}
	return us
}

// ListCallEvents returns the call's timeline, oldest first, or
// CALL_NOT_FOUND.
func (db *Driver) ListCallEvents(ctx context.Context, orgID, callID string) ([]*switchboard.CallEvent, error) {
	if orgID == "" || !switchboard.ValidID(switchboard.PrefixCall, callID) {
		return nil, callNotFound(callID)
	}
	rows, err := db.reader.QueryContext(ctx, callEventsSQL, orgID, callID)
	if err != nil {
		return nil, fmt.Errorf("list call events %s: %w", callID, err)
	}
	defer rows.Close()
	found := false
	events := []*switchboard.CallEvent{}
	for rows.Next() {
		found = true
		var id, typ, status, detail sql.NullString
		var at sql.NullInt64
		if err := rows.Scan(&id, &typ, &at, &status, &detail); err != nil {
			return nil, fmt.Errorf("list call events %s: %w", callID, err)
		}
		if !id.Valid {
			continue // the call has no entry yet
		}
		events = append(events, &switchboard.CallEvent{ID: id.String, CallID: callID, Type: typ.String,
			Timestamp: fromMicros(at.Int64), Status: status.String, Detail: detail.String})
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
// in one transaction: an answered call completes (system_shutdown, by the
// system, its duration counted to now), any other fails (node_restarted).
// Each gets a timeline entry and its call.completed or call.failed event,
// as SaveCalls writes them. It returns how many calls it ended.
func (db *Driver) EndOrphanCalls(ctx context.Context, node string, now time.Time) (int, error) {
	now = now.UTC().Truncate(time.Microsecond)
	s, err := db.callSaver(ctx)
	if err != nil {
		return 0, fmt.Errorf("end orphan calls of %s: %w", node, err)
	}
	var n int
	err = db.write(ctx, func(tx *txn) error {
		rows, err := tx.QueryContext(ctx, openCallsSQL, node)
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
		if err := switchboard.PrepareCallUpdates(updates); err != nil {
			return err
		}
		n = len(updates)
		return s.save(tx, db.now(), updates)
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

// scanCall reads one row of callColumns.
func scanCall(s scanner) (*switchboard.Call, error) {
	var c switchboard.Call
	var org sql.NullString
	var createdAt, updatedAt int64
	var answeredAt, completedAt sql.NullInt64
	err := s.Scan(&c.ID, &org, &c.Direction, &c.FromNumber, &c.ToNumber, &c.PhoneNumberID, &c.EndpointID,
		&c.Status, &c.HangupCause, &c.HangupBy, &c.FailureReason, &c.SIPStatus, &c.Duration, &c.SIPCallID, &c.Node,
		&createdAt, &answeredAt, &completedAt, &updatedAt)
	if err != nil {
		return nil, err
	}
	c.OrganizationID = org.String
	c.CreatedAt, c.UpdatedAt = fromMicros(createdAt), fromMicros(updatedAt)
	if answeredAt.Valid {
		t := fromMicros(answeredAt.Int64)
		c.AnsweredAt = &t
	}
	if completedAt.Valid {
		t := fromMicros(completedAt.Int64)
		c.CompletedAt = &t
	}
	return &c, nil
}
