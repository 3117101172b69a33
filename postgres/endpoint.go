package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/switchboard-voice/switchboard"
)

const endpointColumns = `id, organization_id, name, type, url, status, provider_config, secret,
	headers, ring_timeout, sip_username, sip_password, created_at, updated_at`

const findEndpointSQL = `SELECT ` + endpointColumns + ` FROM endpoints WHERE organization_id = $1 AND id = $2`

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
	err = db.write(ctx, func(tx *txn) error {
		_, err := tx.Exec(ctx, `INSERT INTO endpoints (`+endpointColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			append([]any{e.ID, e.OrganizationID}, cols...)...)
		if err != nil {
			return err
		}
		if err := tx.notifyChange(orgID); err != nil {
			return err
		}
		_, err = tx.events(orgID, e.CreatedAt).emit(switchboard.EventEndpointCreated, e.EventView(), switchboard.EmitOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("create endpoint: %w", err)
	}
	return nil
}

// FindEndpoint returns the organisation's endpoint, or ENDPOINT_NOT_FOUND.
func (db *DB) FindEndpoint(ctx context.Context, orgID, id string) (*switchboard.Endpoint, error) {
	e, err := findEndpoint(ctx, db.pool, orgID, id, "")
	if err != nil {
		return nil, fmt.Errorf("find endpoint %s: %w", id, err)
	}
	return e, nil
}

// findEndpoint reads the organisation's endpoint, with the row lock lock
// ("" for none, or a locking clause such as FOR UPDATE).
func findEndpoint(ctx context.Context, q querier, orgID, id, lock string) (*switchboard.Endpoint, error) {
	if !switchboard.ValidID(switchboard.PrefixEndpoint, id) {
		return nil, endpointNotFound(id)
	}
	e, err := scanEndpoint(q.QueryRow(ctx, findEndpointSQL+` `+lock, orgID, id))
	if isNoRows(err) {
		return nil, endpointNotFound(id)
	}
	return e, err
}

// checkEndpoint answers ENDPOINT_NOT_FOUND unless the organisation owns the
// endpoint; numbers may only point at their own organisation's endpoints.
// It takes a key-share lock on the endpoint until the transaction ends, so
// a concurrent DeleteEndpoint waits for the number that will point at the
// endpoint to be committed, and then detaches it.
func checkEndpoint(ctx context.Context, q querier, orgID, id string) error {
	if !switchboard.ValidID(switchboard.PrefixEndpoint, id) {
		return endpointNotFound(id)
	}
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM endpoints WHERE organization_id = $1 AND id = $2 FOR KEY SHARE`, orgID, id).Scan(&one)
	if isNoRows(err) {
		return endpointNotFound(id)
	}
	return err
}

// ListEndpoints returns one page of the organisation's endpoints, newest
// first, and the total that match the filter.
func (db *DB) ListEndpoints(ctx context.Context, orgID string, f switchboard.EndpointFilter) ([]*switchboard.Endpoint, int, error) {
	var w where
	w.eq("organization_id", orgID)
	if f.Type != "" {
		w.eq("type", f.Type)
	}
	if f.Status != "" {
		w.eq("status", f.Status)
	}
	out, total, err := list(ctx, db.pool, endpointColumns, "endpoints", w, `created_at DESC, id COLLATE "C" DESC`, f.Page, scanEndpoint)
	if err != nil {
		return nil, 0, fmt.Errorf("list endpoints: %w", err)
	}
	return out, total, nil
}

// UpdateEndpoint reads the endpoint, calls fn with it and stores what fn
// returns, all in one transaction that holds the endpoint's row lock, so
// concurrent updates, on any node, cannot lose each other's changes. The
// ID, organisation and CreatedAt are kept whatever fn returns; UpdatedAt is
// set from the clock. It emits endpoint.updated. fn must not call the
// store, and may be called again if PostgreSQL aborts the transaction to
// break a deadlock.
func (db *DB) UpdateEndpoint(ctx context.Context, orgID, id string, fn func(*switchboard.Endpoint) (*switchboard.Endpoint, error)) (*switchboard.Endpoint, error) {
	if !switchboard.ValidID(switchboard.PrefixEndpoint, id) {
		return nil, endpointNotFound(id)
	}
	var out *switchboard.Endpoint
	err := db.write(ctx, func(tx *txn) error {
		// NO KEY UPDATE: the ID stays, so claims that attach numbers to the
		// endpoint (checkEndpoint's KEY SHARE) need not wait.
		cur, err := findEndpoint(ctx, tx, orgID, id, "FOR NO KEY UPDATE")
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
		_, err = tx.Exec(ctx, `UPDATE endpoints SET name = $1, type = $2, url = $3, status = $4,
			provider_config = $5, secret = $6, headers = $7, ring_timeout = $8, sip_username = $9, sip_password = $10,
			created_at = $11, updated_at = $12
			WHERE organization_id = $13 AND id = $14`, append(cols, n.OrganizationID, n.ID)...)
		if err != nil {
			return err
		}
		if err := tx.notifyChange(orgID); err != nil {
			return err
		}
		_, err = tx.events(orgID, n.UpdatedAt).emit(switchboard.EventEndpointUpdated, n.EventView(), switchboard.EmitOptions{})
		out = &n
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update endpoint %s: %w", id, err)
	}
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
	err := db.write(ctx, func(tx *txn) error {
		// The endpoint's lock first, as every transaction that touches an
		// endpoint and numbers takes them, so that none deadlock; it also
		// waits for claims and updates attaching numbers to it (checkEndpoint).
		ep, err := findEndpoint(ctx, tx, orgID, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		// Then the numbers that point at it, in ID order. No number can
		// start pointing at it now that its lock is held, and the time of
		// the change is read only once every row it changes is locked, so
		// a number's updated_at and events never go back in time.
		rows, err := tx.Query(ctx, `SELECT id FROM phone_numbers
			WHERE organization_id = $1 AND (endpoint_id = $2 OR fallback_endpoint_id = $2)
			ORDER BY id COLLATE "C" FOR UPDATE`, orgID, id)
		if err != nil {
			return err
		}
		numIDs, err := collectStrings(rows)
		if err != nil {
			return err
		}
		now := db.now()
		// Detach first: deleting first would let ON DELETE SET NULL do it
		// silently, without bumping the numbers' updated_at or telling us which.
		if len(numIDs) > 0 {
			_, err = tx.Exec(ctx, `UPDATE phone_numbers SET
				endpoint_id = CASE WHEN endpoint_id = $1 THEN NULL ELSE endpoint_id END,
				fallback_endpoint_id = CASE WHEN fallback_endpoint_id = $1 THEN NULL ELSE fallback_endpoint_id END,
				updated_at = $2
				WHERE organization_id = $3 AND id = ANY($4)`, id, now, orgID, numIDs)
			if err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM endpoints WHERE organization_id = $1 AND id = $2`, orgID, id); err != nil {
			return err
		}
		if err := tx.notifyChange(orgID); err != nil {
			return err
		}
		events := tx.events(orgID, now)
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
		user, pass, ts(e.CreatedAt), ts(e.UpdatedAt)}, nil
}

// scanEndpoint scans endpointColumns, then extra.
func scanEndpoint(s scanner, extra ...any) (*switchboard.Endpoint, error) {
	var e switchboard.Endpoint
	var pc, headers []byte
	var user, pass *string
	dest := append([]any{&e.ID, &e.OrganizationID, &e.Name, &e.Type, &e.URL, &e.Status, &pc, &e.Secret,
		&headers, &e.RingTimeout, &user, &pass, &e.CreatedAt, &e.UpdatedAt}, extra...)
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	if pc != nil {
		e.ProviderConfig = new(switchboard.ProviderConfig)
		if err := json.Unmarshal(pc, e.ProviderConfig); err != nil {
			return nil, fmt.Errorf("endpoint %s: provider_config: %w", e.ID, err)
		}
	}
	if headers != nil {
		if err := json.Unmarshal(headers, &e.Headers); err != nil {
			return nil, fmt.Errorf("endpoint %s: headers: %w", e.ID, err)
		}
	}
	if user != nil {
		e.Credentials = &switchboard.SIPCredentials{Username: *user}
		if pass != nil {
			e.Credentials.Password = *pass
		}
	}
	return &e, nil
}
