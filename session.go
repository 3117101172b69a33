package switchboard

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// SessionTTL is how long a dashboard session lasts from sign-in. It is not
// extended by use: a stolen cookie is worth half a day at most.
const SessionTTL = 12 * time.Hour

// sessionTokenLen is the base62 length of a session token: about 238 bits,
// so, like an API key, a fast hash of it is all the store needs.
const sessionTokenLen = 40

// Session is a dashboard sign-in: the API key it was made with (whose
// scopes and organisation it carries) and when it ends. Only the hash of
// its token is stored; the token itself lives in the browser's cookie.
type Session struct {
	TokenHash      string
	APIKeyID       string
	OrganizationID string
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// SessionService keeps the dashboard's sessions.
type SessionService interface {
	// CreateSession starts a session for key, which the caller has just
	// verified, and returns its token: shown to nobody but the browser,
	// and stored only as a hash.
	CreateSession(ctx context.Context, key *APIKey) (token string, s *Session, err error)
	// FindSession returns the session the token names and its key, or an
	// INVALID_API_KEY error when there is none, it expired, or its key was
	// revoked.
	FindSession(ctx context.Context, token string) (*Session, *APIKey, error)
	// DeleteSession ends the session the token names (signing out); an
	// unknown token is not an error.
	DeleteSession(ctx context.Context, token string) error
}

// sessionPurgeBatch bounds the expired sessions one sign-in deletes.
const sessionPurgeBatch = 100

// errSessionEnded is what FindSession answers for every session that no
// longer works, whatever the reason, so the answer says nothing of which.
func errSessionEnded() error {
	return Errorf(ECodeInvalidAPIKey, "Your session has ended: sign in again.")
}

// CreateSession starts a session for key; a few expired sessions are
// purged in the same transaction, so the table stays near the live ones.
func (s *Service) CreateSession(ctx context.Context, key *APIKey) (string, *Session, error) {
	if key == nil || key.ID == "" || key.OrganizationID == "" {
		return "", nil, errors.New("create session: no key")
	}
	token := RandomBase62(sessionTokenLen)
	now := s.now()
	sess := &Session{
		TokenHash: HashSessionToken(token), APIKeyID: key.ID, OrganizationID: key.OrganizationID,
		CreatedAt: now, ExpiresAt: now.Add(SessionTTL),
	}
	err := s.d.Write(ctx, func(tx Tx) error {
		if err := tx.InsertSession(ctx, sess); err != nil {
			return err
		}
		return tx.PurgeSessions(ctx, now, sessionPurgeBatch)
	})
	if err != nil {
		return "", nil, fmt.Errorf("create session: %w", err)
	}
	return token, sess, nil
}

// FindSession returns the live session of token and its key in one
// lookup: the store reads the key with the session, so a key that is
// revoked or expires ends its sessions at their next request.
func (s *Service) FindSession(ctx context.Context, token string) (*Session, *APIKey, error) {
	if len(token) != sessionTokenLen {
		return nil, nil, errSessionEnded() // not one of ours: no lookup
	}
	now := s.now()
	sess, key, err := s.d.SessionByHash(ctx, HashSessionToken(token), now)
	if errors.Is(err, ErrNoRows) {
		return nil, nil, errSessionEnded()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("find session: %w", err)
	}
	if key.CheckUsable(now) != nil {
		return nil, nil, errSessionEnded()
	}
	return sess, key, nil
}

// DeleteSession ends the session of token.
func (s *Service) DeleteSession(ctx context.Context, token string) error {
	if len(token) != sessionTokenLen {
		return nil
	}
	err := s.d.Write(ctx, func(tx Tx) error { return tx.DeleteSession(ctx, HashSessionToken(token)) })
	if err != nil && !errors.Is(err, ErrUnstorable) {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// HashSessionToken returns what the store keeps of a session token: its
// SHA-256, as for API keys (HashAPIKey), for the same reason.
func HashSessionToken(token string) string { return HashAPIKey(token) }
