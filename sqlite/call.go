package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// The SIP edge saves calls in batches of up to a few hundred updates, at
// thousands of calls a second, so SaveCalls runs each batch in one write
// transaction (one lock, one commit), writes each call's row, timeline
// included, through a statement prepared once on the writer connection
// (writeStmt), and looks each endpoint up once per batch rather than once
// per event.

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
// It is an UPSERT, never INSERT OR REPLACE, which would delete the row and
// insert it again, rewriting every index.
//
// Its VALUES has one parameter per column of switchboard.CallColumns,
// counted, so a column added there cannot leave it short, then the
// timeline's.
var upsertCallSQL = `INSERT INTO calls (` + switchboard.CallColumns + `, timeline)
	VALUES (?` + strings.Repeat(", ?", strings.Count(switchboard.CallColumns, ",")+1) + `)
	ON CONFLICT (id) DO UPDATE SET endpoint_id = excluded.endpoint_id, status = excluded.status, timeline = excluded.timeline,
		hangup_cause = excluded.hangup_cause, hangup_by = excluded.hangup_by,
		failure_reason = excluded.failure_reason, sip_status = excluded.sip_status,
		duration = excluded.duration, answered_at = excluded.answered_at,
		completed_at = excluded.completed_at, updated_at = excluded.updated_at
	WHERE calls.organization_id IS excluded.organization_id AND calls.direction = excluded.direction
		AND calls.from_number = excluded.from_number AND calls.to_number = excluded.to_number
		AND calls.phone_number_id IS excluded.phone_number_id AND calls.sip_call_id = excluded.sip_call_id
		AND calls.node = excluded.node AND calls.created_at = excluded.created_at`

const findCallSQL = `SELECT ` + switchboard.CallColumns + ` FROM calls WHERE organization_id = ? AND id = ?`

// callTimelineSQL reads a call's timeline column.
const callTimelineSQL = `SELECT timeline FROM calls WHERE organization_id = ? AND id = ?`

// openCallsSQL reads a node's calls that are not final. Its condition is
// the partial index calls_open's, so it reads that small index only.
const openCallsSQL = `SELECT ` + switchboard.CallColumns + `, timeline FROM calls
	WHERE node = ? AND status IN ('initiated', 'ringing', 'answered', 'in_progress')
	ORDER BY id`

// callStmts are the statements UpsertCalls runs once per call, prepared
// on the writer connection once the tables exist (Migrate).
var callStmts = []string{upsertCallSQL}

// stmt returns query as a statement of the transaction: the one prepared
// on the writer connection when there is one, else prepared now.
func (tx *txn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := tx.db.wstmts.Load(query); ok {
		return tx.StmtContext(ctx, s.(*sql.Stmt)), nil
	}
	return tx.PrepareContext(ctx, query)
}

// UpsertCalls writes the calls' rows through the prepared statement, one
// execution per call.
func (tx *txn) UpsertCalls(ctx context.Context, calls []*switchboard.Call) error {
	upsert, err := tx.stmt(ctx, upsertCallSQL)
	if err != nil {
		return err
	}
	defer upsert.Close()
	var vals []any
	for _, c := range calls {
		tx.timeline = switchboard.AppendTimeline(tx.timeline[:0], c.Timeline)
		vals = append(c.AppendColumnValues(vals[:0], &codec), string(tx.timeline))
		res, err := upsert.ExecContext(ctx, vals...)
		if err != nil {
			return fmt.Errorf("call %s: %w", c.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("call %s: %w", c.ID, err)
		} else if n == 0 {
			return &switchboard.CallIdentityError{CallID: c.ID}
		}
	}
	return nil
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
	return switchboard.CollectRows(rows, func(s scanner) (*switchboard.Call, error) {
		var tl switchboard.TimelineDest
		c, err := codec.ScanCall(s, &tl)
		if err != nil {
			return nil, err
		}
		return c, tl.Set(c)
	})
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

// CallEvents reads the call's timeline column.
func (db *Driver) CallEvents(ctx context.Context, orgID, callID string) ([]*switchboard.CallEvent, error) {
	var tl switchboard.TimelineDest
	if err := db.queryRow(ctx, callTimelineSQL, orgID, callID).Scan(&tl); err != nil {
		return nil, noRows(err)
	}
	return tl.Events(callID)
}

// scanCall reads one row of switchboard.CallColumns.
func scanCall(s scanner) (*switchboard.Call, error) { return codec.ScanCall(s) }
