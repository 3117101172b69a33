package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// The SIP edge saves calls in batches of up to a few hundred updates, at
// thousands of calls a second, so SaveCalls runs each batch in one write
// transaction (one lock, one commit), writes calls and timeline entries
// through statements prepared once on the writer connection (writeStmt),
// and looks each endpoint up once per batch rather than once per event.

// upsertCallSQL inserts a call or, when it exists, replaces every field
// an update can change. The call's identity (organisation, direction,
// numbers, phone number, SIP Call-ID, node, creation time) is set when it
// is first saved and never changes: an update that would change it
// changes nothing (no row affected), and SaveCalls fails it, so a call's
// events never go to another organisation than its record's. Its
// metadata, test mark and raw caller too are kept from the first save
// (left out of the SET). Leaving the identity out of the SET also spares
// SQLite index work: it rewrites an
// index's entries whenever the SET names one of its columns (or of its
// WHERE), changed or not, so an update rewrites calls_org_status,
// calls_org_endpoint and calls_open rather than every index of the table.
//
// It is an UPSERT, never INSERT OR REPLACE, which would delete the row
// and, with it, the call's timeline (ON DELETE CASCADE).
//
// Its VALUES has one parameter per column of switchboard.CallColumns,
// counted, so a column added there cannot leave it short.
var upsertCallSQL = `INSERT INTO calls (` + switchboard.CallColumns + `)
	VALUES (?` + strings.Repeat(", ?", strings.Count(switchboard.CallColumns, ",")) + `)
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

const findCallSQL = `SELECT ` + switchboard.CallColumns + ` FROM calls WHERE organization_id = ? AND id = ?`

// callEventsSQL reads a call's timeline, oldest first. The LEFT JOIN
// answers "no such call" (no row) and "no entry yet" (one row of NULLs)
// in one query.
const callEventsSQL = `SELECT e.id, e.type, e.occurred_at, e.status, e.detail
	FROM calls c LEFT JOIN call_events e ON e.call_id = c.id
	WHERE c.organization_id = ? AND c.id = ?
	ORDER BY e.occurred_at, e.seq`

// openCallsSQL reads a node's calls that are not final. Its condition is
// the partial index calls_open's, so it reads that small index only.
const openCallsSQL = `SELECT ` + switchboard.CallColumns + ` FROM calls
	WHERE node = ? AND status IN ('initiated', 'ringing', 'answered', 'in_progress')
	ORDER BY id`

// callStmts are the statements UpsertCalls runs once per call or entry,
// prepared on the writer connection once the tables exist (Migrate).
var callStmts = []string{upsertCallSQL, insertCallEventSQL}

// stmt returns query as a statement of the transaction: the one prepared
// on the writer connection when there is one, else prepared now.
func (tx *txn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := tx.db.wstmts.Load(query); ok {
		return tx.StmtContext(ctx, s.(*sql.Stmt)), nil
	}
	return tx.PrepareContext(ctx, query)
}

// UpsertCalls writes the batch through the prepared statements, one
// execution per call state and per entry; an entry's RowsAffected says
// whether this write added it.
func (tx *txn) UpsertCalls(ctx context.Context, updates []switchboard.CallUpdate, states []*switchboard.Call) ([]bool, error) {
	upsert, err := tx.stmt(ctx, upsertCallSQL)
	if err != nil {
		return nil, err
	}
	defer upsert.Close()
	insertEvt, err := tx.stmt(ctx, insertCallEventSQL)
	if err != nil {
		return nil, err
	}
	defer insertEvt.Close()
	n := 0
	for _, u := range updates {
		n += len(u.Events)
	}
	written := slices.Grow(tx.written[:0], n)
	var vals []any
	for i, u := range updates {
		c := states[i]
		vals = c.AppendColumnValues(vals[:0], &codec)
		res, err := upsert.ExecContext(ctx, vals...)
		if err != nil {
			return nil, fmt.Errorf("call %s: %w", c.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, fmt.Errorf("call %s: %w", c.ID, err)
		} else if n == 0 {
			return nil, &switchboard.CallIdentityError{CallID: c.ID}
		}
		org := vals[1] // NULL for a call of no organisation
		for _, ev := range u.Events {
			res, err := insertEvt.ExecContext(ctx, ev.ID, c.ID, org, ev.Type, micros(ev.Timestamp), ev.Status, ev.Detail)
			if err != nil {
				return nil, fmt.Errorf("call %s: event %s: %w", c.ID, ev.ID, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return nil, fmt.Errorf("call %s: event %s: %w", c.ID, ev.ID, err)
			}
			written = append(written, n > 0)
		}
	}
	tx.written = written
	return written, nil
}

// WebhookEndpoints looks the batch's endpoints up in one query.
func (tx *txn) WebhookEndpoints(ctx context.Context, refs []switchboard.EndpointRef) ([]bool, error) {
	ids := tx.ids[:0]
	for _, r := range refs {
		ids = append(ids, r.ID)
	}
	tx.ids = ids
	rows, err := tx.QueryContext(ctx, `SELECT organization_id, id FROM endpoints
		WHERE id IN (SELECT value FROM json_each(?)) AND type = ?`, idList(ids), switchboard.EndpointWebhook)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	is := append(tx.hooks[:0], make([]bool, len(refs))...)
	tx.hooks = is
	var org, id string
	for rows.Next() {
		if err := rows.Scan(&org, &id); err != nil {
			return nil, err
		}
		for i, r := range refs { // the endpoint of the call's own organisation
			if r.ID == id && r.OrganizationID == org {
				is[i] = true
			}
		}
	}
	return is, rows.Err()
}

// OpenCalls reads the node's calls that are not final; the single writer
// needs no row lock.
func (tx *txn) OpenCalls(ctx context.Context, node string) ([]*switchboard.Call, error) {
	rows, err := tx.QueryContext(ctx, openCallsSQL, node)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return switchboard.CollectRows(rows, scanCall)
}

// Call reads the organisation's call through a statement prepared once on
// the reader pool.
func (db *Driver) Call(ctx context.Context, orgID, id string) (*switchboard.Call, error) {
	c, err := scanCall(db.queryRow(ctx, findCallSQL, orgID, id))
	return c, noRows(err)
}

// Call reads the organisation's call in the transaction.
func (tx *txn) Call(ctx context.Context, orgID, id string) (*switchboard.Call, error) {
	c, err := scanCall(tx.QueryRowContext(ctx, findCallSQL, orgID, id))
	return c, noRows(err)
}

// ListCalls returns one page of the organisation's calls that match the
// filter, newest first, and their total.
func (db *Driver) ListCalls(ctx context.Context, orgID string, f switchboard.CallFilter) ([]*switchboard.Call, int, error) {
	countSQL, pageSQL, args := listCallsSQL(orgID, f)
	return switchboard.CollectPage(func(each func(scanner, ...any) error) (int, error) {
		return db.page(ctx, countSQL, pageSQL, args, f.Page, each)
	}, codec.ScanCall)
}

// listCallsSQL returns ListCalls' statements, the total's and the page's
// (LIMIT and OFFSET follow it), and the arguments of their WHERE. The
// index study of TestCallStatsScale explains them as they run.
func listCallsSQL(orgID string, f switchboard.CallFilter) (countSQL, pageSQL string, args []any) {
	var w where
	w.eqs(f.Conds(orgID))
	for _, c := range f.Where() {
		w.add(c)
	}
	if !f.From.IsZero() {
		w.add("created_at >= ?", fromBound(f.From))
	}
	if !f.To.IsZero() {
		w.add("created_at <= ?", micros(f.To))
	}
	from := "calls"
	if f.Live {
		// The live calls are a few among the organisation's millions, but
		// SQLite, even with statistics, prefers to read them in list order
		// through calls_org_created and skip the others: a page with fewer
		// than its limit of live calls reads every call of the
		// organisation. Through calls_org_status it reads the live ones
		// and sorts them.
		from = "calls INDEXED BY calls_org_status"
	}
	return `SELECT COUNT(*) FROM ` + from + ` WHERE ` + w.String(),
		`SELECT ` + switchboard.CallColumns + ` FROM ` + from + ` WHERE ` + w.String() + ` ORDER BY created_at DESC, id DESC`,
		w.args
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

// CallEvents reads the call's timeline, oldest first.
func (db *Driver) CallEvents(ctx context.Context, orgID, callID string) ([]*switchboard.CallEvent, error) {
	rows, err := db.reader.QueryContext(ctx, callEventsSQL, orgID, callID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return switchboard.ScanCallTimeline(rows, callID, &codec)
}

// scanCall reads one row of switchboard.CallColumns.
func scanCall(s scanner) (*switchboard.Call, error) { return codec.ScanCall(s) }
