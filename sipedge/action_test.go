package sipedge

import (
	"strings"
	"testing"
)

func TestParseAction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		wantErr    string
		check      func(t *testing.T, a action)
	}{
		{name: "dial", body: `{"action":"dial","targets":[{"uri":"sip:+15551234567@agent.example.com;transport=tcp","headers":{"X-B":"2","X-A":"1"}}]}`,
			check: func(t *testing.T, a action) {
				if a.kind != actionDial || len(a.targets) != 1 || a.targets[0].uri.Host != "agent.example.com" {
					t.Errorf("got %+v", a)
				}
				if h := a.targets[0].headers; len(h) != 2 || h[0][0] != "X-A" {
					t.Errorf("headers not sorted: %v", h)
				}
			}},
		{name: "reject", body: `{"action":"reject","status":486}`,
			check: func(t *testing.T, a action) {
				if a.kind != actionReject || a.status != 486 {
					t.Errorf("got %+v", a)
				}
			}},
		{name: "reject 200", body: `{"action":"reject","status":200}`, wantErr: "not a SIP failure"},
		{name: "unknown action", body: `{"action":"play"}`, wantErr: "unknown action"},
		{name: "not json", body: `<Response/>`, wantErr: "not a JSON object"},
		{name: "no targets", body: `{"action":"dial","targets":[]}`, wantErr: "1 to 5 targets"},
		{name: "too many targets", body: `{"action":"dial","targets":[{"uri":"sip:a@b"},{"uri":"sip:a@b"},{"uri":"sip:a@b"},{"uri":"sip:a@b"},{"uri":"sip:a@b"},{"uri":"sip:a@b"}]}`, wantErr: "1 to 5 targets"},
		{name: "http uri", body: `{"action":"dial","targets":[{"uri":"http://x"}]}`, wantErr: "targets[0].uri"},
		{name: "crlf in value", body: `{"action":"dial","targets":[{"uri":"sip:a@b","headers":{"X-A":"1\r\nVia: evil"}}]}`, wantErr: "on one line"},
		{name: "non X header", body: `{"action":"dial","targets":[{"uri":"sip:a@b","headers":{"Via":"1"}}]}`, wantErr: "must start with X-"},
		{name: "bad header name", body: `{"action":"dial","targets":[{"uri":"sip:a@b","headers":{"X-A B":"1"}}]}`, wantErr: "be a SIP token"},
		{name: "reserved header", body: `{"action":"dial","targets":[{"uri":"sip:a@b","headers":{"X-Switchboard-Call-Id":"forged"}}]}`, wantErr: "reserved"},
		{name: "huge", body: `{"action":"dial","x":"` + strings.Repeat("a", maxActionBody) + `"}`, wantErr: "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := parseAction([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, a)
		})
	}
}

// FuzzParseAction feeds hostile webhook replies: parseAction must never
// panic, and whatever it accepts must be safe to put into SIP.
func FuzzParseAction(f *testing.F) {
	f.Add([]byte(`{"action":"dial","targets":[{"uri":"sip:+15551234567@a.example;transport=tcp","headers":{"X-A":"1"}}]}`))
	f.Add([]byte(`{"action":"reject","status":603}`))
	f.Add([]byte(`{"action":"dial","targets":[{"uri":"sips:[::1]:5061"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := parseAction(body)
		if err != nil {
			return
		}
		for _, tg := range a.targets {
			s := tg.uri.String()
			if strings.ContainsAny(s, "\r\n <>\"") {
				t.Fatalf("accepted URI %q would break SIP", s)
			}
			for _, h := range tg.headers {
				if strings.ContainsAny(h[0]+h[1], "\r\n") {
					t.Fatalf("accepted header %q", h)
				}
			}
		}
		if a.kind == actionReject && (a.status < 400 || a.status > 699) {
			t.Fatalf("accepted reject status %d", a.status)
		}
	})
}

// FuzzNormalizeUser feeds hostile Request-URI users: no panic, and what
// comes out is E.164.
func FuzzNormalizeUser(f *testing.F) {
	for _, s := range []string{"+2348031234567", "08031234567;npdi", "0044 20 7946 0018", "(415) 555-2671", "", "+", "00"} {
		f.Add(s, "NG")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, user, country string) {
		n, err := normalizeUser(user, country)
		if err != nil {
			return
		}
		if !plainE164(n) {
			t.Fatalf("normalizeUser(%q, %q) = %q, not E.164", user, country, n)
		}
	})
}

func TestNormalizeUser(t *testing.T) {
	t.Parallel()
	tests := []struct {
		user, country, want string
	}{
		{"+2348031234567", "", "+2348031234567"},
		{"2348031234567", "", "+2348031234567"},             // international without its +
		{"08031234567", "NG", "+2348031234567"},             // national, --sip-default-country NG
		{"08031234567;npdi;rn=123", "NG", "+2348031234567"}, // user parameters dropped
		{"00234-803-123-4567", "", "+2348031234567"},        // 00 prefix and separators
		{"(415) 555-2671", "US", "+14155552671"},
		{"alice", "", ""},
		{"", "NG", ""},
	}
	for _, tt := range tests {
		got, err := normalizeUser(tt.user, tt.country)
		if tt.want == "" {
			if err == nil {
				t.Errorf("normalizeUser(%q, %q) = %q, want an error", tt.user, tt.country, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("normalizeUser(%q, %q) = %q, %v; want %q", tt.user, tt.country, got, err, tt.want)
		}
	}
}
