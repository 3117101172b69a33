package postgres

import (
	"context"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// InsertSession stores a dashboard session.
func (t *txn) InsertSession(ctx context.Context, s *switchboard.Session) error {
	_, err := t.Exec(ctx, `INSERT INTO ui_sessions
		(token_hash, api_key_id, organization_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		s.TokenHash, s.APIKeyID, s.OrganizationID, ts(s.CreatedAt), ts(s.ExpiresAt))
	return err
}

// DeleteSession deletes the session with this token hash.
func (t *txn) DeleteSession(ctx context.Context, hash string) error {
	if !storable(hash) {
		return nil // no stored hash has such text
	}
	_, err := t.Exec(ctx, `DELETE FROM ui_sessions WHERE token_hash = $1`, hash)
	return err
}

// PurgeSessions deletes up to limit expired sessions, skipping those
// another transaction holds.
func (t *txn) PurgeSessions(ctx context.Context, now time.Time, limit int) error {
	_, err := t.Exec(ctx, `DELETE FROM ui_sessions WHERE token_hash IN (
		SELECT token_hash FROM ui_sessions WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, ts(now), limit)
	return err
}

// SessionByHash reads a live session and its unrevoked key in one
// statement: it runs on every dashboard request.
func (db *Driver) SessionByHash(ctx context.Context, hash string, now time.Time) (*switchboard.Session, *switchboard.APIKey, error) {
	if !storable(hash) {
		return nil, nil, switchboard.ErrNoRows
	}
	var s switchboard.Session
	var k switchboard.APIKey
	var scopes []string
	err := db.pool.QueryRow(ctx, `SELECT s.token_hash, s.api_key_id, s.organization_id, s.created_at, s.expires_at,
			k.id, k.organization_id, k.name, k.key_prefix, k.hash, k.scopes, k.live, k.created_at
		FROM ui_sessions s JOIN api_keys k ON k.id = s.api_key_id
		WHERE s.token_hash = $1 AND s.expires_at > $2 AND k.revoked_at IS NULL`, hash, ts(now)).
		Scan(&s.TokenHash, &s.APIKeyID, &s.OrganizationID, &s.CreatedAt, &s.ExpiresAt,
			&k.ID, &k.OrganizationID, &k.Name, &k.KeyPrefix, &k.Hash, &scopes, &k.Live, &k.CreatedAt)
	if err != nil {
		return nil, nil, noRows(err)
	}
	for _, sc := range scopes {
		if sc != "" {
			k.Scopes = append(k.Scopes, switchboard.Scope(sc))
		}
	}
	return &s, &k, nil
}
