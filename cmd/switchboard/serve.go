package main

import (
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
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/httpapi"
	"github.com/switchboard-voice/switchboard/openapi"
	"github.com/switchboard-voice/switchboard/storecache"
	"github.com/switchboard-voice/switchboard/webhook"
)

// ServeConfig is the configuration of `switchboard serve`.
type ServeConfig struct {
	Database            string
	HTTPAddr            string
	SIPAddr             string
	SIPTrusted          []netip.Prefix
	WebhookAllowPrivate bool
	WebhookSchedule     []time.Duration
	WebhookTimeout      time.Duration
	WebhookConcurrency  int
	RateLimit           float64
	ShutdownTimeout     time.Duration
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
	trusted := fs.String("sip-trusted", defaultSIPTrusted, "comma-separated carrier networks whose INVITEs are accepted")
	fs.BoolVar(&c.WebhookAllowPrivate, "webhook-allow-private", false, "allow webhook URLs on private and loopback addresses (development only)")
	schedule := fs.String("webhook-retry-schedule", webhook.DefaultScheduleSpec, "delay before each webhook delivery attempt, comma-separated")
	fs.DurationVar(&c.WebhookTimeout, "webhook-timeout", 10*time.Second, "how long one webhook POST may take")
	fs.IntVar(&c.WebhookConcurrency, "webhook-concurrency", 64, "webhook POSTs in flight at once")
	fs.Float64Var(&c.RateLimit, "rate-limit", 100, "API requests per second per key (0 disables)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long to let in-flight work finish on SIGTERM")
	fs.StringVar(&c.LogFormat, "log-format", "auto", "log format: json, text or auto (text on a terminal)")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := parseFlags(fs, args, getenv); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, usageError{fmt.Sprintf("serve takes no arguments, got %q", fs.Args())}
	}
	for _, s := range strings.Split(*trusted, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return c, usageError{fmt.Sprintf("--sip-trusted: %q is not a CIDR or address", s)}
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		c.SIPTrusted = append(c.SIPTrusted, p.Masked())
	}
	sched, err := webhook.ParseSchedule(*schedule)
	if err != nil {
		return c, usageError{fmt.Sprintf("--webhook-retry-schedule: %v", err)}
	}
	c.WebhookSchedule = sched
	if c.WebhookTimeout <= 0 || c.WebhookConcurrency <= 0 {
		return c, usageError{"--webhook-timeout and --webhook-concurrency must be positive"}
	}
	if err := c.LogLevel.UnmarshalText([]byte(*level)); err != nil {
		return c, usageError{fmt.Sprintf("--log-level: %v", err)}
	}
	switch c.LogFormat {
	case "auto", "json", "text":
	default:
		return c, usageError{"--log-format must be json, text or auto"}
	}
	if c.RateLimit < 0 {
		return c, usageError{"--rate-limit must not be negative"}
	}
	return c, nil
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseServeFlags(args, getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return err
	}
	m := NewMain(cfg, stdout, stderr)
	if err := m.Open(ctx); err != nil {
		m.Close(context.Background())
		return err
	}
	<-ctx.Done()
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
	httpDone   chan error
	stopWorker context.CancelFunc
	workerDone chan struct{}
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

// Open opens the store, bootstraps an empty database and starts listening.
func (m *Main) Open(ctx context.Context) error {
	store, err := openStore(ctx, m.Config.Database, switchboard.SystemClock)
	if err != nil {
		return err
	}
	// Endpoints are read on almost every request: serve them from memory.
	// Writes through the cache invalidate it at once; writes by other
	// processes (other nodes, the CLI) show within storecache.DefaultTTL.
	store = storecache.New(store, storecache.DefaultTTL, switchboard.SystemClock)
	m.store = store
	if err := m.bootstrap(ctx); err != nil {
		return err
	}
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
	api := httpapi.NewServer(store, m.logger, httpapi.Config{
		RateLimit: m.Config.RateLimit,
		OpenAPI:   spec,
		CheckWebhookURL: func(ctx context.Context, url string) error {
			return webhook.CheckURL(ctx, url, allowPrivate, net.DefaultResolver)
		},
		OnDeliveriesQueued: worker.Notify,
	})
	root := http.NewServeMux()
	root.Handle("GET /metrics", promhttp.HandlerFor(met.registry, promhttp.HandlerOpts{}))
	root.Handle("/", api)

	workerCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	m.stopWorker, m.workerDone = stop, make(chan struct{})
	go func() {
		defer close(m.workerDone)
		worker.Run(workerCtx)
	}()

	m.httpLn, err = net.Listen("tcp", m.Config.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen http %s: %w", m.Config.HTTPAddr, err)
	}
	m.httpSrv = &http.Server{
		Handler:           root,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(m.logger.Handler(), slog.LevelWarn),
	}
	m.httpDone = make(chan error, 1)
	go func() { m.httpDone <- m.httpSrv.Serve(m.httpLn) }()
	m.logger.Info("switchboard serving", "version", switchboard.Version, "http", m.httpLn.Addr().String(),
		"database", redactDSN(m.Config.Database))
	m.logger.Warn("the SIP call plane is not built yet: --sip and --sip-trusted are accepted but unused",
		"sip", m.Config.SIPAddr)
	return nil
}

// HTTPURL is the base URL of the API once Open has returned.
func (m *Main) HTTPURL() string { return "http://" + m.httpLn.Addr().String() }

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
	org, _, err := m.store.EnsureOrganization(ctx, switchboard.DefaultOrgName)
	if err != nil {
		return fmt.Errorf("create default organisation: %w", err)
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
	if m.httpSrv != nil {
		if err := m.httpSrv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down http: %w", err))
		}
		if err := <-m.httpDone; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("serve http: %w", err))
		}
		m.httpSrv = nil
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
