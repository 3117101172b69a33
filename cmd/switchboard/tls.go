package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// certReloader serves the node's TLS certificate from PEM files, re-read
// on Reload (SIGHUP) while the listener stays open: every handshake takes
// whichever certificate is current, so a renewed one reaches the next
// connection and live connections are not dropped.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger
	cur               atomic.Pointer[tls.Certificate]
}

// newCertReloader loads the certificate and key; a node does not start
// without them.
func newCertReloader(certFile, keyFile string, log *slog.Logger) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, log: log}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *certReloader) load() error {
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("load TLS certificate %s and key %s: %w", r.certFile, r.keyFile, err)
	}
	r.cur.Store(&cert)
	return nil
}

// Reload re-reads the files. A file that cannot be used leaves the
// current certificate in place; the error is logged here, once per
// reload, and returned.
func (r *certReloader) Reload() error {
	if err := r.load(); err != nil {
		r.log.Error("TLS certificate not reloaded; still serving the previous one", "err", err)
		return err
	}
	r.log.Info("TLS certificate reloaded", "cert", r.certFile)
	return nil
}

// GetCertificate is tls.Config.GetCertificate.
func (r *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cur.Load(), nil
}

// loadRoots returns the system's roots plus the PEM certificates of file,
// for the private CAs of agents (and tests); nil (the system's roots)
// when file is "".
func loadRoots(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--sip-tls-ca: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool() // no system roots here: the file's only
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--sip-tls-ca %s: no PEM certificate in it", file)
	}
	return pool, nil
}

// certs are the node's reloadable certificates: the SIP TLS listener's
// and the HTTPS listener's, those it has.
func (m *Main) certs() []*certReloader {
	var out []*certReloader
	for _, r := range []*certReloader{m.tlsCert, m.httpCert} {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}

// ReloadTLS re-reads every TLS certificate and key, SIP's and HTTPS's
// (what SIGHUP does); without --sip-tls or --http-tls-cert there is
// nothing to reload.
func (m *Main) ReloadTLS() error {
	certs := m.certs()
	if len(certs) == 0 {
		return errors.New("no TLS listener (--sip-tls, --http-tls-cert) to reload")
	}
	var errs []error
	for _, r := range certs {
		errs = append(errs, r.Reload())
	}
	return errors.Join(errs...)
}

// waitReloading waits for ctx to end, reloading the TLS certificates on
// each SIGHUP meanwhile. Without a TLS listener SIGHUP keeps its default
// meaning (the process ends).
func (m *Main) waitReloading(ctx context.Context) {
	if len(m.certs()) == 0 {
		<-ctx.Done()
		return
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			_ = m.ReloadTLS() // each failure logged by Reload
		}
	}
}

// openHTTPTLS loads the HTTPS certificate (--http-tls-cert) and returns
// the listener's TLS configuration, or nil for plain HTTP.
func (m *Main) openHTTPTLS() (*tls.Config, error) {
	if m.Config.HTTPTLSCert == "" {
		return nil, nil
	}
	r, err := newCertReloader(m.Config.HTTPTLSCert, m.Config.HTTPTLSKey, m.logger)
	if err != nil {
		return nil, fmt.Errorf("--http-tls-cert/--http-tls-key: %w", err)
	}
	m.httpCert = r
	return &tls.Config{GetCertificate: r.GetCertificate, MinVersion: tls.VersionTLS12}, nil
}

// checkTLSFlags refuses a TLS listener without its certificate and key,
// a certificate or key without the listener (one that would be silently
// unused), and an HTTPS certificate without its key or the reverse.
func checkTLSFlags(c ServeConfig) error {
	switch {
	case c.SIPTLSAddr != "" && (c.SIPTLSCert == "" || c.SIPTLSKey == ""):
		return usageError{"--sip-tls needs --sip-tls-cert and --sip-tls-key (PEM files of the node's certificate and private key)"}
	case c.SIPTLSAddr == "" && (c.SIPTLSCert != "" || c.SIPTLSKey != ""):
		return usageError{"--sip-tls-cert and --sip-tls-key are used only with --sip-tls ADDR"}
	case (c.HTTPTLSCert == "") != (c.HTTPTLSKey == ""):
		return usageError{"--http-tls-cert and --http-tls-key go together: set both (HTTPS) or neither (plain HTTP)"}
	}
	return nil
}

// edgeTLS is what the SIP edge needs for TLS: the listener's certificate
// (nil without --sip-tls) and the roots that verify agents.
type edgeTLS struct {
	cert  func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	roots *x509.CertPool
}

// openTLS loads the TLS listener's certificate and the dialling roots.
func (m *Main) openTLS() (edgeTLS, error) {
	var out edgeTLS
	roots, err := loadRoots(m.Config.SIPTLSCA)
	if err != nil {
		return out, err
	}
	out.roots = roots
	if m.Config.SIPTLSAddr != "" {
		r, err := newCertReloader(m.Config.SIPTLSCert, m.Config.SIPTLSKey, m.logger)
		if err != nil {
			return out, fmt.Errorf("--sip-tls-cert/--sip-tls-key: %w", err)
		}
		m.tlsCert, out.cert = r, r.GetCertificate
	}
	return out, nil
}

// SIPTLSAddr is the address of the SIP TLS listener once Open has
// returned ("" without --sip-tls).
func (m *Main) SIPTLSAddr() string { return m.edge.TLSAddr() }
