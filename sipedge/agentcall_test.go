package sipedge

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// agentRequest is an agent's INVITE to ruriUser from fromUser, with
// extra header lines.
func agentRequest(t *testing.T, ruriUser, fromUser string, extra ...string) *sip.Request {
	t.Helper()
	lines := append([]string{
		"INVITE sip:" + ruriUser + "@sip.switchboard.test SIP/2.0",
		"Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK-1",
		"From: <sip:" + fromUser + "@agent.example>;tag=a1",
		"To: <sip:" + ruriUser + "@sip.switchboard.test>",
		"Call-ID: c1", "CSeq: 2 INVITE", "Max-Forwards: 70",
	}, extra...)
	msg, err := sip.ParseMessage([]byte(strings.Join(append(lines, "Content-Length: 0", "", ""), "\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	return msg.(*sip.Request)
}

// TestCallerIs: the agent calls from its number in From or
// P-Asserted-Identity, with or without +, 00, separators or a tech prefix
// of digits before it; another number is not it.
func TestCallerIs(t *testing.T) {
	t.Parallel()
	const n = "+2348031234567"
	for _, tc := range []struct {
		name, from string
		extra      []string
		country    string
		want       bool
	}{
		{"E.164", n, nil, "", true},
		{"without +", "2348031234567", nil, "", true},
		{"00", "002348031234567", nil, "", true},
		{"separators and user parameters", "+234-803-123-4567;npdi", nil, "", true},
		{"national, in the default country", "08031234567", nil, "NG", true},
		{"a tech prefix", "99#2348031234567", nil, "", false}, // '#' is not a digit: no tech prefix
		{"a digit tech prefix before the digits", "7772348031234567", nil, "", true},
		{"another number", "+2348031234568", nil, "", false},
		{"a suffix of the number only", "8031234567", nil, "", false},
		{"anonymous From, the number in P-Asserted-Identity", "anonymous", []string{"P-Asserted-Identity: <sip:+2348031234567@agent.example>"}, "", true},
		{"tel: P-Asserted-Identity", "anonymous", []string{"P-Asserted-Identity: <tel:2348031234567>"}, "", true},
		{"another number in P-Asserted-Identity", "anonymous", []string{"P-Asserted-Identity: <sip:+2348031234568@agent.example>"}, "", false},
		{"too long a prefix", strings.Repeat("1", maxCallerPrefix+1) + "2348031234567", nil, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := callerIs(agentRequest(t, "+14155550100", tc.from, tc.extra...), n, tc.country); got != tc.want {
				t.Errorf("callerIs(From %q) = %v, want %v", tc.from, got, tc.want)
			}
		})
	}
}

// TestDestinationNumber: the Request-URI user in E.164, or why not.
func TestDestinationNumber(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		user, country, want string
		status              int // 0: a number
	}{
		{"+14155550100", "", "+14155550100", 0},
		{"14155550100", "", "+14155550100", 0},
		{"0014155550100", "", "+14155550100", 0},
		{"+1-415-555-0100;npdi", "", "+14155550100", 0},
		{"08031234567", "NG", "+2348031234567", 0},
		{"12", "", "12", sipAddressIncomplete},
		{"+999", "", "+999", sipAddressIncomplete},
		{"alice", "", "alice", sipNotFound},
		{"", "", "", sipNotFound},
	} {
		got, out := destinationNumber(agentRequest(t, tc.user, "+2348031234567"), tc.country)
		status := 0
		if out != nil {
			status = out.status
		}
		if got != tc.want || status != tc.status {
			t.Errorf("destinationNumber(%q) = %q, %d; want %q, %d", tc.user, got, status, tc.want, tc.status)
		}
	}
}
