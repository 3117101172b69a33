package sqlite

import (
	"context"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// InsertSession stores a dashboard session.
func (tx *txn) InsertSession(ctx context.Context, s *switchboard.Session) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO ui_sessions
		(token_hash, api_key_id, organization_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		s.TokenHash, s.APIKeyID, s.OrganizationID, micros(s.CreatedAt), micros(s.ExpiresAt))
	return err
}

// DeleteSession deletes the session with this token hash.
func (tx *txn) DeleteSession(ctx context.Context, hash string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM ui_sessions WHERE token_hash = ?`, hash)
	return err
}

// PurgeSessions deletes up to limit expired sessions.
func (tx *txn) PurgeSessions(ctx context.Context, now time.Time, limit int) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM ui_sessions WHERE token_hash IN (
		SELECT token_hash FROM ui_sessions WHERE expires_at <= ? LIMIT ?)`, micros(now), limit)
	return err
}

// sessionByHashSQL reads a live session and its key in one statement: the
// session's columns are renamed in a derived table, so the key's columns
// are named as APIKeyColumns names them.
const sessionByHashSQL = `SELECT ` + switchboard.APIKeyColumns + `, s_created, s_expires
	FROM api_keys, (SELECT api_key_id AS s_key, created_at AS s_created, expires_at AS s_expires
		FROM ui_sessions WHERE token_hash = ? AND expires_at > ?) AS s
	WHERE id = s_key`

// SessionByHash reads a live session and its key: it runs on every
// dashboard request.
func (db *Driver) SessionByHash(ctx context.Context, hash string, now time.Time) (*switchboard.Session, *switchboard.APIKey, error) {
	s := switchboard.Session{TokenHash: hash}
	k, err := codec.ScanAPIKey(db.queryRow(ctx, sessionByHashSQL, hash, micros(now)),
		codec.TimeDest(&s.CreatedAt), codec.TimeDest(&s.ExpiresAt))
	if err != nil {
		return nil, nil, noRows(err)
	}
	s.APIKeyID, s.OrganizationID = k.ID, k.OrganizationID
	return &s, k, nil
}
