package switchboard

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
)

// HA1MD5 is the SIP digest secret of user in realm for the MD5 algorithm
// (RFC 7616 §3.4.2: MD5(user:realm:password), lower-case hex). A node
// stores credentials only as such hashes: they verify a digest answer
// without the password, and are worthless in another realm.
func HA1MD5(user, realm, password string) string {
	sum := md5.Sum([]byte(user + ":" + realm + ":" + password))
	return hex.EncodeToString(sum[:])
}

// HA1SHA256 is HA1MD5 for the SHA-256 algorithm (RFC 7616), which clients
// that support it prefer.
func HA1SHA256(user, realm, password string) string {
	sum := sha256.Sum256([]byte(user + ":" + realm + ":" + password))
	return hex.EncodeToString(sum[:])
}
