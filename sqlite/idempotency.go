package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/switchboard-voice/switchboard"
)

// purgeBatch bounds the expired keys one BeginIdempotent deletes, so the
// table stays near a day of keys without any request paying for a big purge.
const purgeBatch = 100

// BeginIdempotent records rec as in flight and returns (nil, true), or, when
// a live record already holds the key, returns it and false. A record older
// than switchboard.IdempotencyTTL is replaced. rec.CreatedAt is set.
func (db *Driver) BeginIdempotent(ctx context.Context, rec *switchboard.IdempotencyRecord) (*switchboard.IdempotencyRecord, bool, error) {
	now := db.now()
	var existing *switchboard.IdempotencyRecord
	err := db.write(ctx, func(tx *txn) error {
		cur, err := scanIdempotency(tx.QueryRowContext(ctx, `SELECT organization_id, api_key_id, idempotency_key,
			fingerprint, status, body, content_type, created_at
			FROM idempotency_keys WHERE organization_id = ? AND api_key_id = ? AND idempotency_key = ?`,
			rec.OrganizationID, rec.APIKeyID, rec.Key))
		switch {
		case err == nil && now.Before(cur.CreatedAt.Add(switchboard.IdempotencyTTL)):
			existing = cur
			return nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		// Absent or expired: this request is the first.
		_, err = tx.ExecContext(ctx, `INSERT INTO idempotency_keys
			(organization_id, api_key_id, idempotency_key, fingerprint, status, body, content_type, created_at)
			VALUES (?, ?, ?, ?, 0, NULL, '', ?)
			ON CONFLICT (organization_id, api_key_id, idempotency_key) DO UPDATE SET
			fingerprint = excluded.fingerprint, status = 0, body = NULL, content_type = '', created_at = excluded.created_at`,
			rec.OrganizationID, rec.APIKeyID, rec.Key, rec.Fingerprint, micros(now))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM idempotency_keys
			WHERE (organization_id, api_key_id, idempotency_key) IN (
				SELECT organization_id, api_key_id, idempotency_key FROM idempotency_keys
				WHERE created_at <= ? LIMIT ?)`,
			micros(now.Add(-switchboard.IdempotencyTTL)), purgeBatch)
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
	err := db.write(ctx, func(tx *txn) error {
		body := rec.Body
		if body == nil {
			body = []byte{} // a finished record has a body, if an empty one
		}
		res, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET status = ?, body = ?, content_type = ?
			WHERE organization_id = ? AND api_key_id = ? AND idempotency_key = ? AND status = 0`,
			rec.Status, body, rec.ContentType, rec.OrganizationID, rec.APIKeyID, rec.Key)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err == nil && n == 0 {
			err = errors.New("no request in flight for the key")
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("finish idempotency key %q: %w", rec.Key, err)
	}
	return nil
}

// AbortIdempotent forgets an in-flight key so the client may retry. A
// finished record is kept: its response is still the one to replay.
func (db *Driver) AbortIdempotent(ctx context.Context, rec *switchboard.IdempotencyRecord) error {
	err := db.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys
			WHERE organization_id = ? AND api_key_id = ? AND idempotency_key = ? AND status = 0`,
			rec.OrganizationID, rec.APIKeyID, rec.Key)
		return err
	})
	if err != nil {
		return fmt.Errorf("abort idempotency key %q: %w", rec.Key, err)
	}
	return nil
}

func scanIdempotency(s scanner) (*switchboard.IdempotencyRecord, error) {
	var r switchboard.IdempotencyRecord
	var createdAt int64
	err := s.Scan(&r.OrganizationID, &r.APIKeyID, &r.Key, &r.Fingerprint, &r.Status, &r.Body, &r.ContentType, &createdAt)
	if err != nil {
		return nil, err
	}
	r.CreatedAt = fromMicros(createdAt)
	return &r, nil
}
