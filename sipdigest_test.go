package switchboard

import "testing"

// The vectors are the users of RFC 2617 §3.5 and RFC 7616 §3.9.1; their
// HA1s give the RFCs' responses (checked end to end in sipedge's
// authserver tests). The RFC 2617 MD5 HA1 is the one the RFC's example
// response is computed from.
func TestHA1(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, user, realm, password string
		md5, sha256                 string
	}{
		{"RFC 2617 §3.5", "Mufasa", "testrealm@host.com", "Circle Of Life",
			"939e7578ed9e3c518a452acee763bce9",
			"3ba6cd94661c5ef34598040c868f13b8775df29109986be50ad35ae537dd3aa4"},
		{"RFC 7616 §3.9.1", "Mufasa", "http-auth@example.org", "Circle of Life",
			"3d78807defe7de2157e2b0b6573a855f",
			"7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232"},
		{"SIP user", "alice", "switchboard.test", "s3cret",
			"928ae6db53ba5496b1e572193bfd7ed4",
			"379d125b168071b146ff528c414de75a1026b758887919514198c11da9312e0f"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gotMD5, gotSHA := HA1MD5(tc.user, tc.realm, tc.password), HA1SHA256(tc.user, tc.realm, tc.password)
			if gotMD5 != tc.md5 {
				t.Errorf("HA1MD5 = %s, want %s", gotMD5, tc.md5)
			}
			if gotSHA != tc.sha256 {
				t.Errorf("HA1SHA256 = %s, want %s", gotSHA, tc.sha256)
			}
		})
	}
}
