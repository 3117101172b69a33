package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/httpapi"
	"github.com/switchboard-voice/switchboard/openapi"
	"github.com/switchboard-voice/switchboard/sipedge"
	"github.com/switchboard-voice/switchboard/storecache"
	"github.com/switchboard-voice/switchboard/web"
	"github.com/switchboard-voice/switchboard/webhook"
)

// ServeConfig is the configuration of `switchboard serve`.
type ServeConfig struct {
	Database            string
	HTTPAddr            string
	SIPAddr             string
	SIPTrusted          []netip.Prefix
	SIPTLSAddr          string // "" when off
	SIPTLSCert          string
	SIPTLSKey           string
	SIPTLSCA            string
	HTTPTLSCert         string // "" when the API is plain HTTP
	HTTPTLSKey          string
	TrustedProxies      []netip.Prefix
	WebhookAllowPrivate bool
	WebhookSchedule     []time.Duration
	WebhookTimeout      time.Duration
	WebhookConcurrency  int
	RateLimit           float64
	OutboundCallRate    float64
	ShutdownTimeout     time.Duration
	HTTPLimits          httpLimits // not flags; zero means defaultHTTPLimits
	SIPAdvertise        string
	SIPDomain           string // "" means the advertised SIP host
	SIPDefaultCountry   string
	Node                string
	MaxCallDuration     time.Duration
	MaxCallsPerNumber   int
	CallWebhookTimeout  time.Duration
	SIPTryingTimeout    time.Duration
	SIPTxLinger         time.Duration
	CallJournal         string // "" when off
	EventsHeartbeat     time.Duration
	EventsBuffer        int
	LogFormat           string
	LogLevel            slog.Level
}

// defaultSIPTrusted accepts INVITEs from loopback only until the operator
// names its carrier's networks.
var defaultSIPTrusted = "127.0.0.0/8,::1/128"

func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (ServeConfig, error) {
	var c ServeConfig
	fs := newFlagSet("serve", stderr)
	fs.StringVar(&c.Database, "database", defaultDatabase, "database: sqlite:PATH, PATH or postgres://…")
	fs.StringVar(&c.HTTPAddr, "http", ":8080", "HTTP API listen address")
	fs.StringVar(&c.SIPAddr, "sip", ":5060", "SIP listen address (UDP and TCP)")
	fs.StringVar(&c.SIPTLSAddr, "sip-tls", "", "SIP over TLS listen address, e.g. :5061 (default: off; needs --sip-tls-cert and --sip-tls-key)")
	fs.StringVar(&c.SIPTLSCert, "sip-tls-cert", "", "PEM certificate (chain) of the TLS listener; re-read on SIGHUP")
	fs.StringVar(&c.SIPTLSKey, "sip-tls-key", "", "PEM private key of the TLS listener; re-read on SIGHUP")
	fs.StringVar(&c.SIPTLSCA, "sip-tls-ca", "", "PEM bundle of CAs trusted for agents dialled over TLS, besides the system's")
	trusted := fs.String("sip-trusted", defaultSIPTrusted, "comma-separated carrier networks whose INVITEs are accepted")
	fs.StringVar(&c.HTTPTLSCert, "http-tls-cert", "", "PEM certificate (chain) to serve the API and dashboard over HTTPS on --http; re-read on SIGHUP (default: plain HTTP, e.g. behind a reverse proxy)")
	fs.StringVar(&c.HTTPTLSKey, "http-tls-key", "", "PEM private key of --http-tls-cert; re-read on SIGHUP")
	proxies := fs.String("trusted-proxies", "", "comma-separated networks of the reverse proxies in front of --http, whose X-Forwarded-For and X-Forwarded-Proto are believed (default: none)")
	fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", false, "allow webhook URLs on private and loopback addresses (development only)")
	schedule := fs.String("webhook-retry-schedule", webhook.DefaultScheduleSpec, "delay before each webhook delivery attempt, comma-separated")
	fs.DurationVar(&c.WebhookTimeout, "webhook-timeout", 10*time.Second, "how long one webhook POST may take")
	fs.IntVar(&c.WebhookConcurrency, "webhook-concurrency", 64, "webhook POSTs in flight at once")
	fs.Float64Var(&c.RateLimit, "rate-limit", 100, "API requests per second per key (0 disables)")
	fs.Float64Var(&c.OutboundCallRate, "outbound-call-rate", httpapi.DefaultOutboundCallRate,
		"POST /v1/outbound-calls requests per second per organisation (0 disables)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long to let in-flight work finish on SIGTERM")
	fs.StringVar(&c.SIPAdvertise, "sip-advertise", "", "host[:port] this node puts in Via and Contact (default: the --sip address; set it when listening on a wildcard address)")
	fs.StringVar(&c.SIPDomain, "sip-domain", "", "SIP domain of the numbers' credentials for agent-originated calls, and their digest realm (default: the host of --sip-advertise, else of --sip); changing it invalidates every number's credentials until rotated")
	fs.StringVar(&c.SIPDefaultCountry, "sip-default-country", "", "ISO country of called numbers that arrive in national format (no + or country code)")
	fs.StringVar(&c.Node, "node", "", "name of this node in call records (default: hostname/SIP address)")
	fs.DurationVar(&c.MaxCallDuration, "max-call-duration", 4*time.Hour, "end answered calls after this long (0: no limit)")
	fs.IntVar(&c.MaxCallsPerNumber, "max-calls-per-number", 0, "live calls allowed per called number on this node; more get 503 (0: no limit)")
	fs.DurationVar(&c.CallWebhookTimeout, "call-webhook-timeout", 3*time.Second, "how long a webhook endpoint may take to say where a call goes")
	fs.DurationVar(&c.SIPTryingTimeout, "sip-trying-timeout", 4*time.Second, "fail over when an agent sends no provisional response within this time")
	fs.DurationVar(&c.SIPTxLinger, "sip-transaction-linger", sipedge.DefaultTransactionLinger, "keep finished SIP transactions this long to absorb retransmissions (RFC 3261's 32 s costs memory per call/s)")
	fs.StringVar(&c.CallJournal, "call-journal", "", "directory of the call journal, where answered calls are made durable without waiting for the database (default: the SQLite file's path + \".calls\"; ./switchboard-calls with PostgreSQL; \"off\": none, answers wait for their commit)")
	fs.DurationVar(&c.EventsHeartbeat, "events-heartbeat", httpapi.DefaultStreamHeartbeat, "how often an idle event stream (GET /v1/events/stream) sends a comment")
	fs.IntVar(&c.EventsBuffer, "events-buffer", httpapi.DefaultStreamBuffer, "how many events a stream's reader may fall behind before its stream ends with SLOW_CONSUMER")
	fs.StringVar(&c.LogFormat, "log-format", "auto", "log format: json, text or auto (text on a terminal)")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := parseFlags(fs, args, getenv); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, usageError{fmt.Sprintf("serve takes no arguments, got %q", fs.Args())}
	}
	var err error
	if c.SIPTrusted, err = parsePrefixes("--sip-trusted", *trusted); err != nil {
		return c, err
	}
	if c.TrustedProxies, err = parsePrefixes("--trusted-proxies", *proxies); err != nil {
		return c, err
	}
	sched, err := webhook.ParseSchedule(*schedule)
	if err != nil {
		return c, usageError{fmt.Sprintf("--webhook-retry-schedule: %v", err)}
	}
	c.WebhookSchedule = sched
	if c.WebhookTimeout <= 0 || c.WebhookConcurrency <= 0 {
		return c, usageError{"--webhook-timeout and --webhook-concurrency must be positive"}
	}
	if c.EventsHeartbeat <= 0 || c.EventsBuffer <= 0 {
		return c, usageError{"--events-heartbeat and --events-buffer must be positive"}
	}
	if err := c.LogLevel.UnmarshalText([]byte(*level)); err != nil {
		return c, usageError{fmt.Sprintf("--log-level: %v", err)}
	}
	switch c.LogFormat {
	case "auto", "json", "text":
	default:
		return c, usageError{"--log-format must be json, text or auto"}
	}
	if c.SIPDefaultCountry != "" && !switchboard.ValidCountry(strings.ToUpper(c.SIPDefaultCountry)) {
		return c, usageError{fmt.Sprintf("--sip-default-country: %q is not an ISO 3166 alpha-2 code", c.SIPDefaultCountry)}
	}
	c.SIPDefaultCountry = strings.ToUpper(c.SIPDefaultCountry)
	if c.MaxCallDuration < 0 || c.MaxCallsPerNumber < 0 || c.CallWebhookTimeout <= 0 || c.SIPTryingTimeout <= 0 || c.SIPTxLinger <= 0 {
		return c, usageError{"--max-call-duration and --max-calls-per-number must not be negative; --call-webhook-timeout, --sip-trying-timeout and --sip-transaction-linger must be positive"}
	}
	if c.RateLimit < 0 || c.OutboundCallRate < 0 {
		return c, usageError{"--rate-limit and --outbound-call-rate must not be negative"}
	}
	if err := checkTLSFlags(c); err != nil {
		return c, err
	}
	c.CallJournal = callJournalDir(c.CallJournal, c.Database)
	return c, nil
}

// parsePrefixes reads the comma-separated networks (CIDRs or single
// addresses) of the flag name.
func parsePrefixes(name, list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, usageError{fmt.Sprintf("%s: %q is not a CIDR or address", name, s)}
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseServeFlags(args, getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return err
	}
	// One serve per SQLite file: locked before a key is printed or a port
	// opened, released once everything has stopped.
	lock, err := lockDatabase(cfg.Database)
	if err != nil {
		return err
	}
	defer lock.Close()
	m := NewMain(cfg, stdout, stderr)
	if err := m.Open(ctx); err != nil {
		m.Close(context.Background())
		return err
	}
	m.waitReloading(ctx)
	m.logger.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	return m.Close(shutdownCtx)
}

// Main is the running program: every plane wired to one store. Tests build
// one with a config on :0 and drive it over the network.
type Main struct {
	Config ServeConfig
	Stdout io.Writer

	// BootstrapKey is the key created for organisation default on the
	// first start of an empty database ("" otherwise).
	BootstrapKey string

	logger     *slog.Logger
	store      switchboard.Store
	httpLn     net.Listener
	httpSrv    *http.Server
	api        *httpapi.Server // the REST API, once Open has returned
	httpDone   chan error
	stopWorker context.CancelFunc
	workerDone chan struct{}
	edge       *sipedge.Edge
	tlsCert    *certReloader // nil without --sip-tls
	httpCert   *certReloader // nil without --http-tls-cert
	edgeDone   chan error
	stopFeed   context.CancelFunc
	feeds      sync.WaitGroup // the change feed and hangup relay goroutines
}

// NewMain returns a program that logs to stderr.
func NewMain(cfg ServeConfig, stdout, stderr io.Writer) *Main {
	return &Main{Config: cfg, Stdout: stdout, logger: newLogger(cfg, stderr)}
}

func newLogger(cfg ServeConfig, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	text := cfg.LogFormat == "text"
	if cfg.LogFormat == "auto" {
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				text = true
			}
		}
	}
	if text {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// Open opens the listeners and the store, bootstraps an empty database
// and starts serving. Every listener is open before the bootstrap, so a
// start that fails on a taken port prints no key it then forgets.
func (m *Main) Open(ctx context.Context) error {
	var err error
	if m.httpLn, err = net.Listen("tcp", m.Config.HTTPAddr); err != nil {
		return fmt.Errorf("listen HTTP on %s: %w (use --http to choose another address)", m.Config.HTTPAddr, err)
	}
	store, err := openStore(ctx, m.Config.Database, switchboard.SystemClock)
	if err != nil {
		return err
	}
	// Endpoints are read on almost every request: serve them from memory.
	// Writes through the cache invalidate it at once; writes by other
	// processes (other nodes, the CLI) show within storecache.DefaultTTL.
	cache := storecache.New(store, storecache.DefaultTTL, switchboard.SystemClock)
	store = cache
	m.store = store
	spec, err := openapi.JSON()
	if err != nil {
		return fmt.Errorf("load OpenAPI spec: %w", err)
	}
	allowPrivate := m.Config.WebhookAllowPrivate
	met := newMetrics(store)
	worker := webhook.NewWorker(store, webhook.WorkerConfig{
		Schedule:     m.Config.WebhookSchedule,
		Timeout:      m.Config.WebhookTimeout,
		Concurrency:  m.Config.WebhookConcurrency,
		AllowPrivate: allowPrivate,
		Logger:       m.logger,
		Observe:      met.observeAttempt,
	})
	// The change feed also carries key revocations made through any node:
	// the API's key cache follows it (once the API exists; before, it has
	// nothing cached).
	var keysChanged atomic.Pointer[httpapi.Server]
	invalidate := func(orgID string) {
		cache.Invalidate(orgID)
		if api := keysChanged.Load(); api != nil {
			api.KeysChanged(orgID)
		}
	}
	if err := m.openEdge(ctx, met, invalidate); err != nil {
		return err
	}
	if err := m.bootstrap(ctx); err != nil {
		return err
	}
	api := httpapi.NewServer(store, m.logger, httpapi.Config{
		Calls:      m.edge,
		Originator: m.edge,
		TestCaller: m.edge,
		Node:       m.Config.Node,
		RateLimit:  m.Config.RateLimit,
		// The flag's 0 (no limit) is the Config's negative: its 0 is the default.
		OutboundCallRate: cmp.Or(m.Config.OutboundCallRate, -1),
		OpenAPI:          spec,
		CheckWebhookURL: func(ctx context.Context, url string) error {
			return webhook.CheckURL(ctx, url, allowPrivate, net.DefaultResolver)
		},
		OnDeliveriesQueued: worker.Notify,
		SIPDomain:          m.Config.sipDomain(),
		SIPTransports:      m.Config.sipTransports(),
		StreamHeartbeat:    m.Config.EventsHeartbeat,
		StreamBuffer:       m.Config.EventsBuffer,
	})
	dashboard, err := m.newDashboard(worker.Notify)
	if err != nil {
		return err
	}
	keysChanged.Store(api)
	m.api = api
	// The event streams wake when any node writes events.
	eventsCtx, stopEvents := context.WithCancel(context.WithoutCancel(ctx))
	stopFeed := m.stopFeed
	m.stopFeed = func() {
		stopEvents()
		if stopFeed != nil {
			stopFeed()
		}
	}
	m.feeds.Add(1)
	go func() {
		defer m.feeds.Done()
		if err := api.FollowEvents(eventsCtx); err != nil && eventsCtx.Err() == nil {
			m.logger.Error("event feed stopped; event streams see new events at each heartbeat", "err", err)
		}
	}()
	root := http.NewServeMux()
	root.Handle("GET /metrics", promhttp.HandlerFor(met.registry, promhttp.HandlerOpts{}))
	root.Handle(web.Prefix, dashboard)
	root.Handle("GET /{$}", http.RedirectHandler(web.Prefix, http.StatusFound))
	root.Handle("/", api)

	workerCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	m.stopWorker, m.workerDone = stop, make(chan struct{})
	go func() {
		defer close(m.workerDone)
		worker.Run(workerCtx)
	}()

	httpTLS, err := m.openHTTPTLS()
	if err != nil {
		return err
	}
	m.httpSrv = newHTTPServer(httpapi.TrustedProxies(m.Config.TrustedProxies).Wrap(root), m.logger, m.Config.HTTPLimits)
	m.httpSrv.RegisterOnShutdown(api.CloseStreams) // Shutdown waits for handlers; streams would not end
	m.httpDone = make(chan error, 1)
	if httpTLS != nil {
		m.httpSrv.TLSConfig = httpTLS // ServeTLS adds HTTP/2 to it
		go func() { m.httpDone <- m.httpSrv.ServeTLS(m.httpLn, "", "") }()
	} else {
		go func() { m.httpDone <- m.httpSrv.Serve(m.httpLn) }()
	}
	m.edgeDone = make(chan error, 1)
	go func() { m.edgeDone <- m.edge.Serve() }()
	m.logger.Info("switchboard serving", "version", switchboard.Version, "http", m.httpLn.Addr().String(), "https", httpTLS != nil,
		"sip", m.edge.Addr(), "sip_tls", m.edge.TLSAddr(), "node", m.Config.Node, "database", redactDSN(m.Config.Database))
	return nil
}

// openEdge starts the SIP edge: it ends the calls a crash of this node
// left open, loads the routing table and keeps it (and the endpoint
// cache) fresh from the store's change feed, which on PostgreSQL carries
// every node's changes.
func (m *Main) openEdge(ctx context.Context, met *metrics, invalidate func(orgID string)) error {
	cfg := m.Config
	if cfg.CallJournal != "" {
		// Checked here to name the flag: the default is relative to the
		// working directory, which a service manager may make read-only.
		if err := os.MkdirAll(cfg.CallJournal, 0o700); err != nil {
			return fmt.Errorf("--call-journal %s must be a writable directory (or off): %w", cfg.CallJournal, err)
		}
	}
	tlsCfg, err := m.openTLS()
	if err != nil {
		return err
	}
	asker := webhook.NewAsker(cfg.WebhookAllowPrivate)
	edge, err := sipedge.New(ctx, sipedge.Config{
		Addr: cfg.SIPAddr, Advertise: cfg.SIPAdvertise, Trusted: cfg.SIPTrusted,
		TLSAddr: cfg.SIPTLSAddr, TLSCertificate: tlsCfg.cert, TLSRoots: tlsCfg.roots,
		DefaultCountry: cfg.SIPDefaultCountry, Node: cfg.Node,
		MaxCallDuration: cfg.MaxCallDuration, MaxCallsPerNumber: cfg.MaxCallsPerNumber,
		TryingTimeout: cfg.SIPTryingTimeout, WebhookTimeout: cfg.CallWebhookTimeout, TransactionLinger: cfg.SIPTxLinger,
		OpenRecorder: m.openCallRecorder, Ask: asker.Ask, Routing: m.store, Logger: m.logger,
		// Agents placing calls through their numbers' trunks authenticate
		// with the numbers' SIP credentials, in the realm they were
		// issued for.
		SIPUser: m.store.SIPCredentials, SIPRealm: cfg.sipDomain(),
		Registerer: met.registry,
	})
	var lerr *sipedge.ListenError
	if errors.As(err, &lerr) {
		flag := "--sip"
		if lerr.Transport == "tls" {
			flag = "--sip-tls"
		}
		return fmt.Errorf("%w (use %s to choose another address)", err, flag)
	}
	if err != nil {
		return fmt.Errorf("start sip edge: %w", err)
	}
	m.edge = edge
	m.Config.Node = edge.Node()
	if n, err := m.store.EndOrphanCalls(ctx, m.Config.Node, switchboard.SystemClock()); err != nil {
		return fmt.Errorf("end calls left open by a crash: %w", err)
	} else if n > 0 {
		m.logger.Warn("ended calls a previous run of this node left open", "calls", n)
	}
	feedCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	m.stopFeed = stop
	// The goroutines use copies: Close clears m.store once they are done.
	store, node := m.store, m.Config.Node
	m.feeds.Add(3)
	go func() {
		defer m.feeds.Done()
		// Hangups asked through other nodes for calls this node carries.
		err := store.SubscribeHangups(feedCtx, node, func(orgID, callID string) {
			if err := edge.Hangup(feedCtx, orgID, callID); err != nil {
				m.logger.Info("relayed hangup of a call not live here", "call_id", callID, "err", err)
			}
		})
		if err != nil && feedCtx.Err() == nil {
			m.logger.Error("hangup relay stopped", "err", err)
		}
	}()
	go func() {
		defer m.feeds.Done()
		edge.Table().Follow(feedCtx, func(orgID string, err error) {
			m.logger.Error("reload routing table; retrying", "org", orgID, "err", err)
		})
	}()
	go func() {
		defer m.feeds.Done()
		err := store.SubscribeChanges(feedCtx, func(orgID string) {
			invalidate(orgID)
			edge.Table().Changed(orgID)
		})
		if err != nil && feedCtx.Err() == nil {
			m.logger.Error("change feed stopped; routing may go stale", "err", err)
		}
	}()
	return nil
}

// SIPAddr is the address the SIP edge listens on once Open has returned.
func (m *Main) SIPAddr() string { return m.edge.Addr() }

// HTTPURL is the base URL of the API once Open has returned: https://
// with --http-tls-cert.
func (m *Main) HTTPURL() string {
	if m.httpCert != nil {
		return "https://" + m.httpLn.Addr().String()
	}
	return "http://" + m.httpLn.Addr().String()
}

// bootstrap gives a fresh database organisation "default" and one live key,
// printed once on stdout so a newcomer can call the API right away.
func (m *Main) bootstrap(ctx context.Context) error {
	n, err := m.store.CountOrganizations(ctx)
	if err != nil {
		return fmt.Errorf("count organisations: %w", err)
	}
	if n > 0 {
		return nil
	}
	org, created, err := m.store.EnsureOrganization(ctx, switchboard.DefaultOrgName)
	if err != nil {
		return fmt.Errorf("create default organisation: %w", err)
	}
	if !created {
		// Another node starting on the same empty database won the race
		// and printed the key; one bootstrap key only.
		return nil
	}
	secret, err := createKey(ctx, m.store, org.ID, "bootstrap", switchboard.AllScopes, true)
	if err != nil {
		return err
	}
	m.BootstrapKey = secret
	fmt.Fprintf(m.Stdout, "Created organization %q (%s). Its API key, shown only this once:\n%s\n",
		org.Name, org.ID, secret)
	m.logger.Info("created organization default and its first API key (printed on stdout)", "org", org.ID)
	return nil
}

// Close stops accepting work, lets in-flight requests finish until ctx
// ends, then closes the store. Closing twice is harmless.
func (m *Main) Close(ctx context.Context) error {
	var errs []error
	if m.edge != nil {
		// Calls drain first, while the API still answers (hangups, reads).
		m.edge.Drain(ctx)
		if m.edgeDone != nil {
			if err := <-m.edgeDone; err != nil {
				errs = append(errs, err)
			}
		}
		m.edge = nil
	}
	if m.stopFeed != nil {
		m.stopFeed()
		m.feeds.Wait() // before the store closes under them
		m.stopFeed = nil
	}
	if m.httpSrv != nil {
		if err := m.httpSrv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down http: %w", err))
		}
		if err := <-m.httpDone; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("serve http: %w", err))
		}
		m.httpSrv = nil
	} else if m.httpLn != nil {
		m.httpLn.Close() // opened, never served: Open failed after it
	}
	if m.stopWorker != nil {
		// Attempts in flight finish and are recorded before the store closes.
		m.stopWorker()
		<-m.workerDone
		m.stopWorker = nil
	}
	if m.store != nil {
		if err := m.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close store: %w", err))
		}
		m.store = nil
	}
	return errors.Join(errs...)
}

// redactDSN hides a password in a database URL before it is logged.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.LastIndex(dsn, "@"); at > i {
			if colon := strings.Index(dsn[i+3:at], ":"); colon >= 0 {
				return dsn[:i+3+colon] + ":***" + dsn[at:]
			}
		}
	}
	return dsn
}
