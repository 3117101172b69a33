package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/switchboard-voice/switchboard"
)

const endpointColumns = `id, organization_id, name, type, url, status, provider_config, secret,
	headers, ring_timeout, sip_username, sip_password, created_at, updated_at`

const findEndpointSQL = `SELECT ` + endpointColumns + ` FROM endpoints WHERE organization_id = ? AND id = ?`

func endpointNotFound(id string) error {
	return switchboard.Errorf(switchboard.ECodeEndpointNotFound, "Endpoint %s not found.", id)
}

// CreateEndpoint stores e for the organisation, setting its ID,
// OrganizationID, CreatedAt and UpdatedAt, and emits endpoint.created. e
// must already be valid.
func (db *DB) CreateEndpoint(ctx context.Context, orgID string, e *switchboard.Endpoint) error {
	e.ID = switchboard.NewID(switchboard.PrefixEndpoint)
	e.OrganizationID = orgID
	e.CreatedAt = db.now()
	e.UpdatedAt = e.CreatedAt
	cols, err := endpointValues(e)
	if err != nil {
		return fmt.Errorf("create endpoint: %w", err)
	}
	err = db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO endpoints (`+endpointColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append([]any{e.ID, e.OrganizationID}, cols...)...)
		if err != nil {
			return err
		}
		_, err = db.events(ctx, tx, orgID, e.CreatedAt).emit(switchboard.EventEndpointCreated, e.EventView(), switchboard.EmitOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("create endpoint: %w", err)
	}
	db.changed(orgID)
	return nil
}

// FindEndpoint returns the organisation's endpoint, or ENDPOINT_NOT_FOUND.
// It runs on every call and most API requests: one primary-key lookup
// through a prepared statement on the reader pool.
func (db *DB) FindEndpoint(ctx context.Context, orgID, id string) (*switchboard.Endpoint, error) {
	e, err := lookup(switchboard.PrefixEndpoint, id, endpointNotFound,
		func() *sql.Row { return db.queryRow(ctx, findEndpointSQL, orgID, id) }, scanEndpoint)
	if err != nil && switchboard.ErrorCode(err) == switchboard.ECodeInternal {
		return nil, fmt.Errorf("find endpoint %s: %w", id, err)
	}
	return e, err
}

// findEndpoint is FindEndpoint inside a write transaction.
func findEndpoint(ctx context.Context, q querier, orgID, id string) (*switchboard.Endpoint, error) {
	return lookup(switchboard.PrefixEndpoint, id, endpointNotFound,
		func() *sql.Row { return q.QueryRowContext(ctx, findEndpointSQL, orgID, id) }, scanEndpoint)
}

// checkEndpoint answers ENDPOINT_NOT_FOUND unless the organisation owns the
// endpoint; numbers may only point at their own organisation's endpoints.
func checkEndpoint(ctx context.Context, q querier, orgID, id string) error {
	if !switchboard.ValidID(switchboard.PrefixEndpoint, id) {
		return endpointNotFound(id)
	}
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM endpoints WHERE organization_id = ? AND id = ?`, orgID, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return endpointNotFound(id)
	}
	return err
}

// ListEndpoints returns one page of the organisation's endpoints, newest
// first, and the total that match the filter.
func (db *DB) ListEndpoints(ctx context.Context, orgID string, f switchboard.EndpointFilter) ([]*switchboard.Endpoint, int, error) {
	var w where
	w.add("organization_id = ?", orgID)
	if f.Type != "" {
		w.add("type = ?", f.Type)
	}
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	list, total, err := listPage(ctx, db, `SELECT COUNT(*) FROM endpoints WHERE `+w.String(),
		`SELECT `+endpointColumns+` FROM endpoints WHERE `+w.String()+` ORDER BY created_at DESC, id DESC`,
		w.args, f.Page, scanEndpoint)
	if err != nil {
		return nil, 0, fmt.Errorf("list endpoints: %w", err)
	}
	return list, total, nil
}

// UpdateEndpoint reads the endpoint, calls fn with it and stores what fn
// returns, all in one write transaction so concurrent updates cannot lose
// each other's changes. The ID, organisation and CreatedAt are kept whatever
// fn returns; UpdatedAt is set from the clock. It emits endpoint.updated.
// fn must not call the store.
func (db *DB) UpdateEndpoint(ctx context.Context, orgID, id string, fn func(*switchboard.Endpoint) (*switchboard.Endpoint, error)) (*switchboard.Endpoint, error) {
	if !switchboard.ValidID(switchboard.PrefixEndpoint, id) {
		return nil, endpointNotFound(id) // without taking the write lock
	}
	var out *switchboard.Endpoint
	err := db.write(ctx, func(tx *sql.Tx) error {
		cur, err := findEndpoint(ctx, tx, orgID, id)
		if err != nil {
			return err
		}
		next, err := fn(cur)
		if err != nil {
			return err
		}
		if next == nil {
			return errors.New("update function returned no endpoint")
		}
		n := *next
		n.ID, n.OrganizationID, n.CreatedAt = cur.ID, cur.OrganizationID, cur.CreatedAt
		n.UpdatedAt = db.now()
		cols, err := endpointValues(&n)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE endpoints SET name = ?, type = ?, url = ?, status = ?,
			provider_config = ?, secret = ?, headers = ?, ring_timeout = ?, sip_username = ?, sip_password = ?,
			created_at = ?, updated_at = ?
			WHERE organization_id = ? AND id = ?`, append(cols, n.OrganizationID, n.ID)...)
		if err != nil {
			return err
		}
		_, err = db.events(ctx, tx, orgID, n.UpdatedAt).emit(switchboard.EventEndpointUpdated, n.EventView(), switchboard.EmitOptions{})
		out = &n
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update endpoint %s: %w", id, err)
	}
	db.changed(orgID)
	return out, nil
}

// DeleteEndpoint deletes the endpoint and, in the same transaction,
// detaches every number that pointed at it as primary or fallback, and
// returns how many numbers it detached. Such numbers stay held and answer
// unrouted until re-attached. It emits endpoint.deleted, with the endpoint
// as it was, and phone_number.updated for each detached number.
func (db *DB) DeleteEndpoint(ctx context.Context, orgID, id string) (int, error) {
	if !switchboard.ValidID(switchboard.PrefixEndpoint, id) {
		return 0, endpointNotFound(id)
	}
	var detached int
	err := db.write(ctx, func(tx *sql.Tx) error {
		ep, err := findEndpoint(ctx, tx, orgID, id)
		if err != nil {
			return err
		}
		now := db.now()
		// Detach first: deleting first would let ON DELETE SET NULL do it
		// silently, without bumping the numbers' updated_at or telling us which.
		rows, err := tx.QueryContext(ctx, `UPDATE phone_numbers SET
			endpoint_id = CASE WHEN endpoint_id = ?1 THEN NULL ELSE endpoint_id END,
			fallback_endpoint_id = CASE WHEN fallback_endpoint_id = ?1 THEN NULL ELSE fallback_endpoint_id END,
			updated_at = ?2
			WHERE organization_id = ?3 AND (endpoint_id = ?1 OR fallback_endpoint_id = ?1)
			RETURNING id`,
			id, micros(now), orgID)
		if err != nil {
			return err
		}
		var numIDs []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return err
			}
			numIDs = append(numIDs, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM endpoints WHERE organization_id = ? AND id = ?`, orgID, id); err != nil {
			return err
		}
		events := db.events(ctx, tx, orgID, now)
		if _, err := events.emit(switchboard.EventEndpointDeleted, ep.EventView(), switchboard.EmitOptions{}); err != nil {
			return err
		}
		nums, err := findPhoneNumbers(ctx, tx, orgID, numIDs)
		if err != nil {
			return err
		}
		for _, pn := range nums {
			if _, err := events.emit(switchboard.EventPhoneNumberUpdated, pn, switchboard.EmitOptions{}); err != nil {
				return err
			}
		}
		detached = len(numIDs)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete endpoint %s: %w", id, err)
	}
	db.changed(orgID)
	return detached, nil
}

// endpointValues returns the columns of e after id and organization_id, in
// endpointColumns order, with the JSON and optional columns encoded.
func endpointValues(e *switchboard.Endpoint) ([]any, error) {
	var pc, headers, user, pass any // nil is NULL
	if e.ProviderConfig != nil {
		b, err := json.Marshal(e.ProviderConfig)
		if err != nil {
			return nil, err
		}
		pc = string(b)
	}
	if e.Headers != nil {
		b, err := json.Marshal(e.Headers)
		if err != nil {
			return nil, err
		}
		headers = string(b)
	}
	if c := e.Credentials; c != nil {
		user, pass = c.Username, c.Password
	}
	return []any{e.Name, e.Type, e.URL, e.Status, pc, e.Secret, headers, e.RingTimeout,
		user, pass, micros(e.CreatedAt), micros(e.UpdatedAt)}, nil
}

func scanEndpoint(s scanner) (*switchboard.Endpoint, error) {
	var e switchboard.Endpoint
	var pc, headers, user, pass sql.NullString
	var createdAt, updatedAt int64
	err := s.Scan(&e.ID, &e.OrganizationID, &e.Name, &e.Type, &e.URL, &e.Status, &pc, &e.Secret,
		&headers, &e.RingTimeout, &user, &pass, &createdAt, &updatedAt)
	if err != nil {
		return nil, err
	}
	if pc.Valid {
		e.ProviderConfig = new(switchboard.ProviderConfig)
		if err := json.Unmarshal([]byte(pc.String), e.ProviderConfig); err != nil {
			return nil, fmt.Errorf("endpoint %s: provider_config: %w", e.ID, err)
		}
	}
	if headers.Valid {
		if err := json.Unmarshal([]byte(headers.String), &e.Headers); err != nil {
			return nil, fmt.Errorf("endpoint %s: headers: %w", e.ID, err)
		}
	}
	if user.Valid {
		e.Credentials = &switchboard.SIPCredentials{Username: user.String, Password: pass.String}
	}
	e.CreatedAt, e.UpdatedAt = fromMicros(createdAt), fromMicros(updatedAt)
	return &e, nil
}
