package switchboard

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"
)

// NumberSIPCredentials are the digest credentials an agent provider (ElevenLabs,
// Vapi, Retell, LiveKit) uses to place calls from a number through this
// node, configured in the provider as a SIP trunk. Username and Password
// answer the digest challenge of realm Domain.
type NumberSIPCredentials struct {
	// Username is generated, not the number: a number is public, and a
	// username that can be guessed from it gives a password guesser half
	// the pair.
	Username string `json:"username"`
	// Domain is the node's advertised SIP host, the address the provider
	// sends INVITEs to and the digest realm. The store does not keep it;
	// the API fills it in (events carry the username alone).
	Domain string `json:"domain,omitempty"`
	// Transports are the SIP transports the node listens on; the API
	// fills them in.
	Transports []string `json:"transports,omitempty"`
	// Password is set only in the answer to a claim or a rotation: the
	// store keeps the digest hashes alone.
	Password string `json:"password,omitempty"`
}

// SIPSecret is what a store keeps of a number's SIP credentials: the
// username and the two HA1 hashes (HA1MD5, HA1SHA256) of
// username:realm:password.
type SIPSecret struct {
	Username, HA1MD5, HA1SHA256 string
}

// newSIPCredentials makes a fresh password for user in realm, and the
// secret to store. A new username (user "") is "sb" and 16 base32
// characters (80 random bits), so a collision on the UNIQUE column is not a
// case worth retrying; the password is rand.Text: 26 URL-safe characters
// (130 bits).
func newSIPCredentials(realm, user string) (*NumberSIPCredentials, SIPSecret) {
	if user == "" {
		user = "sb" + strings.ToLower(rand.Text()[:16])
	}
	pass := rand.Text()
	return &NumberSIPCredentials{Username: user, Domain: realm, Password: pass},
		SIPSecret{Username: user, HA1MD5: HA1MD5(user, realm, pass), HA1SHA256: HA1SHA256(user, realm, pass)}
}

// setSIPCredentials gives the organisation's number a fresh password of
// user (a new username when "") in realm at now, replacing both hashes at
// once, and returns the credentials with the password.
func (c *change) setSIPCredentials(ctx context.Context, orgID, id, realm, user string, now time.Time) (*NumberSIPCredentials, error) {
	creds, secret := newSIPCredentials(realm, user)
	if err := c.SetSIPCredentials(ctx, orgID, id, secret, now); err != nil {
		return nil, fmt.Errorf("set SIP credentials: %w", err)
	}
	return creds, nil
}

// withPassword returns pn with the password of creds, for the one answer
// that shows it (the events of the change were emitted without it).
func withPassword(pn *PhoneNumber, creds *NumberSIPCredentials) *PhoneNumber {
	out := *pn
	out.SIPCredentials = creds
	return &out
}

// RotateSIPCredentials gives the organisation's number a new password of
// realm (the node's SIP domain), replacing both stored hashes, and returns
// the number with the password, shown this once. The username stays, so a
// provider's trunk needs only the new password; a number claimed before
// numbers had credentials gets its first ones, username included. It
// emits phone_number.updated, without the password.
func (s *Service) RotateSIPCredentials(ctx context.Context, orgID, id, realm string) (*PhoneNumber, error) {
	if !ValidID(PrefixNumber, id) {
		return nil, numberNotFound(id)
	}
	if realm == "" || !storable(realm) {
		return nil, FieldError("domain", "the node has no SIP domain to issue credentials for")
	}
	var pn *PhoneNumber
	var creds *NumberSIPCredentials
	err := s.write(ctx, orgID, func(c *change) error {
		cur, err := c.phoneNumber(ctx, orgID, id, LockUpdate)
		if err != nil {
			return err
		}
		user := ""
		if cur.SIPCredentials != nil {
			user = cur.SIPCredentials.Username
		}
		now := s.now()
		c.at(now)
		if creds, err = c.setSIPCredentials(ctx, orgID, id, realm, user, now); err != nil {
			return err
		}
		// The number as stored now, without reading it again: the row
		// lock kept the rest of it as cur read it.
		cur.SIPCredentials = &NumberSIPCredentials{Username: creds.Username}
		cur.UpdatedAt = now
		pn = cur
		return c.emit(ctx, EventPhoneNumberUpdated, pn)
	})
	if err != nil {
		return nil, fmt.Errorf("rotate SIP credentials of %s: %w", id, err)
	}
	return withPassword(pn, creds), nil
}

// SIPCredentials returns the number whose credentials have this username,
// and their stored hashes, for the SIP edge to verify a digest answer; it
// fails with ErrNoRows for an unknown username.
func (s *Service) SIPCredentials(ctx context.Context, username string) (orgID, phoneNumberID, ha1md5, ha1sha256 string, err error) {
	if username == "" || !storable(username) {
		return "", "", "", "", ErrNoRows
	}
	orgID, phoneNumberID, ha1md5, ha1sha256, err = s.d.SIPCredentials(ctx, username)
	if err != nil && !errors.Is(err, ErrNoRows) {
		err = fmt.Errorf("SIP credentials of %s: %w", username, err)
	}
	return orgID, phoneNumberID, ha1md5, ha1sha256, err
}
