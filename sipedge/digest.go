package sipedge

import (
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/switchboard-voice/switchboard"
)

// withDigest returns the INVITE req again with credentials answering the
// agent's 401/407 challenge res (a new transaction: CSeq + 1, new branch).
func withDigest(req *sip.Request, res *sip.Response, cred *switchboard.SIPCredentials) (*sip.Request, error) {
	challengeHdr, authHdr := "WWW-Authenticate", "Authorization"
	if res.StatusCode == 407 {
		challengeHdr, authHdr = "Proxy-Authenticate", "Proxy-Authorization"
	}
	h := res.GetHeader(challengeHdr)
	if h == nil {
		return nil, errMissing(challengeHdr)
	}
	chal, err := digest.ParseChallenge(h.Value())
	if err != nil {
		return nil, err
	}
	resp, err := digest.Digest(chal, digest.Options{
		Method: "INVITE", URI: req.Recipient.Addr(), Username: cred.Username, Password: cred.Password,
	})
	if err != nil {
		return nil, err
	}
	next := req.Clone()
	next.RemoveHeader("Via")
	next.RemoveHeader(authHdr)
	next.CSeq().SeqNo++
	next.AppendHeader(sip.NewHeader(authHdr, resp.String()))
	return next, nil
}

type errMissing string

func (e errMissing) Error() string { return "challenge without " + string(e) + " header" }
