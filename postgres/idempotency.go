package postgres

import (
	"context"
	"time"

	"github.com/switchboard-voice/switchboard"
)

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

// ClaimIdempotencyKey records the key as in flight in one statement unless
// a live record holds it, and then reads that record, which the insert
// locked. Of several requests racing with one key, on any nodes, exactly
// one claims it.
func (t *txn) ClaimIdempotencyKey(ctx context.Context, rec *switchboard.IdempotencyRecord, now, expired time.Time) (*switchboard.IdempotencyRecord, error) {
	for _, s := range []string{rec.OrganizationID, rec.APIKeyID, rec.Key, rec.Fingerprint} {
		if !storable(s) {
			return nil, switchboard.ErrUnstorable
		}
	}
	var started bool
	err := t.QueryRow(ctx, beginIdempotentSQL, rec.OrganizationID, rec.APIKeyID, rec.Key, rec.Fingerprint, ts(now), ts(expired)).Scan(&started)
	if err == nil || !isNoRows(err) {
		return nil, err // absent or expired: this request is the first
	}
	return scanIdempotency(t.QueryRow(ctx, `SELECT `+idempotencyColumns+` FROM idempotency_keys
		WHERE organization_id = $1 AND api_key_id = $2 AND idempotency_key = $3`,
		rec.OrganizationID, rec.APIKeyID, rec.Key))
}

// PurgeIdempotencyKeys deletes up to limit expired records, skipping those
// another transaction holds.
func (t *txn) PurgeIdempotencyKeys(ctx context.Context, expired time.Time, limit int) error {
	_, err := t.Exec(ctx, `DELETE FROM idempotency_keys
		WHERE (organization_id, api_key_id, idempotency_key) IN (
			SELECT organization_id, api_key_id, idempotency_key FROM idempotency_keys
			WHERE created_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, ts(expired), limit)
	return err
}

// FinishIdempotent stores the response of the in-flight key in one
// statement.
func (db *Driver) FinishIdempotent(ctx context.Context, rec *switchboard.IdempotencyRecord) (bool, error) {
	tag, err := db.pool.Exec(ctx, `UPDATE idempotency_keys SET status = $1, body = $2, content_type = $3
		WHERE organization_id = $4 AND api_key_id = $5 AND idempotency_key = $6 AND status = 0`,
		rec.Status, rec.Body, text(rec.ContentType), rec.OrganizationID, rec.APIKeyID, rec.Key)
	return err == nil && tag.RowsAffected() > 0, err
}

// AbortIdempotent deletes the in-flight key in one statement.
func (db *Driver) AbortIdempotent(ctx context.Context, rec *switchboard.IdempotencyRecord) error {
	if !storable(rec.OrganizationID) || !storable(rec.APIKeyID) || !storable(rec.Key) {
		return switchboard.ErrUnstorable
	}
	_, err := db.pool.Exec(ctx, `DELETE FROM idempotency_keys
		WHERE organization_id = $1 AND api_key_id = $2 AND idempotency_key = $3 AND status = 0`,
		rec.OrganizationID, rec.APIKeyID, rec.Key)
	return err
}

func scanIdempotency(s scanner) (*switchboard.IdempotencyRecord, error) {
	var r switchboard.IdempotencyRecord
	err := s.Scan(&r.OrganizationID, &r.APIKeyID, &r.Key, &r.Fingerprint, &r.Status, &r.Body, &r.ContentType, &r.CreatedAt)
	if err != nil {
		return nil, err
	}
	return &r, nil
}
