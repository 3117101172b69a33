package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// The SSRF guard. Webhook URLs are chosen by API callers, so without it
// any caller could make the server POST to its own loopback services, the
// private network it sits in, or the cloud metadata endpoint that hands out
// instance credentials. Two checks, both needed:
//
//   - CheckURL runs when an endpoint is saved, to give the caller a clear
//     VALIDATION_ERROR up front;
//   - SafeDialer re-checks the address actually being connected to, on
//     every dial, because a name can resolve to a public address when it
//     is saved and to 127.0.0.1 when it is delivered to (DNS rebinding).
//     Only the dial-time check is a security boundary.
//
// Documentation and benchmarking ranges (192.0.2/24, 198.51.100/24,
// 203.0.113/24, 198.18/15, 2001:db8::/32, 3fff::/20) are refused: nothing
// legitimate listens there, and some local proxies hand out fake-IP DNS
// answers from 198.18/15 that would otherwise be reachable.
//
// --webhook-allow-private lifts every rule except the cloud metadata
// addresses, which stay refused: the flag is meant for pointing webhooks at
// a receiver on the developer's machine, and if it is ever left on in a
// cloud deployment, it must not turn into a credential leak.

// DefaultTimeout is the per-attempt timeout used when NewHTTPClient is
// given none: inside the 15–30 s the Standard Webhooks spec recommends, and
// long enough for KrosAI receivers that are told to answer within 10 s.
const DefaultTimeout = 15 * time.Second

// allowPrivateHint tells the operator how to lift the guard.
const allowPrivateHint = "start serve with --webhook-allow-private for development"

// ErrBlockedAddress is matched (errors.Is) by every refusal of the SSRF
// guard, including a refused dial wrapped inside *url.Error and
// *net.OpError by net/http, so the delivery worker can tell "we refused"
// from "the receiver is down".
var ErrBlockedAddress = errors.New("webhook: address not allowed")

// BlockedError is the refusal of one address.
type BlockedError struct {
	Addr     netip.Addr
	Reason   string // e.g. "loopback", "cloud metadata service"
	Metadata bool   // refused even with --webhook-allow-private
}

// Error says what was refused and, unless the flag cannot help, how to
// allow it.
func (e *BlockedError) Error() string {
	if e.Metadata {
		return fmt.Sprintf("webhook: refusing to connect to %s: %s address (never allowed)", e.Addr, e.Reason)
	}
	return fmt.Sprintf("webhook: refusing to connect to %s: %s address (%s)", e.Addr, e.Reason, allowPrivateHint)
}

// Unwrap makes errors.Is(err, ErrBlockedAddress) true.
func (e *BlockedError) Unwrap() error { return ErrBlockedAddress }

// metadataAddrs are cloud instance-metadata and host-agent addresses.
// They hand out credentials, so they are refused even when private
// addresses are allowed.
var metadataAddrs = map[netip.Addr]string{
	netip.MustParseAddr("169.254.169.254"): "AWS, GCP, Azure, OCI, DigitalOcean",
	netip.MustParseAddr("169.254.170.2"):   "AWS ECS task credentials",
	netip.MustParseAddr("fd00:ec2::254"):   "AWS IMDS over IPv6",
	netip.MustParseAddr("100.100.100.200"): "Alibaba Cloud",
	netip.MustParseAddr("168.63.129.16"):   "Azure WireServer",
}

type rangeRule struct {
	prefix netip.Prefix
	reason string
}

// v4Rules is checked in order; more specific prefixes come first so the
// reason is the most precise one.
var v4Rules = rules(
	"0.0.0.0/32", "unspecified",
	"0.0.0.0/8", `"this network" (0.0.0.0/8)`,
	"10.0.0.0/8", "private (RFC 1918)",
	"100.64.0.0/10", "shared (CGNAT, 100.64.0.0/10)",
	"127.0.0.0/8", "loopback",
	"169.254.0.0/16", "link-local",
	"172.16.0.0/12", "private (RFC 1918)",
	"192.0.0.0/24", "IETF protocol assignment (192.0.0.0/24)",
	"192.0.2.0/24", "documentation (192.0.2.0/24)",
	"192.88.99.0/24", "6to4 relay anycast (192.88.99.0/24)",
	"192.168.0.0/16", "private (RFC 1918)",
	"198.18.0.0/15", "benchmarking (198.18.0.0/15)",
	"198.51.100.0/24", "documentation (198.51.100.0/24)",
	"203.0.113.0/24", "documentation (203.0.113.0/24)",
	"224.0.0.0/4", "multicast",
	"255.255.255.255/32", "broadcast",
	"240.0.0.0/4", "reserved (240.0.0.0/4)",
)

// v6Rules is checked in order after the forms that embed an IPv4 address
// have been unwrapped. Anything outside 2000::/3 that no rule names is
// refused as well (see globalUnicast), so new IANA special ranges are
// refused by default rather than allowed by default.
var v6Rules = rules(
	"::/128", "unspecified",
	"::1/128", "loopback",
	"64:ff9b:1::/48", "local-use NAT64 (64:ff9b:1::/48)",
	"100::/64", "discard-only (100::/64)",
	"fc00::/7", "unique local (fc00::/7)",
	"fe80::/10", "link-local",
	"fec0::/10", "site-local (deprecated)",
	"ff00::/8", "multicast",
	"2001:db8::/32", "documentation (2001:db8::/32)",
	"2001::/23", "IETF protocol assignment (2001::/23, incl. Teredo)",
	"3fff::/20", "documentation (3fff::/20)",
)

var globalUnicast = netip.MustParsePrefix("2000::/3")

// Prefixes of IPv6 forms that carry an IPv4 address a packet ends up at.
var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052: v4 in the last 32 bits
	sixToFour   = netip.MustParsePrefix("2002::/16")    // RFC 3056: v4 in bits 16..47
)

func rules(pairs ...string) []rangeRule {
	out := make([]rangeRule, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, rangeRule{netip.MustParsePrefix(pairs[i]), pairs[i+1]})
	}
	return out
}

// BlockedReason classifies addr: it returns why a webhook delivery must not
// connect to it ("loopback", "private (RFC 1918)", "NAT64 form of
// loopback", …), or "" for a public unicast address. IPv4-mapped
// (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are
// judged by the IPv4 address they reach, so ::ffff:127.0.0.1 is loopback
// while 64:ff9b::8.8.8.8 is public. It ignores allowPrivate; see CheckAddr.
func BlockedReason(addr netip.Addr) string {
	r, _ := classify(addr)
	return r
}

// CheckAddr applies the delivery policy to one address: nil when a
// delivery may connect to it, else a *BlockedError. allowPrivate
// (--webhook-allow-private) allows everything but the cloud metadata
// addresses.
func CheckAddr(addr netip.Addr, allowPrivate bool) error {
	if b := checkAddr(addr, allowPrivate); b != nil {
		return b
	}
	return nil // not a typed nil: callers compare with nil
}

func checkAddr(addr netip.Addr, allowPrivate bool) *BlockedError {
	reason, metadata := classify(addr)
	if reason == "" || (allowPrivate && !metadata) {
		return nil
	}
	return &BlockedError{Addr: addr, Reason: reason, Metadata: metadata}
}

// classify returns the refusal reason ("" if none) and whether addr is a
// cloud metadata address in any of its forms.
func classify(addr netip.Addr) (reason string, metadata bool) {
	if !addr.IsValid() {
		return "invalid", false
	}
	// A zone only picks the interface of a link-local address; it does not
	// change where the packet goes.
	addr = addr.WithZone("")
	if addr.Is4In6() {
		return embedded("IPv4-mapped", addr.Unmap())
	}
	if addr.Is6() {
		b := addr.As16()
		switch {
		case nat64Prefix.Contains(addr):
			return embedded("NAT64", netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(addr):
			return embedded("6to4", netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	if _, ok := metadataAddrs[addr]; ok {
		return "cloud metadata service", true
	}
	table := v4Rules
	if addr.Is6() {
		table = v6Rules
	}
	for _, r := range table {
		if r.prefix.Contains(addr) {
			return r.reason, false
		}
	}
	if addr.Is6() && !globalUnicast.Contains(addr) {
		return "non-global (outside 2000::/3)", false
	}
	return "", false
}

// embedded classifies the IPv4 address carried inside an IPv6 form.
func embedded(form string, v4 netip.Addr) (string, bool) {
	r, m := classify(v4)
	if r == "" {
		return "", false
	}
	return form + " form of " + r, m
}

// DefaultLookupTimeout bounds the DNS lookup of a URL's host when an
// endpoint is saved. The lookup runs inside the API request, and a lost UDP
// answer otherwise costs the resolver's own retry timeout (5 s with glibc's
// defaults); a name that does not answer in time is accepted like one that
// does not resolve, since the dialer checks every address it connects to.
const DefaultLookupTimeout = 2 * time.Second

// URLGuard is the check of webhook URLs made when an endpoint or a
// subscription is saved; CheckURL is its form with the default timeout.
type URLGuard struct {
	// AllowPrivate is --webhook-allow-private: every rule is lifted except
	// the cloud metadata ones, and host names are not resolved.
	AllowPrivate bool
	// Resolver resolves host names; nil means net.DefaultResolver.
	Resolver *net.Resolver
	// LookupTimeout bounds one lookup; 0 means DefaultLookupTimeout.
	LookupTimeout time.Duration
}

// CheckURL is URLGuard{AllowPrivate: allowPrivate, Resolver: resolver}.Check.
func CheckURL(ctx context.Context, rawURL string, allowPrivate bool, resolver *net.Resolver) error {
	return URLGuard{AllowPrivate: allowPrivate, Resolver: resolver}.Check(ctx, rawURL)
}

// Check validates a webhook URL when an endpoint is created or updated:
// an absolute http(s) URL (the root package's ValidateWebhookURL rules)
// whose host is a public address, or a public name all of whose addresses
// are public (or that does not resolve, or not within LookupTimeout: the
// dialer checks it again). Refusals are *switchboard.Error
// VALIDATION_ERRORs naming the field "url", with a message that says how
// to allow private targets.
//
// Names that can only mean something inside the server's own network are
// refused without a lookup (see internalName): a trailing dot, single-label
// names, localhost and the special-use and private-use suffixes, and the
// names of cloud metadata services (refused even with AllowPrivate).
//
// ANY non-public address refuses the URL, not just the first: the dialer
// may pick any of them. Messages never include the addresses a name
// resolved to, so Check cannot be used to map internal DNS.
//
// With AllowPrivate, host names are not resolved at all: development and
// test setups often have no DNS, and the dialer still enforces the
// metadata rule at delivery time. If ctx ends during resolution, ctx's
// error is returned (not a validation error: the URL may be fine).
func (g URLGuard) Check(ctx context.Context, rawURL string) error {
	if err := switchboard.ValidateWebhookURL(rawURL); err != nil {
		return err
	}
	u, err := url.Parse(rawURL)
	if err != nil { // unreachable after ValidateWebhookURL; kept so a rule change there cannot panic here
		return switchboard.FieldError("url", "url must be an absolute http or https URL")
	}
	host := u.Hostname()
	if host == "" {
		return switchboard.FieldError("url", "url must name a host")
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		if b := checkAddr(addr, g.AllowPrivate); b != nil {
			return refusal(host, b, false)
		}
		return nil
	}
	if numericHost(host) {
		// "127.1", "2130706433" or "0x7f.0.0.1" are not IP literals to Go,
		// but C resolvers (inet_aton) turn them into addresses; refuse the
		// ambiguity instead of betting on which resolver runs.
		return switchboard.FieldError("url", "url host %q is neither a dotted IP address nor a host name", host)
	}
	if reason, metadata := internalName(host); reason != "" && (metadata || !g.AllowPrivate) {
		if metadata {
			return switchboard.FieldError("url", "url host %q is %s, which webhooks may never target", host, reason)
		}
		return switchboard.FieldError("url", "url host %q is %s; webhooks must target the public internet (%s)", host, reason, allowPrivateHint)
	}
	if g.AllowPrivate {
		return nil
	}
	resolver := g.Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	timeout := g.LookupTimeout
	if timeout <= 0 {
		timeout = DefaultLookupTimeout
	}
	lookupCtx, cancel := context.WithTimeout(ctx, timeout)
	addrs, err := resolver.LookupNetIP(lookupCtx, "ip", host)
	cancel()
	if err != nil || len(addrs) == 0 {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// A name that does not resolve (yet, or not within the timeout)
		// is accepted: the receiver may be set up after the subscription,
		// and the dialer re-checks every address it connects to, which is
		// the real boundary. Refusing here would only turn a DNS hiccup
		// into a failed API call.
		return nil
	}
	for _, a := range addrs {
		if b := checkAddr(a, false); b != nil {
			return refusal(host, b, true)
		}
	}
	return nil
}

// metadataNames are the DNS names of cloud instance-metadata services
// (the addresses they resolve to are in metadataAddrs). Like the
// addresses, they are refused even with --webhook-allow-private.
var metadataNames = map[string]bool{
	"metadata":                   true, // GCP, through the instance's search domain
	"metadata.google.internal":   true, // GCP
	"metadata.goog":              true, // GCP
	"instance-data":              true, // AWS, through the search domain
	"instance-data.ec2.internal": true, // AWS
	"metadata.tencentyun.com":    true, // Tencent Cloud
}

// internalSuffixes are names that never resolve on the public internet:
// special-use names (RFC 6761 localhost, RFC 6762 local, RFC 8375
// home.arpa), ICANN's private-use internal, and the suffixes private
// networks habitually use and ICANN will not delegate (SAC113).
var internalSuffixes = []string{
	"localhost", "local", "home.arpa", "internal",
	"localdomain", "lan", "intranet", "corp", "home", "private",
}

// internalName says why a host name (not an IP literal) can only name
// something inside the server's own network, and whether it names a cloud
// metadata service; "" when it may be a public name. Such names are
// refused before any lookup: what they resolve to depends on the server's
// hosts file and search domains, which a tenant must not probe.
func internalName(host string) (reason string, metadata bool) {
	name := strings.ToLower(host)
	if metadataNames[strings.TrimSuffix(name, ".")] {
		return "a cloud metadata service name", true
	}
	if strings.HasSuffix(name, ".") {
		return "a name ending in a dot", false
	}
	for _, s := range internalSuffixes {
		if name == s || strings.HasSuffix(name, "."+s) {
			return "a name that only resolves inside private networks (." + s + ")", false
		}
	}
	if !strings.Contains(name, ".") {
		return "a single-label name, which only resolves through local search domains", false
	}
	return "", false
}

// refusal turns a BlockedError into the caller-facing validation error.
func refusal(host string, b *BlockedError, resolved bool) error {
	subject := fmt.Sprintf("url host %s is a", host)
	if resolved {
		subject = fmt.Sprintf("url host %q resolves to a", host)
	}
	if b.Metadata {
		return switchboard.FieldError("url", "%s %s address, which webhooks may never target", subject, b.Reason)
	}
	return switchboard.FieldError("url", "%s %s address; webhooks must target the public internet (%s)", subject, b.Reason, allowPrivateHint)
}

// numericHost reports whether host's last label is all digits or 0x-hex.
// No top-level domain is numeric (RFC 3696 §2), so such a host can only be
// an IPv4 address in one of the legacy shorthand forms.
func numericHost(host string) bool {
	host = strings.TrimSuffix(host, ".")
	last := host[strings.LastIndexByte(host, '.')+1:]
	if h, ok := strings.CutPrefix(strings.ToLower(last), "0x"); ok {
		last = h
		return strings.Trim(last, "0123456789abcdef") == ""
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}

// SafeDialer returns a dialer whose Control hook runs CheckAddr on the
// address actually being connected to, after DNS resolution, on every
// connection attempt (Happy Eyeballs tries each address separately). That
// is the check DNS rebinding cannot get around. A refusal comes back from
// the HTTP client as an error matching ErrBlockedAddress, for the delivery
// worker to record. Only TCP is allowed: webhooks are HTTP.
func SafeDialer(allowPrivate bool) *net.Dialer {
	return &net.Dialer{
		Timeout:   10 * time.Second,
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			if network != "tcp4" && network != "tcp6" {
				return fmt.Errorf("%w: network %s", ErrBlockedAddress, network)
			}
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: unparsable address %q", ErrBlockedAddress, address)
			}
			return CheckAddr(ap.Addr(), allowPrivate)
		},
	}
}
