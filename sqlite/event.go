package sqlite

import (
	"context"
	"database/sql"

	"github.com/switchboard-voice/switchboard"
)

// The event log reads the events table. An event's position in its
// organisation's log (switchboard.Event.Seq) is its rowid: the one writer
// inserts rows in commit order and a new rowid is above every other. A
// VACUUM may renumber rowids, in order; a stream resumes from an event's
// ID, whose current rowid it reads again, so only a stream open across a
// VACUUM could notice.

// eventColumns are the columns of an event row, in scanEvent's order.
const eventColumns = `rowid, id, organization_id, type, created_at, data`

func scanEvent(s scanner) (*switchboard.Event, error) {
	var e switchboard.Event
	var data string
	if err := s.Scan(&e.Seq, &e.ID, &e.OrganizationID, &e.Type, codec.TimeDest(&e.Timestamp), &data); err != nil {
		return nil, err
	}
	e.Data = []byte(data)
	return &e, nil
}

// ListEvents returns one page of the organisation's events that match the
// filter, newest first, and their total.
func (db *Driver) ListEvents(ctx context.Context, orgID string, f switchboard.EventFilter) ([]*switchboard.Event, int, error) {
	var w where
	w.add("organization_id = ?", orgID)
	if c := switchboard.EventTypeWhere("type", f.Types); c != "" {
		w.add(c)
	}
	if !f.Since.IsZero() {
		w.add("created_at >= ?", fromBound(f.Since))
	}
	return switchboard.CollectPage(func(each func(scanner, ...any) error) (int, error) {
		return db.page(ctx, `SELECT COUNT(*) FROM events WHERE `+w.String(),
			`SELECT `+eventColumns+` FROM events WHERE `+w.String()+` ORDER BY created_at DESC, id DESC`,
			w.args, f.Page, each)
	}, func(s scanner, _ ...any) (*switchboard.Event, error) { return scanEvent(s) })
}

// Event reads the organisation's event.
func (db *Driver) Event(ctx context.Context, orgID, id string) (*switchboard.Event, error) {
	e, err := scanEvent(db.reader.QueryRowContext(ctx,
		`SELECT `+eventColumns+` FROM events WHERE organization_id = ? AND id = ?`, orgID, id))
	return e, noRows(err)
}

// EventsAfter reads the organisation's events after a position, oldest
// first, by a range of rowids: a stream asks for the few newest rows, and
// the index by organisation would read all of the organisation's (the +
// keeps the planner off it). When fewer than limit come back, it goes on
// from the newest rowid of all, read in the same snapshot.
func (db *Driver) EventsAfter(ctx context.Context, orgID string, after int64, limit int) ([]*switchboard.Event, int64, error) {
	var evs []*switchboard.Event
	next := after
	err := db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+eventColumns+` FROM events
			WHERE rowid > ? AND +organization_id = ? ORDER BY rowid LIMIT ?`, after, orgID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		if evs, err = switchboard.CollectRows(rows, scanEvent); err != nil {
			return err
		}
		if len(evs) == limit {
			next = evs[len(evs)-1].Seq
			return nil
		}
		return tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(rowid), ?) FROM events`, after).Scan(&next)
	})
	return evs, max(next, after), err
}

// LastEvent reads the organisation's newest event by creation time, over
// events_org_created, and among events of the same time (a transaction
// stamps all its events with one time) the last written. The one writer
// stamps events with its clock in commit order, so that is also the
// newest rowid unless the clock went back; then a stream starting from it
// sends a few events written just before it opened, never misses one.
func (db *Driver) LastEvent(ctx context.Context, orgID string) (*switchboard.Event, error) {
	e, err := scanEvent(db.reader.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events
		WHERE organization_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1`, orgID))
	return e, noRows(err)
}
