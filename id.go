package switchboard

import (
	"crypto/rand"
	"strings"
	"time"
)

// ID prefixes. IDs are opaque strings: a prefix naming the kind of object
// followed by random base62 characters.
const (
	PrefixOrg       = "org_"
	PrefixAPIKey    = "key_"
	PrefixEndpoint  = "ep_"
	PrefixNumber    = "pn_"
	PrefixInventory = "inv_"
	PrefixCall      = "call_"
	PrefixCallEvent = "cev_"
	PrefixEvent     = "evt_"
	PrefixWebhook   = "wh_"
	PrefixDelivery  = "whd_"
	PrefixRequest   = "req_"
	PrefixTrunk     = "trk_"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// An ID is idTimeLen base62 digits of the Unix time in milliseconds, then
// idRandLen random ones (about 77 bits: unguessable, and collision-free
// within a millisecond). The time comes first so that IDs made one after
// another sort together: rows inserted under them land on the same
// B-tree pages instead of random ones, which is most of the cost of
// writing call records and deliveries at thousands per second.
const (
	idTimeLen = 7 // 62^7 ms is about 111 years from 1970
	idRandLen = 13
)

// NewID returns a new ID with the given prefix.
func NewID(prefix string) string {
	var b [idTimeLen + idRandLen]byte
	ms := uint64(time.Now().UnixMilli())
	for i := idTimeLen - 1; i >= 0; i-- {
		b[i] = base62[ms%62]
		ms /= 62
	}
	copy(b[idTimeLen:], RandomBase62(idRandLen))
	return prefix + string(b[:])
}

// RandomBase62 returns n characters drawn uniformly from [0-9A-Za-z].
func RandomBase62(n int) string {
	out := make([]byte, n)
	buf := make([]byte, n+n/2+8)
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			panic("crypto/rand failed: " + err.Error()) // the OS RNG never fails on supported platforms
		}
		for _, b := range buf {
			// Rejection sampling keeps the distribution uniform: 248 = 4*62.
			if b >= 248 {
				continue
			}
			out[i] = base62[b%62]
			i++
			if i == n {
				break
			}
		}
	}
	return string(out)
}

// ValidID reports whether s looks like an ID of the kind named by prefix.
// Stores use it to answer "not found" for an ID of the wrong kind without a
// lookup, so a mistyped ID is a 404 and never a 500.
func ValidID(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) == 0 || len(rest) > 64 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
			return false
		}
	}
	return true
}
