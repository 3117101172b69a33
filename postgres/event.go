package postgres

import (
	"context"

	"github.com/switchboard-voice/switchboard"
)

// eventColumns are the columns of an event row, in scanEvent's order.
const eventColumns = `seq, id, organization_id, type, created_at, data::text`

func scanEvent(s scanner, extra ...any) (*switchboard.Event, error) {
	var e switchboard.Event
	var data string
	if err := s.Scan(append([]any{&e.Seq, &e.ID, &e.OrganizationID, &e.Type, &e.Timestamp, &data}, extra...)...); err != nil {
		return nil, err
	}
	e.Timestamp = e.Timestamp.UTC()
	e.Data = []byte(data)
	return &e, nil
}

// ListEvents returns one page of the organisation's events that match the
// filter, newest first, and their total.
func (db *Driver) ListEvents(ctx context.Context, orgID string, f switchboard.EventFilter) ([]*switchboard.Event, int, error) {
	if !storable(orgID) {
		return nil, 0, nil
	}
	var w where
	w.eq("organization_id", orgID)
	if c := switchboard.EventTypeWhere("type", f.Types); c != "" {
		w.add(c)
	}
	if !f.Since.IsZero() {
		w.add("created_at >= " + w.param(fromBound(f.Since)))
	}
	return switchboard.CollectPage(func(each func(scanner, ...any) error) (int, error) {
		return page(ctx, db.pool, eventColumns, "events", w, `created_at DESC, id DESC`, f.Page, each)
	}, scanEvent)
}

// Event reads the organisation's event.
func (db *Driver) Event(ctx context.Context, orgID, id string) (*switchboard.Event, error) {
	if !storable(orgID) || !storable(id) {
		return nil, switchboard.ErrNoRows
	}
	e, err := scanEvent(db.pool.QueryRow(ctx, `SELECT `+eventColumns+` FROM events WHERE organization_id = $1 AND id = $2`, orgID, id))
	return e, noRows(err)
}

// EventsAfter reads the organisation's events after a position, oldest
// first, over events_org_seq. Positions are the organisation's own, so
// reading on from the last event skips nothing and reads nothing twice.
func (db *Driver) EventsAfter(ctx context.Context, orgID string, after int64, limit int) ([]*switchboard.Event, int64, error) {
	if !storable(orgID) {
		return nil, after, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT `+eventColumns+` FROM events
		WHERE organization_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, orgID, after, limit)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	evs, err := switchboard.CollectRows(rows, func(s switchboard.Scanner) (*switchboard.Event, error) { return scanEvent(s) })
	if err != nil || len(evs) == 0 {
		return evs, after, err
	}
	return evs, evs[len(evs)-1].Seq, nil
}

// LastEvent reads the organisation's event at its last position, over
// events_org_seq.
func (db *Driver) LastEvent(ctx context.Context, orgID string) (*switchboard.Event, error) {
	if !storable(orgID) {
		return nil, switchboard.ErrNoRows
	}
	e, err := scanEvent(db.pool.QueryRow(ctx, `SELECT `+eventColumns+` FROM events
		WHERE organization_id = $1 ORDER BY seq DESC LIMIT 1`, orgID))
	return e, noRows(err)
}
