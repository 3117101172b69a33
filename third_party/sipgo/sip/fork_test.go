package sip

// Tests of the Switchboard fork's changes (../FORK.md).

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/fakes"
	"github.com/stretchr/testify/require"
)

// forkConn is a UDP connection whose writes to 127.0.0.99:5060 go to out.
func forkConn(out io.Writer) *UDPConnection {
	return &UDPConnection{PacketConn: &fakes.UDPConn{
		Reader:  bytes.NewBuffer(nil),
		Writers: map[string]io.Writer{"127.0.0.99:5060": out},
	}}
}

// within fails the test unless f returns within d: f must not wait.
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s still waiting after %s", what, d)
	}
}

// TestForkClientTxPassUpNeverWaits: responses the TU does not read yet
// are queued, not waited on, and reach it in order.
func TestForkClientTxPassUpNeverWaits(t *testing.T) {
	req, _, _ := testCreateInvite(t, "sip:127.0.0.99:5060", "udp", "127.0.0.2:5060")
	req.raddr = Addr{IP: net.ParseIP("127.0.0.99"), Port: 5060}
	tx := NewClientTx("fork-passup", req, forkConn(io.Discard), slog.Default())
	require.NoError(t, tx.Init())
	defer tx.Terminate()

	codes := []int{100, 180, 183, 200}
	within(t, time.Second, "Receive", func() {
		for _, code := range codes {
			tx.Receive(NewResponseFromRequest(req, code, "", nil))
		}
	})
	for _, want := range codes {
		select {
		case res := <-tx.Responses():
			require.Equal(t, want, res.StatusCode)
		case <-time.After(time.Second):
			t.Fatalf("no %d passed up", want)
		}
	}
}

// TestForkClientTxFinalBeforeDone: over a reliable transport a final
// response ends a non-INVITE transaction at once; the TU still gets the
// response before Done.
func TestForkClientTxFinalBeforeDone(t *testing.T) {
	req := testCreateRequest(t, "BYE", "sip:127.0.0.99:5060", "TCP", "127.0.0.2:5060")
	req.raddr = Addr{IP: net.ParseIP("127.0.0.99"), Port: 5060}
	tx := NewClientTx("fork-final", req, forkConn(io.Discard), slog.Default())
	require.NoError(t, tx.Init())

	within(t, time.Second, "Receive", func() { tx.Receive(NewResponseFromRequest(req, 200, "OK", nil)) })
	select {
	case <-tx.Done():
		t.Fatal("done before the final response was passed up")
	default:
	}
	select {
	case res := <-tx.Responses():
		require.Equal(t, 200, res.StatusCode)
	case <-time.After(time.Second):
		t.Fatal("final response not passed up")
	}
	select {
	case <-tx.Done():
	case <-time.After(time.Second):
		t.Fatal("not done once the final response was passed up")
	}
}

// TestForkClientTxAckResendNoSleep: a final response retransmitted at
// once is absorbed without sleeping, and acknowledged once.
func TestForkClientTxAckResendNoSleep(t *testing.T) {
	req, _, _ := testCreateInvite(t, "sip:127.0.0.99:5060", "udp", "127.0.0.2:5060")
	req.raddr = Addr{IP: net.ParseIP("127.0.0.99"), Port: 5060}
	var out bytes.Buffer
	tx := NewClientTx("fork-ack", req, forkConn(&out), slog.Default())
	require.NoError(t, tx.Init())
	defer tx.Terminate()

	res := NewResponseFromRequest(req, 486, "Busy Here", nil)
	res.To().Params.Add("tag", "t1")
	within(t, T1/4, "Receive of a retransmitted 486", func() {
		tx.Receive(res)
		tx.Receive(res)
	})
	require.Equal(t, 1, strings.Count(out.String(), "ACK sip:"), out.String())
}

// TestForkInlineAck: with WithTransactionLayerInlineAck, an ACK that
// matches no transaction reaches the handler before handleMessage
// returns, with no transaction made for it.
func TestForkInlineAck(t *testing.T) {
	tp := NewTransportLayer(net.DefaultResolver, NewParser(), nil)
	txl := NewTransactionLayer(tp, WithTransactionLayerInlineAck())
	var got *Request
	var gotTx *ServerTx
	txl.OnRequest(func(req *Request, tx *ServerTx) { got, gotTx = req, tx })

	ack := testCreateRequest(t, "ACK", "sip:127.0.0.99:5060", "UDP", "127.0.0.2:5060")
	ack.SetSource("127.0.0.2:5060")
	txl.handleMessage(ack)
	require.Same(t, ack, got)
	require.Nil(t, gotTx)
	require.Empty(t, txl.serverTransactions.items)
}

// TestForkRetransmissionInline: a retransmitted request is answered from
// its transaction before handleMessage returns.
func TestForkRetransmissionInline(t *testing.T) {
	tp := NewTransportLayer(net.DefaultResolver, NewParser(), nil)
	txl := NewTransactionLayer(tp)
	txl.OnRequest(func(*Request, *ServerTx) { t.Error("the handler got a retransmission") })

	req, _, _ := testCreateInvite(t, "sip:127.0.0.2:5060", "udp", "127.0.0.99:5060")
	req.raddr = Addr{IP: net.ParseIP("127.0.0.99"), Port: 5060}
	key, err := ServerTxKeyMake(req)
	require.NoError(t, err)
	var out bytes.Buffer
	tx := NewServerTx(key, req, forkConn(&out), slog.Default())
	require.NoError(t, tx.Init())
	defer tx.Terminate()
	txl.serverTransactions.put(key, tx)
	require.NoError(t, tx.Respond(NewResponseFromRequest(req, 404, "Not Found", nil)))

	txl.handleMessage(req)
	require.Equal(t, 2, strings.Count(out.String(), "SIP/2.0 404"), out.String())
}

// TestForkClientTxTimerK: over UDP a non-INVITE transaction lingers
// Timer K after its final response, not Timer D, and one its TU ended on
// that response sets no timer at all.
func TestForkClientTxTimerK(t *testing.T) {
	req := testCreateRequest(t, "BYE", "sip:127.0.0.99:5060", "UDP", "127.0.0.2:5060")
	req.raddr = Addr{IP: net.ParseIP("127.0.0.99"), Port: 5060}
	tx := NewClientTx("fork-k", req, forkConn(io.Discard), slog.Default())
	require.NoError(t, tx.Init())
	require.Equal(t, Timer_K, tx.timer_d_time)
	go func() { <-tx.Responses(); tx.Terminate() }()
	tx.Receive(NewResponseFromRequest(req, 200, "OK", nil))
	<-tx.Done()
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.timer_d != nil && tx.timer_d.Stop() {
		t.Error("a terminated transaction left Timer K running")
	}
}

// TestForkLingerQueue: transactions set to linger end when their time
// comes, in the order set, from one queue of that duration.
func TestForkLingerQueue(t *testing.T) {
	const d = 30 * time.Millisecond
	var txs []*ServerTx
	for i := range 3 {
		req := testCreateRequest(t, "BYE", "sip:127.0.0.2:5060", "UDP", "127.0.0.99:5060")
		req.raddr = Addr{IP: net.ParseIP("127.0.0.99"), Port: 5060}
		tx := NewServerTx("fork-linger-"+string(rune('a'+i)), req, forkConn(io.Discard), slog.Default())
		require.NoError(t, tx.Init())
		tx.timer_j_time = d
		require.NoError(t, tx.Respond(NewResponseFromRequest(req, 200, "OK", nil)))
		txs = append(txs, tx)
	}
	for _, tx := range txs {
		select {
		case <-tx.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("%s still lingers", tx.Key())
		}
		require.ErrorIs(t, tx.Err(), ErrTransactionTerminated)
	}
	lingerQueues.mu.Lock()
	lq := lingerQueues.m[d]
	lingerQueues.mu.Unlock()
	require.NotNil(t, lq)
}

// TestForkDestination: host:port as before, built without fmt.
func TestForkDestination(t *testing.T) {
	for _, tc := range []struct{ uri, transport, want string }{
		{"sip:bob@10.0.0.1:5070", "UDP", "10.0.0.1:5070"},
		{"sip:bob@10.0.0.1", "UDP", "10.0.0.1:5060"},
		{"sip:bob@example.com", "TLS", "example.com:5061"},
	} {
		req := testCreateRequest(t, "OPTIONS", tc.uri, tc.transport, "127.0.0.2:5060")
		require.Equal(t, tc.want, req.Destination(), tc.uri)
	}
	req := testCreateRequest(t, "OPTIONS", "sip:bob@10.0.0.1", "UDP", "127.0.0.2:5062")
	require.Equal(t, "127.0.0.2:5062", NewResponseFromRequest(req, 200, "OK", nil).Destination())
	req.Via().Params.Add("received", "192.0.2.1")
	req.Via().Params.Add("rport", "6000")
	require.Equal(t, "192.0.2.1:6000", NewResponseFromRequest(req, 200, "OK", nil).Destination())
}
