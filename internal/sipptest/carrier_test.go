package sipptest

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// goUAC places calls to the carrier scenarios as Switchboard will in an
// API-originated call: a sipgo dialog UAC, INVITE without SDP. It also
// listens at its Contact, so a scenario's BYE is answered.
type goUAC struct {
	t *testing.T
	d *sipgo.DialogUA
}

// answerSDP is the agent's answer the ACK carries.
const answerSDP = "v=0\r\no=agent 1 1 IN IP4 127.0.0.102\r\ns=-\r\nc=IN IP4 127.0.0.102\r\nt=0 0\r\nm=audio 50000 RTP/AVP 0\r\na=sendrecv\r\n"

func startGoUAC(t *testing.T, ip string) *goUAC {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("go-uac"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	conn, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	go srv.ServeUDP(conn)
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname(ip))
	if err != nil {
		t.Fatal(err)
	}
	port := conn.LocalAddr().(*net.UDPAddr).Port
	return &goUAC{t: t, d: &sipgo.DialogUA{Client: cli,
		ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "switchboard", Host: ip, Port: port}}}}
}

// invite calls called at addr without SDP, answering a 401/407 with
// username and password if given, and waits for the final response: the
// dialog when answered, else the error (a *sipgo.ErrDialogResponse for a
// final status).
func (u *goUAC) invite(ctx context.Context, addr, username, password string) (*sipgo.DialogClientSession, error) {
	u.t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	sess, err := u.d.Invite(ctx, sip.Uri{Scheme: "sip", User: called, Host: host, Port: p}, nil)
	if err != nil {
		return nil, err
	}
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{Username: username, Password: password}); err != nil {
		sess.Close()
		return nil, err
	}
	return sess, nil
}

// ack acknowledges the 200 of sess, with body (an SDP answer) if not nil.
func ack(ctx context.Context, sess *sipgo.DialogClientSession, body []byte) error {
	if body == nil {
		return sess.Ack(ctx)
	}
	req := sip.NewRequest(sip.ACK, sess.InviteResponse.Contact().Address)
	req.SetBody(body)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	return sess.WriteAck(ctx, req)
}

// TestCarrierLateOffer: the late-offer carrier takes an INVITE without
// SDP, offers in its 200, and passes the call only if the ACK answers.
func TestCarrierLateOffer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		ip      string
		ackBody []byte
		ok      bool
	}{
		{"ACK with the answer", "127.0.0.103", []byte(answerSDP), true},
		{"ACK without SDP", "127.0.0.104", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			carrier := StartUAS(t, UASOptions{Scenario: "uas_carrier_late_offer", IP: agentIP, Calls: 1})
			uac := startGoUAC(t, tc.ip)
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			sess, err := uac.invite(ctx, carrier.Addr(), "", "")
			if err != nil {
				t.Fatalf("INVITE: %v", err)
			}
			defer sess.Close()
			if ct := sess.InviteResponse.ContentType(); ct == nil || ct.Value() != "application/sdp" || !strings.Contains(string(sess.InviteResponse.Body()), "m=audio ") {
				t.Fatalf("200 without an SDP offer:\n%s", sess.InviteResponse)
			}
			if err := ack(ctx, sess, tc.ackBody); err != nil {
				t.Fatalf("ACK: %v", err)
			}
			if tc.ok {
				if err := sess.Bye(ctx); err != nil {
					t.Fatalf("BYE: %v", err)
				}
			}
			got := carrier.Wait(waitAgent)
			if !tc.ok {
				got.ExpectCalls(t, 0, 1)
				only(t, "BYEs sent by the carrier", got.filter(true, func(m Message) bool { return m.Method == "BYE" }))
				return
			}
			got.ExpectCalls(t, 1, 0)
			inv := only(t, "INVITEs at the carrier", got.Requests("INVITE"))
			if inv.Body != "" {
				t.Errorf("INVITE body %q, want none", inv.Body)
			}
		})
	}

	t.Run("INVITE with SDP", func(t *testing.T) {
		t.Parallel()
		carrier := StartUAS(t, UASOptions{Scenario: "uas_carrier_late_offer", IP: agentIP, Calls: 1})
		got := RunUAC(t, UACOptions{Scenario: "uac_expect", Target: carrier.Addr(), IP: carrierIP, Rows: oneRow, Vars: map[string]string{"status": "488"}})
		got.ExpectCalls(t, 1, 0)
		carrier.Wait(waitAgent).ExpectCalls(t, 0, 1)
	})
}

// TestCarrierLateOfferRefusals: the agent scenarios that refuse or
// challenge serve as the callee's carrier too, taking an INVITE without
// SDP: busy (486), and a challenge (401 or 407) that sipgo answers,
// after which the 200 carries the offer.
func TestCarrierLateOfferRefusals(t *testing.T) {
	t.Parallel()
	t.Run("busy", func(t *testing.T) {
		t.Parallel()
		carrier := StartUAS(t, UASOptions{Scenario: "uas_busy", IP: agentIP, Calls: 1})
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_, err := startGoUAC(t, "127.0.0.105").invite(ctx, carrier.Addr(), "", "")
		if de := (*sipgo.ErrDialogResponse)(nil); !errors.As(err, &de) || de.Res.StatusCode != 486 {
			t.Errorf("INVITE: %v, want 486", err)
		}
		carrier.Wait(waitAgent).ExpectCalls(t, 1, 0)
	})
	for _, tc := range []struct {
		scenario, ip string
		vars         map[string]string
		authHeader   string
	}{
		{"uas_auth", "127.0.0.106", map[string]string{"username": "alice"}, "Proxy-Authorization"},
		{"uas_auth_401", "127.0.0.107", map[string]string{"username": "alice", "password": "s3cret"}, "Authorization"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			carrier := StartUAS(t, UASOptions{Scenario: tc.scenario, IP: agentIP, Calls: 1, Vars: tc.vars})
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			sess, err := startGoUAC(t, tc.ip).invite(ctx, carrier.Addr(), "alice", "s3cret")
			if err != nil {
				t.Fatalf("INVITE: %v", err)
			}
			defer sess.Close()
			if !strings.Contains(string(sess.InviteResponse.Body()), "m=audio ") {
				t.Fatalf("200 without an SDP offer:\n%s", sess.InviteResponse)
			}
			if err := ack(ctx, sess, []byte(answerSDP)); err != nil {
				t.Fatalf("ACK: %v", err)
			}
			if err := sess.Bye(ctx); err != nil {
				t.Fatalf("BYE: %v", err)
			}
			got := carrier.Wait(waitAgent)
			got.ExpectCalls(t, 1, 0)
			invs := got.Requests("INVITE")
			if len(invs) != 2 || invs[0].Body != "" || invs[1].Body != "" {
				t.Fatalf("%d INVITEs at the carrier, want 2 without SDP", len(invs))
			}
			if err := invs[1].VerifyDigest("alice", "s3cret"); err != nil || invs[1].Header(tc.authHeader) == "" {
				t.Errorf("second INVITE: %s %q, VerifyDigest: %v", tc.authHeader, invs[1].Header(tc.authHeader), err)
			}
		})
	}
}
