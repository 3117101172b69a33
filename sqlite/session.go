package sqlite

import (
	"context"
	"strings"
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

// SessionByHash reads a live session and its unrevoked key in one
// statement: it runs on every dashboard request.
func (db *Driver) SessionByHash(ctx context.Context, hash string, now time.Time) (*switchboard.Session, *switchboard.APIKey, error) {
	var s switchboard.Session
	var k switchboard.APIKey
	var scopes string
	var created, expires, keyCreated int64
	err := db.queryRow(ctx, `SELECT s.token_hash, s.api_key_id, s.organization_id, s.created_at, s.expires_at,
			k.id, k.organization_id, k.name, k.key_prefix, k.hash, k.scopes, k.live, k.created_at
		FROM ui_sessions s JOIN api_keys k ON k.id = s.api_key_id
		WHERE s.token_hash = ? AND s.expires_at > ? AND k.revoked_at IS NULL`, hash, micros(now)).
		Scan(&s.TokenHash, &s.APIKeyID, &s.OrganizationID, &created, &expires,
			&k.ID, &k.OrganizationID, &k.Name, &k.KeyPrefix, &k.Hash, &scopes, &k.Live, &keyCreated)
	if err != nil {
		return nil, nil, noRows(err)
	}
	s.CreatedAt, s.ExpiresAt, k.CreatedAt = fromMicros(created), fromMicros(expires), fromMicros(keyCreated)
	for sc := range strings.SplitSeq(scopes, ",") {
		if sc != "" {
			k.Scopes = append(k.Scopes, switchboard.Scope(sc))
		}
	}
	return &s, &k, nil
}
