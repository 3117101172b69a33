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

// sessionByHashSQL reads a live session and its key in one statement: the
// session's columns are renamed in a derived table, so the key's columns
// are named as APIKeyColumns names them.
const sessionByHashSQL = `SELECT ` + switchboard.APIKeyColumns + `, s_created, s_expires
	FROM api_keys, (SELECT api_key_id AS s_key, created_at AS s_created, expires_at AS s_expires
		FROM ui_sessions WHERE token_hash = $1 AND expires_at > $2) AS s
	WHERE id = s_key`

// SessionByHash reads a live session and its key: it runs on every
// dashboard request.
func (db *Driver) SessionByHash(ctx context.Context, hash string, now time.Time) (*switchboard.Session, *switchboard.APIKey, error) {
	if !storable(hash) {
		return nil, nil, switchboard.ErrNoRows
	}
	s := switchboard.Session{TokenHash: hash}
	k, err := codec.ScanAPIKey(db.pool.QueryRow(ctx, sessionByHashSQL, hash, ts(now)),
		codec.TimeDest(&s.CreatedAt), codec.TimeDest(&s.ExpiresAt))
	if err != nil {
		return nil, nil, noRows(err)
	}
	s.APIKeyID, s.OrganizationID = k.ID, k.OrganizationID
	return &s, k, nil
}
