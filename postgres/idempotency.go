package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboard-voice/switchboard"
)

// purgeBatch bounds the expired keys one BeginIdempotent deletes, so the
// table stays near a day of keys without any request paying for a big purge.
const purgeBatch = 100

const idempotencyColumns = `organization_id, api_key_id, idempotency_key, fingerprint, status, body, content_type, created_at`

// beginIdempotentSQL records the key as in flight unless a live record
// holds it ($6 is the time before which records have expired). An expired
// record is replaced. A conflicting row is locked even when it is live and
// left alone, so the read that follows returns it as it is.
const beginIdempotentSQL = `INSERT INTO idempotency_keys (` + idempotencyColumns + `)
	VALUES ($1, $2, $3, $4, 0, NULL, '', $5)
	ON CONFLICT (organization_id, api_key_id, idempotency_key) DO UPDATE SET
		fingerprint = excluded.fingerprint, status = 0, body = NULL, content_type = '', created_at = excluded.created_at
		WHERE idempotency_keys.created_at <= $6
	RETURNING true`

// BeginIdempotent records rec as in flight and returns (nil, true), or, when
// a live record already holds the key, returns it and false. A record older
// than switchboard.IdempotencyTTL is replaced. rec.CreatedAt is set. Of
// several requests racing with one key, on any nodes, exactly one starts.
func (db *Driver) BeginIdempotent(ctx context.Context, rec *switchboard.IdempotencyRecord) (*switchboard.IdempotencyRecord, bool, error) {
	for _, s := range []string{rec.OrganizationID, rec.APIKeyID, rec.Key, rec.Fingerprint} {
		if !storable(s) {
			return nil, false, switchboard.FieldError("Idempotency-Key", "Idempotency-Key must be text")
		}
	}
	now := db.now()
	expired := now.Add(-switchboard.IdempotencyTTL)
	var existing *switchboard.IdempotencyRecord
	err := db.write(ctx, func(tx *txn) error {
		existing = nil
		var started bool
		err := tx.QueryRow(ctx, beginIdempotentSQL, rec.OrganizationID, rec.APIKeyID, rec.Key, rec.Fingerprint, now, expired).Scan(&started)
		switch {
		case err == nil: // absent or expired: this request is the first
			_, err = tx.Exec(ctx, `DELETE FROM idempotency_keys
				WHERE (organization_id, api_key_id, idempotency_key) IN (
					SELECT organization_id, api_key_id, idempotency_key FROM idempotency_keys
					WHERE created_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, expired, purgeBatch)
			return err
		case !isNoRows(err):
			return err
		}
		// A live record holds the key; the insert locked it.
		existing, err = scanIdempotency(tx.QueryRow(ctx, `SELECT `+idempotencyColumns+` FROM idempotency_keys
			WHERE organization_id = $1 AND api_key_id = $2 AND idempotency_key = $3`,
			rec.OrganizationID, rec.APIKeyID, rec.Key))
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("begin idempotency key %q: %w", rec.Key, err)
	}
	if existing != nil {
		return existing, false, nil
	}
	rec.Status, rec.Body, rec.ContentType, rec.CreatedAt = 0, nil, "", now
	return nil, true, nil
}

// FinishIdempotent stores the response of the request begun for the key.
// It is an error when no request is in flight for it.
func (db *Driver) FinishIdempotent(ctx context.Context, rec *switchboard.IdempotencyRecord) error {
	body := rec.Body
	if body == nil {
		body = []byte{} // a finished record has a body, if an empty one
	}
	tag, err := db.pool.Exec(ctx, `UPDATE idempotency_keys SET status = $1, body = $2, content_type = $3
		WHERE organization_id = $4 AND api_key_id = $5 AND idempotency_key = $6 AND status = 0`,
		rec.Status, body, text(rec.ContentType), rec.OrganizationID, rec.APIKeyID, rec.Key)
	if err == nil && tag.RowsAffected() == 0 {
		err = errors.New("no request in flight for the key")
	}
	if err != nil {
		return fmt.Errorf("finish idempotency key %q: %w", rec.Key, err)
	}
	return nil
}

// AbortIdempotent forgets an in-flight key so the client may retry. A
// finished record is kept: its response is still the one to replay.
func (db *Driver) AbortIdempotent(ctx context.Context, rec *switchboard.IdempotencyRecord) error {
	if !storable(rec.OrganizationID) || !storable(rec.APIKeyID) || !storable(rec.Key) {
		return nil // BeginIdempotent refused it: nothing is in flight
	}
	_, err := db.pool.Exec(ctx, `DELETE FROM idempotency_keys
		WHERE organization_id = $1 AND api_key_id = $2 AND idempotency_key = $3 AND status = 0`,
		rec.OrganizationID, rec.APIKeyID, rec.Key)
	if err != nil {
		return fmt.Errorf("abort idempotency key %q: %w", rec.Key, err)
	}
	return nil
}

func scanIdempotency(s scanner) (*switchboard.IdempotencyRecord, error) {
	var r switchboard.IdempotencyRecord
	err := s.Scan(&r.OrganizationID, &r.APIKeyID, &r.Key, &r.Fingerprint, &r.Status, &r.Body, &r.ContentType, &r.CreatedAt)
	if err != nil {
		return nil, err
	}
	return &r, nil
}
