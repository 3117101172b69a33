// Package sipedge is Switchboard's SIP edge: a signalling-only B2BUA on
// sipgo. It answers carrier INVITEs (the A-leg), routes them from an
// in-memory table through switchboard.Route, and places a second call (the
// B-leg) to the agent endpoint, or asks a webhook endpoint where to send
// it. SDP is copied unchanged between the legs, so media flows carrier ↔
// agent directly. Call records go to a switchboard.CallRecorder.
package sipedge

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-voice/switchboard"
)

// AskFunc posts a call.initiated, signed with secret under message id
// msgID, to a webhook endpoint and returns the body of its 2xx reply. It
// must give up when ctx ends.
type AskFunc func(ctx context.Context, url, secret, msgID string, body []byte) ([]byte, error)

// Config configures the edge.
type Config struct {
	// Addr is the host:port to listen on, on UDP and TCP (port 0 picks one
	// free on both).
	Addr string
	// Advertise is the host[:port] put in Via and Contact; default the
	// listen address (a wildcard listen address advertises 127.0.0.1, so
	// set it on a real network).
	Advertise string
	// TLSAddr is the host:port of the SIP over TLS listener; "" opens
	// none. Its advertised port is the port it listens on.
	TLSAddr string
	// TLSCertificate returns the node's certificate to each TLS client
	// (tls.Config.GetCertificate), so a renewed certificate is served
	// without reopening the listener. Required with TLSAddr.
	TLSCertificate func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	// TLSRoots verifies the certificates of the agents dialled over TLS;
	// nil means the system's roots.
	TLSRoots *x509.CertPool
	// Trusted lists the carrier networks whose INVITEs are accepted;
	// everyone else gets 403 before any lookup, or a digest challenge
	// when SIPUser is set.
	Trusted []netip.Prefix
	// SIPUser looks up the number whose SIP credentials have this
	// username (switchboard.Service.SIPCredentials): its organisation,
	// its ID and the HA1 hashes of the credentials in SIPRealm. It fails
	// with switchboard.ErrNoRows for an unknown username. With it (and
	// SIPRealm), agents place calls from those numbers through their
	// trunks (admit.go, agentcall.go); without it, INVITEs from outside
	// the trusted networks get 403.
	SIPUser func(ctx context.Context, username string) (orgID, numberID, ha1MD5, ha1SHA256 string, err error)
	// SIPRealm is the digest realm of the numbers' credentials: the
	// node's SIP domain.
	SIPRealm string
	// DefaultCountry is the ISO country for called numbers in national
	// format (no leading +).
	DefaultCountry string
	// Node names this node in call records.
	Node string
	// MaxCallDuration ends answered calls after this long; 0 means no limit.
	MaxCallDuration time.Duration
	// MaxCallsPerNumber caps live calls per called number (503 above it);
	// 0 means no limit.
	MaxCallsPerNumber int
	// TryingTimeout is how long a target may stay silent (no provisional
	// response) before the call fails over; default 4 s.
	TryingTimeout time.Duration
	// WebhookTimeout bounds the call.initiated POST to a webhook endpoint;
	// default 3 s.
	WebhookTimeout time.Duration
	// Ask posts call.initiated to webhook endpoints.
	Ask AskFunc
	// TransactionLinger is how long a finished SIP transaction is kept to
	// absorb retransmissions (sipgo's Timers J, L and M); default
	// DefaultTransactionLinger. sipgo's timers belong to the process: the
	// first edge built sets them for every edge after it.
	TransactionLinger time.Duration
	// OpenRecorder opens the recorder of this node's call records. New
	// calls it once it knows the node's name (the default name holds the
	// port it listens on); Drain closes what it returned.
	OpenRecorder func(ctx context.Context, node string) (switchboard.CallRecorder, error)

	Routing switchboard.RoutingService
	Logger  *slog.Logger
	Clock   switchboard.Clock
	// Registerer receives the edge's metrics; nil registers nothing.
	Registerer prometheus.Registerer
}

// Edge is a running SIP edge.
type Edge struct {
	cfg      Config
	log      *slog.Logger
	now      switchboard.Clock
	table    *Table
	recorder switchboard.CallRecorder
	m        *edgeMetrics

	ua  *sipgo.UserAgent
	srv *sipgo.Server
	cli *sipgo.Client

	udp      net.PacketConn
	tcp      net.Listener
	tls      net.Listener // nil without TLSAddr; tlsRaw is its TCP listener
	tlsRaw   net.Listener
	host     string
	port     int
	tlsPort  int                          // 0 without a TLS listener
	contacts map[string]sip.ContactHeader // per transport ("UDP", "TCP", "TLS") and "SIPS"

	byA  sync.Map // A-leg Call-ID → *call
	byB  sync.Map // B-leg Call-ID → *call
	byID sync.Map // call ID → *call
	// tests are the test calls whose INVITE is awaited, by token
	// (testcall.go).
	tests sync.Map
	// recent holds the INVITE transactions of ended calls (linger.go).
	recent *recentInvites
	// refusals rate-limits the INVITEs refused per source (refuse.go),
	// parsed by parser in sipgo's read filter.
	refusals *sourceLimiter
	parser   *sip.Parser
	// auth challenges and verifies agents' credentials (nil without
	// Config.SIPUser); agentSources are the addresses that recently
	// answered its challenge (admit.go).
	auth         *digestAuth
	agentSources *sourceSet
	// sipLog rate-limits sipgo's log lines (siplog.go).
	sipLog *logLimiter

	perNum    slots // live calls per called number (MaxCallsPerNumber)
	perTrunk  slots // live calls per trunk (max_concurrent_calls)
	live      atomic.Int64
	idle      chan struct{} // closed and replaced as live calls reach zero
	idleMu    sync.Mutex
	drain     atomic.Bool
	drainOnce sync.Once
	closing   chan struct{}
	// agentSetup bounds an outbound call's agent setup: agentSetupLimit
	// (tests shorten it).
	agentSetup time.Duration
}

// New builds the edge and loads the routing table; Serve starts it.
func New(ctx context.Context, cfg Config) (*Edge, error) {
	if cfg.OpenRecorder == nil {
		return nil, errors.New("sip edge: no call recorder configured")
	}
	if cfg.Clock == nil {
		cfg.Clock = switchboard.SystemClock
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.TryingTimeout <= 0 {
		cfg.TryingTimeout = 4 * time.Second
	}
	if cfg.WebhookTimeout <= 0 {
		cfg.WebhookTimeout = 3 * time.Second
	}
	if cfg.TransactionLinger <= 0 {
		cfg.TransactionLinger = DefaultTransactionLinger
	}
	setTransactionLinger(cfg.TransactionLinger)
	e := &Edge{
		cfg: cfg, log: cfg.Logger, now: cfg.Clock,
		recent:   newRecentInvites(cfg.Clock, inviteRetention),
		refusals: newSourceLimiter(cfg.Clock, refusalRate, refusalBurst, refusalSources),
		parser:   sip.NewParser(),
		table:    NewTable(cfg.Routing),
		idle:     make(chan struct{}),
		closing:  make(chan struct{}),
	}
	close(e.idle)
	e.agentSetup = agentSetupLimit
	if cfg.SIPUser != nil && cfg.SIPRealm != "" {
		// The nonces' key lives as long as the process: nonces issued
		// before a restart, or by another node, are answered with a fresh
		// challenge (authBadNonce), which costs the agent one round trip.
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("sip digest nonce key: %w", err)
		}
		e.auth = newDigestAuth(cfg.SIPRealm, key, cfg.Clock)
		e.agentSources = newSourceSet(cfg.Clock, agentSourceTTL, agentSources)
	}
	if err := e.table.Reload(ctx, ""); err != nil {
		return nil, err
	}
	e.m = newEdgeMetrics(cfg.Registerer, e)
	if err := e.listen(); err != nil {
		return nil, err
	}
	if cfg.TLSAddr != "" {
		if err := e.listenTLS(cfg.TLSAddr); err != nil {
			e.udp.Close()
			e.tcp.Close()
			return nil, err
		}
	}
	if e.cfg.Node == "" {
		host, _ := os.Hostname()
		e.cfg.Node = host + "/" + e.Addr()
	}
	sipLog, lim := newSIPLogger(cfg.Logger, cfg.Clock)
	e.sipLog = lim
	setSIPPackageLogger(sipLog)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("switchboard"), sipgo.WithUserAgentHostname(e.host),
		sipgo.WithUserAgenTLSConfig(tlsDialConfig(cfg.TLSRoots)),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerReadFilter(e.screen), sip.WithTransportLayerLogger(sipLog)),
		// onAck neither blocks nor uses its transaction: the ACK of a 2xx
		// is taken on the read goroutine, with none (third_party/sipgo).
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerUnhandledResponseHandler(e.onStrayResponse),
			sip.WithTransactionLayerLogger(sipLog), sip.WithTransactionLayerInlineAck()))
	if err != nil {
		return nil, fmt.Errorf("sip user agent: %w", err)
	}
	e.ua = ua
	if e.srv, err = sipgo.NewServer(ua, sipgo.WithServerLogger(sipLog)); err != nil {
		return nil, fmt.Errorf("sip server: %w", err)
	}
	if e.cli, err = sipgo.NewClient(ua, sipgo.WithClientHostname(e.host), sipgo.WithClientPort(e.port),
		sipgo.WithClientLogger(sipLog)); err != nil {
		return nil, fmt.Errorf("sip client: %w", err)
	}
	e.contacts = newContacts(e.host, e.port, e.tlsPort)
	e.srv.OnInvite(e.onInvite)
	e.srv.OnAck(e.onAck)
	e.srv.OnBye(e.onBye)
	e.srv.OnOptions(e.onOptions)
	e.srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		// A CANCEL that matched no INVITE transaction (the transaction
		// layer answers the ones that do).
		e.respond(tx, req, sipCallNotExist, "Call/Transaction Does Not Exist")
	})
	if e.recorder, err = cfg.OpenRecorder(ctx, e.cfg.Node); err != nil {
		e.udp.Close()
		e.tcp.Close()
		if e.tls != nil {
			e.tls.Close()
		}
		return nil, fmt.Errorf("open call recorder: %w", err)
	}
	return e, nil
}

// newContacts returns our Contact per transport: on TLS legs the TLS
// listener's port with transport=tls, and a sips: URI for legs whose
// Request-URI is sips: (RFC 3261 §8.1.1.8, §12.1.1). Without a TLS
// listener, TLS legs give the TCP Contact: the peer cannot open a TLS
// connection to us, only reuse ours or come back over TCP.
func newContacts(host string, port, tlsPort int) map[string]sip.ContactHeader {
	contact := func(scheme string, port int, transport string) sip.ContactHeader {
		c := sip.ContactHeader{Address: sip.Uri{Scheme: scheme, Host: host, Port: port}}
		if transport != "" {
			c.Address.UriParams = sip.NewParams()
			c.Address.UriParams.Add("transport", transport)
		}
		return c
	}
	m := map[string]sip.ContactHeader{
		"UDP": contact("sip", port, ""),
		"TCP": contact("sip", port, "tcp"),
	}
	m["TLS"], m["SIPS"] = m["TCP"], m["TCP"]
	if tlsPort != 0 {
		m["TLS"] = contact("sip", tlsPort, "tls")
		m["SIPS"] = contact("sips", tlsPort, "")
	}
	return m
}

// ListenError is New's error when a SIP listener cannot be opened (the
// address is in use, say), so that the program can name the setting to
// change: Addr's for udp and tcp, TLSAddr's for tls.
type ListenError struct {
	Transport string // udp, tcp or tls
	Addr      string
	Err       error
}

func (e *ListenError) Error() string {
	return fmt.Sprintf("listen sip %s %s: %v", e.Transport, e.Addr, e.Err)
}

func (e *ListenError) Unwrap() error { return e.Err }

// listen opens UDP and TCP on the same port, with a large UDP receive
// buffer so bursts of INVITEs are not dropped by the kernel.
func (e *Edge) listen() error {
	host, port, err := net.SplitHostPort(e.cfg.Addr)
	if err != nil {
		return fmt.Errorf("sip address %q: %w", e.cfg.Addr, err)
	}
	for attempt := 0; ; attempt++ {
		udp, err := net.ListenPacket("udp", e.cfg.Addr)
		if err != nil {
			return &ListenError{Transport: "udp", Addr: e.cfg.Addr, Err: err}
		}
		if uc, ok := udp.(*net.UDPConn); ok {
			_ = uc.SetReadBuffer(8 << 20) // best effort: the kernel caps it at rmem_max
		}
		got := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(got)))
		if err != nil {
			udp.Close()
			if port == "0" && attempt < 10 {
				continue // the free UDP port is taken on TCP: pick another
			}
			return &ListenError{Transport: "tcp", Addr: net.JoinHostPort(host, strconv.Itoa(got)), Err: err}
		}
		e.udp, e.tcp, e.port = udp, tcp, got
		break
	}
	e.host = host
	if e.host == "" || e.host == "0.0.0.0" || e.host == "::" {
		e.host = "127.0.0.1"
	}
	if a := e.cfg.Advertise; a != "" {
		if h, p, err := net.SplitHostPort(a); err == nil {
			e.host = h
			if n, err := strconv.Atoi(p); err == nil {
				e.port = n
			}
		} else {
			e.host = a
		}
	}
	return nil
}

// Addr returns the address the edge listens on (UDP and TCP).
func (e *Edge) Addr() string { return e.udp.LocalAddr().String() }

// Node returns the name this node writes into call records.
func (e *Edge) Node() string { return e.cfg.Node }

// Table returns the routing table, for reloads driven by the change feed.
func (e *Edge) Table() *Table { return e.table }

// Serve serves SIP until Close. It returns the first listener error.
func (e *Edge) Serve() error {
	errc := make(chan error, 3)
	go func() { errc <- e.srv.ServeUDP(e.udp) }()
	go func() { errc <- e.srv.ServeTCP(e.tcp) }()
	if e.tls != nil {
		go func() { errc <- e.srv.ServeTLS(e.tls) }()
	}
	select {
	case err := <-errc:
		select {
		case <-e.closing:
			return nil
		default:
			return fmt.Errorf("serve sip: %w", err)
		}
	case <-e.closing:
		return nil
	}
}
