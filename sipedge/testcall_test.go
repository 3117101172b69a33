package sipedge

import (
	"net"
	"net/netip"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// TestTakeTestCall: a test call's token admits one INVITE, from the
// node's own address only; and the header leaves no INVITE we pass on.
func TestTakeTestCall(t *testing.T) {
	t.Parallel()
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tcp.Close() })
	e := &Edge{tcp: tcp}
	p := &pendingTest{orgID: "org_x", callID: make(chan string, 1)}
	e.tests.Store("tok", p)
	invite := func(token string) *sip.Request {
		req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "+2348030000001", Host: "127.0.0.1"})
		if token != "" {
			req.AppendHeader(sip.NewHeader("x-switchboard-test-call", token))
		}
		return req
	}
	own, outsider := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("192.0.2.7")
	for _, tc := range []struct {
		name  string
		token string
		src   netip.Addr
		want  *pendingTest
	}{
		{"no header", "", own, nil},
		{"a wrong token", "guess", own, nil},
		{"the token from elsewhere", "tok", outsider, nil},
		{"the token from our own address", "tok", own, p},
		{"the token again", "tok", own, nil},
	} {
		if got := e.takeTestCall(invite(tc.token), tc.src); got != tc.want {
			t.Errorf("%s: got %p, want %p", tc.name, got, tc.want)
		}
	}

	req := invite("tok")
	req.AppendHeader(sip.NewHeader("X-SWITCHBOARD-TEST-CALL", "again"))
	req.AppendHeader(sip.NewHeader("X-Other", "kept"))
	stripHeader(req, testCallHeader)
	if req.GetHeader(testCallHeader) != nil || req.GetHeader("X-Other") == nil {
		t.Errorf("after stripHeader:\n%s", req)
	}
}
