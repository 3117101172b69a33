package sqlite

import (
	"context"
	"errors"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// ClaimIdempotencyKey reads the key's record and, unless it is live,
// writes rec in its place; the single writer makes the two one step.
func (tx *txn) ClaimIdempotencyKey(ctx context.Context, rec *switchboard.IdempotencyRecord, now, expired time.Time) (*switchboard.IdempotencyRecord, error) {
	cur, err := scanIdempotency(tx.QueryRowContext(ctx, `SELECT organization_id, api_key_id, idempotency_key,
		fingerprint, status, body, content_type, created_at
		FROM idempotency_keys WHERE organization_id = ? AND api_key_id = ? AND idempotency_key = ?`,
		rec.OrganizationID, rec.APIKeyID, rec.Key))
	switch {
	case err == nil && cur.CreatedAt.After(expired):
		return cur, nil
	case err != nil && !errors.Is(noRows(err), switchboard.ErrNoRows):
		return nil, err
	}
	// Absent or expired: this request is the first.
	_, err = tx.ExecContext(ctx, `INSERT INTO idempotency_keys
		(organization_id, api_key_id, idempotency_key, fingerprint, status, body, content_type, created_at)
		VALUES (?, ?, ?, ?, 0, NULL, '', ?)
		ON CONFLICT (organization_id, api_key_id, idempotency_key) DO UPDATE SET
		fingerprint = excluded.fingerprint, status = 0, body = NULL, content_type = '', created_at = excluded.created_at`,
		rec.OrganizationID, rec.APIKeyID, rec.Key, rec.Fingerprint, micros(now))
	return nil, err
}

// PurgeIdempotencyKeys deletes up to limit expired records.
func (tx *txn) PurgeIdempotencyKeys(ctx context.Context, expired time.Time, limit int) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys
		WHERE (organization_id, api_key_id, idempotency_key) IN (
			SELECT organization_id, api_key_id, idempotency_key FROM idempotency_keys
			WHERE created_at <= ? LIMIT ?)`,
		micros(expired), limit)
	return err
}

// FinishIdempotent stores the response of the in-flight key.
func (db *Driver) FinishIdempotent(ctx context.Context, rec *switchboard.IdempotencyRecord) (bool, error) {
	var n int64
	err := db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET status = ?, body = ?, content_type = ?
			WHERE organization_id = ? AND api_key_id = ? AND idempotency_key = ? AND status = 0`,
			rec.Status, rec.Body, rec.ContentType, rec.OrganizationID, rec.APIKeyID, rec.Key)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n > 0, err
}

// AbortIdempotent deletes the in-flight key.
func (db *Driver) AbortIdempotent(ctx context.Context, rec *switchboard.IdempotencyRecord) error {
	return db.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys
			WHERE organization_id = ? AND api_key_id = ? AND idempotency_key = ? AND status = 0`,
			rec.OrganizationID, rec.APIKeyID, rec.Key)
		return err
	})
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
