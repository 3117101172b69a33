package switchboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// A trunk is an organisation's carrier connection (DESIGN §10): where its
// outbound calls go and how to authenticate to the carrier, and which
// networks its inbound calls come from.

// Trunk transports.
const (
	TransportUDP = "udp"
	TransportTCP = "tcp"
	TransportTLS = "tls"
)

// Number formats: how a trunk wants the E.164 numbers of the Request-URI
// and From, with the + (e164) or without it (no_plus).
const (
	NumberFormatE164   = "e164"
	NumberFormatNoPlus = "no_plus"
)

// Trunk limits.
const (
	MaxTrunkName          = 100
	maxTrunkFailover      = 4
	maxTrunkInbound       = 50
	maxTrunkAddress       = 255
	maxTrunkCredential    = 128
	maxTechPrefix         = 16
	MaxTrunkConcurrent    = 1_000_000
	minInboundPrefixBits4 = 8  // an IPv4 network no wider than a /8
	minInboundPrefixBits6 = 32 // an IPv6 network no wider than a /32
)

// Trunk is an organisation's carrier connection. AuthPassword is the
// digest password to the carrier: the SIP edge needs it in clear, so it is
// stored, but it is write-only: it is never serialised (responses and
// events show has_auth_password instead).
type Trunk struct {
	ID                 string            `json:"id"`
	OrganizationID     string            `json:"organization_id"`
	Name               string            `json:"name"`
	Address            string            `json:"address"`
	FailoverAddresses  []string          `json:"failover_addresses"`
	Transport          string            `json:"transport"`
	AuthUsername       string            `json:"auth_username"`
	AuthPassword       string            `json:"-"`
	Headers            map[string]string `json:"headers"`
	NumberFormat       string            `json:"number_format"`
	TechPrefix         string            `json:"tech_prefix"`
	MaxConcurrentCalls int               `json:"max_concurrent_calls"`
	Status             string            `json:"status"`
	Default            bool              `json:"default"`
	InboundAddresses   []string          `json:"inbound_addresses"`
	CreatedAt          time.Time         `json:"created_at"`
	UpdatedAt          time.Time         `json:"updated_at"`
}

// MarshalJSON is the one view of a trunk, in responses and events alike:
// every field but the password, whether it has one, and empty lists and
// objects as [] and {} rather than null.
func (t *Trunk) MarshalJSON() ([]byte, error) {
	type plain Trunk // without this method
	v := struct {
		*plain
		HasAuthPassword bool `json:"has_auth_password"`
	}{(*plain)(t), t.AuthPassword != ""}
	if v.FailoverAddresses == nil || v.InboundAddresses == nil || v.Headers == nil {
		c := *t
		c.FailoverAddresses = orEmpty(c.FailoverAddresses)
		c.InboundAddresses = orEmpty(c.InboundAddresses)
		if c.Headers == nil {
			c.Headers = map[string]string{}
		}
		v.plain = (*plain)(&c)
	}
	return json.Marshal(v)
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// TrunkInput is the body of a create request.
type TrunkInput struct {
	Name               string            `json:"name"`
	Address            string            `json:"address"`
	FailoverAddresses  []string          `json:"failover_addresses"`
	Transport          string            `json:"transport"`
	AuthUsername       string            `json:"auth_username"`
	AuthPassword       string            `json:"auth_password"`
	Headers            map[string]string `json:"headers"`
	NumberFormat       string            `json:"number_format"`
	TechPrefix         string            `json:"tech_prefix"`
	MaxConcurrentCalls int               `json:"max_concurrent_calls"`
	Status             string            `json:"status"`
	Default            bool              `json:"default"`
	InboundAddresses   []string          `json:"inbound_addresses"`
}

// TrunkPatch is the body of a trunk PATCH: absent fields stay, null clears
// an optional field (or restores a default) and is refused for required
// ones.
type TrunkPatch struct {
	Name               Optional[string]            `json:"name,omitzero"`
	Address            Optional[string]            `json:"address,omitzero"`
	FailoverAddresses  Optional[[]string]          `json:"failover_addresses,omitzero"`
	Transport          Optional[string]            `json:"transport,omitzero"`
	AuthUsername       Optional[string]            `json:"auth_username,omitzero"`
	AuthPassword       Optional[string]            `json:"auth_password,omitzero"`
	Headers            Optional[map[string]string] `json:"headers,omitzero"`
	NumberFormat       Optional[string]            `json:"number_format,omitzero"`
	TechPrefix         Optional[string]            `json:"tech_prefix,omitzero"`
	MaxConcurrentCalls Optional[int]               `json:"max_concurrent_calls,omitzero"`
	Status             Optional[string]            `json:"status,omitzero"`
	Default            Optional[bool]              `json:"default,omitzero"`
	InboundAddresses   Optional[[]string]          `json:"inbound_addresses,omitzero"`
}

// NewTrunk builds a trunk from a create request, with the defaults (udp,
// e164, active) and its addresses normalised, and validates it.
func NewTrunk(in TrunkInput) (*Trunk, error) {
	t := &Trunk{
		Name: in.Name, Address: in.Address, FailoverAddresses: in.FailoverAddresses,
		Transport: in.Transport, AuthUsername: in.AuthUsername, AuthPassword: in.AuthPassword,
		Headers: in.Headers, NumberFormat: in.NumberFormat, TechPrefix: in.TechPrefix,
		MaxConcurrentCalls: in.MaxConcurrentCalls, Status: in.Status, Default: in.Default,
		InboundAddresses: in.InboundAddresses,
	}
	if err := t.normalize(); err != nil {
		return nil, err
	}
	return t, nil
}

// Apply applies a PATCH to t and validates the result; t is unchanged.
func (t *Trunk) Apply(p TrunkPatch) (*Trunk, error) {
	n := *t
	for _, f := range []struct {
		name string
		opt  Optional[string]
		dst  *string
	}{
		{"name", p.Name, &n.Name}, {"address", p.Address, &n.Address},
		{"transport", p.Transport, &n.Transport}, {"number_format", p.NumberFormat, &n.NumberFormat},
		{"status", p.Status, &n.Status},
		// null clears these, or restores the default of the three above
		{"auth_username", p.AuthUsername, &n.AuthUsername}, {"auth_password", p.AuthPassword, &n.AuthPassword},
		{"tech_prefix", p.TechPrefix, &n.TechPrefix},
	} {
		if !f.opt.Set {
			continue
		}
		if f.opt.Null && (f.name == "name" || f.name == "address") {
			return nil, FieldError(f.name, "%s cannot be null", f.name)
		}
		*f.dst = f.opt.Value // "" when null
	}
	if p.FailoverAddresses.Set {
		n.FailoverAddresses = p.FailoverAddresses.Value
	}
	if p.InboundAddresses.Set {
		n.InboundAddresses = p.InboundAddresses.Value
	}
	if p.Headers.Set {
		n.Headers = p.Headers.Value
	}
	if p.MaxConcurrentCalls.Set {
		n.MaxConcurrentCalls = p.MaxConcurrentCalls.Value // null is 0, unlimited
	}
	if p.Default.Set {
		if p.Default.Null {
			return nil, FieldError("default", "default cannot be null")
		}
		n.Default = p.Default.Value
	}
	// Clearing the username clears the password: one without the other
	// means nothing to a carrier.
	if p.AuthUsername.Set && n.AuthUsername == "" && !p.AuthPassword.Set {
		n.AuthPassword = ""
	}
	if err := n.normalize(); err != nil {
		return nil, err
	}
	return &n, nil
}

// normalize fills the defaults, folds the enumerations' case, normalises
// the addresses and validates the result.
func (t *Trunk) normalize() error {
	t.Name = strings.TrimSpace(t.Name)
	t.Address = strings.TrimSpace(t.Address)
	t.Transport = strings.ToLower(strings.TrimSpace(t.Transport))
	if t.Transport == "" {
		t.Transport = TransportUDP
	}
	t.NumberFormat = strings.ToLower(strings.TrimSpace(t.NumberFormat))
	if t.NumberFormat == "" {
		t.NumberFormat = NumberFormatE164
	}
	if t.Status == "" {
		t.Status = StatusActive
	}
	if len(t.FailoverAddresses) == 0 {
		t.FailoverAddresses = nil
	}
	if len(t.Headers) == 0 {
		t.Headers = nil
	}
	if len(t.InboundAddresses) > maxTrunkInbound {
		return FieldError("inbound_addresses", "at most %d inbound addresses", maxTrunkInbound)
	}
	var inbound []string
	for i, a := range t.InboundAddresses {
		p, err := NormalizeInboundAddress(a)
		if err != nil {
			return &Error{Code: ECodeValidation, Message: ErrorMessage(err),
				Details: map[string]any{"field": "inbound_addresses", "index": i}}
		}
		if !slices.Contains(inbound, p) {
			inbound = append(inbound, p)
		}
	}
	t.InboundAddresses = inbound
	return t.Validate()
}

// Validate checks the rules every stored trunk obeys.
func (t *Trunk) Validate() error {
	if t.Name == "" {
		return FieldError("name", "name is required")
	}
	if utf8.RuneCountInString(t.Name) > MaxTrunkName || !utf8.ValidString(t.Name) || strings.ContainsAny(t.Name, "\r\n\x00") {
		return FieldError("name", "name must be 1 to %d characters on one line", MaxTrunkName)
	}
	if t.Address == "" {
		return FieldError("address", "address (host[:port] of the carrier) is required")
	}
	if err := ValidateTrunkAddress(t.Address); err != nil {
		return FieldError("address", "%s", ErrorMessage(err))
	}
	if len(t.FailoverAddresses) > maxTrunkFailover {
		return FieldError("failover_addresses", "at most %d failover addresses", maxTrunkFailover)
	}
	for i, a := range t.FailoverAddresses {
		if err := ValidateTrunkAddress(a); err != nil {
			return &Error{Code: ECodeValidation, Message: "failover_addresses: " + ErrorMessage(err),
				Details: map[string]any{"field": "failover_addresses", "index": i}}
		}
		if a == t.Address || slices.Index(t.FailoverAddresses, a) < i {
			return &Error{Code: ECodeValidation, Message: "failover_addresses: " + a + " is listed twice",
				Details: map[string]any{"field": "failover_addresses", "index": i}}
		}
	}
	switch t.Transport {
	case TransportUDP, TransportTCP, TransportTLS:
	default:
		return FieldError("transport", "transport must be udp, tcp or tls")
	}
	for _, f := range []struct{ name, v string }{{"auth_username", t.AuthUsername}, {"auth_password", t.AuthPassword}} {
		if len(f.v) > maxTrunkCredential || !utf8.ValidString(f.v) || strings.ContainsAny(f.v, "\r\n\x00\"") {
			return FieldError(f.name, "%s must be at most %d characters, without quotes or line breaks", f.name, maxTrunkCredential)
		}
	}
	if (t.AuthUsername == "") != (t.AuthPassword == "") {
		return FieldError("auth_password", "auth_username and auth_password go together: set both or neither")
	}
	if err := ValidateHeaders(t.Headers); err != nil {
		return err
	}
	if t.NumberFormat != NumberFormatE164 && t.NumberFormat != NumberFormatNoPlus {
		return FieldError("number_format", "number_format must be e164 or no_plus")
	}
	if len(t.TechPrefix) > maxTechPrefix || strings.Trim(t.TechPrefix, "0123456789#*") != "" {
		return FieldError("tech_prefix", "tech_prefix must be at most %d digits, # or *", maxTechPrefix)
	}
	if t.MaxConcurrentCalls < 0 || t.MaxConcurrentCalls > MaxTrunkConcurrent {
		return FieldError("max_concurrent_calls", "max_concurrent_calls must be 0 (unlimited) to %d", MaxTrunkConcurrent)
	}
	if t.Status != StatusActive && t.Status != StatusInactive {
		return FieldError("status", "status must be active or inactive")
	}
	for i, a := range t.InboundAddresses {
		if p, err := NormalizeInboundAddress(a); err != nil || p != a {
			return &Error{Code: ECodeValidation, Message: "inbound_addresses must be normalised CIDRs",
				Details: map[string]any{"field": "inbound_addresses", "index": i}}
		}
	}
	return nil
}

// ValidateTrunkAddress checks a carrier address: host[:port], where host is
// a DNS name or an IP address (IPv6 in brackets when a port follows), with
// no sip: scheme, user or parameters; the transport is its own field.
func ValidateTrunkAddress(a string) error {
	if a == "" || len(a) > maxTrunkAddress {
		return Errorf(ECodeValidation, "address must be host[:port], at most %d characters", maxTrunkAddress)
	}
	if l := strings.ToLower(a); strings.HasPrefix(l, "sip:") || strings.HasPrefix(l, "sips:") || strings.Contains(l, "://") {
		return Errorf(ECodeValidation, "address %q must be host[:port], without a scheme", a)
	}
	if strings.ContainsAny(a, "@;?/ \t\r\n\x00") {
		return Errorf(ECodeValidation, "address %q must be host[:port], without a user or parameters", a)
	}
	host, _, e := splitSIPHostPort(a) // the rule of a SIP URI's host and port
	if e != nil {
		return Errorf(ECodeValidation, "address %q must be host[:port]: %s", a, e.Message)
	}
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil && ip.IsUnspecified() {
		return Errorf(ECodeValidation, "address %q is not a usable IP address", a)
	}
	return nil
}

// NormalizeInboundAddress returns an IP address or network as a CIDR with
// its host bits cleared (192.0.2.7 → 192.0.2.7/32, 10.1.2.3/8 →
// 10.0.0.0/8; an IPv4-mapped IPv6 address as IPv4). Networks wider than a
// /8 (IPv4) or /32 (IPv6) are refused: they would trust a good part of the
// internet with the organisation's numbers.
func NormalizeInboundAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return "", Errorf(ECodeValidation, "inbound address %q is not an IP address or CIDR", s)
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return "", Errorf(ECodeValidation, "inbound address %q is not an IP address or CIDR", s)
		}
		a = a.Unmap()
		p = netip.PrefixFrom(a, a.BitLen())
	}
	p = p.Masked()
	if (p.Addr().Is4() && p.Bits() < minInboundPrefixBits4) || (p.Addr().Is6() && p.Bits() < minInboundPrefixBits6) {
		return "", Errorf(ECodeValidation, "inbound address %q is too wide: at most a /%d (IPv4) or /%d (IPv6)",
			s, minInboundPrefixBits4, minInboundPrefixBits6)
	}
	return p.String(), nil
}

// Why SelectTrunk chose a trunk, or found none.
const (
	TrunkOfNumber      = "number_trunk"      // the number's trunk_id
	TrunkOnlyActive    = "only_active_trunk" // the organisation's only active trunk
	TrunkDefault       = "default_trunk"     // the one marked default
	NoTrunkInactive    = "number_trunk_inactive"
	NoTrunkNone        = "no_active_trunk"
	NoTrunkNoDefault   = "several_trunks_no_default"
	NoTrunkNumberTrunk = "number_trunk_missing"
)

// SelectTrunk returns the trunk a call from the number goes out through,
// given the organisation's trunks, and why: the number's own trunk (which
// must be active: a number pinned to a trunk never silently takes
// another), else the organisation's only active trunk, else its active
// default trunk. With none it returns nil and the reason.
func SelectTrunk(pn *PhoneNumber, trunks []*Trunk) (*Trunk, string) {
	if pn != nil && pn.TrunkID != nil {
		for _, t := range trunks {
			if t.ID == *pn.TrunkID {
				if t.Status != StatusActive {
					return nil, NoTrunkInactive
				}
				return t, TrunkOfNumber
			}
		}
		return nil, NoTrunkNumberTrunk
	}
	var active []*Trunk
	for _, t := range trunks {
		if t.Status == StatusActive {
			active = append(active, t)
		}
	}
	switch len(active) {
	case 0:
		return nil, NoTrunkNone
	case 1:
		return active[0], TrunkOnlyActive
	}
	for _, t := range active {
		if t.Default {
			return t, TrunkDefault
		}
	}
	return nil, NoTrunkNoDefault
}

// TrunkFilter selects trunks in a list.
type TrunkFilter struct {
	Status string // "", active or inactive
	Page
}

// TrunkService manages trunks. Every method is scoped to one organisation;
// another organisation's trunk is TRUNK_NOT_FOUND.
type TrunkService interface {
	// CreateTrunk stores t; when t is the default, the organisation's
	// previous default stops being one.
	CreateTrunk(ctx context.Context, orgID string, t *Trunk) error
	FindTrunk(ctx context.Context, orgID, id string) (*Trunk, error)
	ListTrunks(ctx context.Context, orgID string, f TrunkFilter) ([]*Trunk, int, error)
	// UpdateTrunk applies the patch in one transaction.
	UpdateTrunk(ctx context.Context, orgID, id string, p TrunkPatch) (*Trunk, error)
	// DeleteTrunk deletes the trunk and detaches every number that used
	// it, returning how many were detached.
	DeleteTrunk(ctx context.Context, orgID, id string) (detached int, err error)
}

// TrunkColumns are the stored columns of a trunk, in the order of
// ColumnValues and TrunkScan.Dest: the key, then TrunkValueColumns.
const TrunkColumns = "id, organization_id, " + TrunkValueColumns

// TrunkValueColumns are the trunk's columns after its key, the ones an
// update writes.
const TrunkValueColumns = "name, address, failover_addresses, transport, auth_username, auth_password, " +
	"headers, number_format, tech_prefix, max_concurrent_calls, status, is_default, inbound_addresses, " +
	"created_at, updated_at"

// ColumnValues returns t's stored columns in TrunkColumns order.
func (t *Trunk) ColumnValues(c *ColumnCodec) ([]any, error) {
	headers, err := headersColumn(t.Headers)
	if err != nil {
		return nil, fmt.Errorf("trunk %s: %w", t.ID, err)
	}
	return []any{t.ID, t.OrganizationID, t.Name, t.Address, c.List(orEmpty(t.FailoverAddresses)), t.Transport,
		t.AuthUsername, t.AuthPassword, headers, t.NumberFormat, t.TechPrefix, t.MaxConcurrentCalls, t.Status,
		t.Default, c.List(orEmpty(t.InboundAddresses)), c.Time(t.CreatedAt), c.Time(t.UpdatedAt)}, nil
}

// TrunkScan reads one stored trunk: scan a row into Dest, then take Trunk.
type TrunkScan struct {
	t       Trunk
	headers nullText
}

// Dest returns the scan destinations of TrunkColumns, in order.
func (s *TrunkScan) Dest(c *ColumnCodec) []any {
	t := &s.t
	return []any{&t.ID, &t.OrganizationID, &t.Name, &t.Address, c.ListDest(&t.FailoverAddresses), &t.Transport,
		&t.AuthUsername, &t.AuthPassword, &s.headers, &t.NumberFormat, &t.TechPrefix, &t.MaxConcurrentCalls,
		&t.Status, &t.Default, c.ListDest(&t.InboundAddresses), c.TimeDest(&t.CreatedAt), c.TimeDest(&t.UpdatedAt)}
}

// Trunk decodes the scanned columns.
func (s *TrunkScan) Trunk() (*Trunk, error) {
	t := s.t
	if s.headers.valid {
		if err := json.Unmarshal(s.headers.b, &t.Headers); err != nil {
			return nil, fmt.Errorf("trunk %s: headers: %w", t.ID, err)
		}
	}
	if len(t.FailoverAddresses) == 0 {
		t.FailoverAddresses = nil
	}
	if len(t.InboundAddresses) == 0 {
		t.InboundAddresses = nil
	}
	return &t, nil
}

// RoutingTrunksSQL selects every trunk (RoutingTrunks): the stores append
// their organisation condition.
const RoutingTrunksSQL = `SELECT ` + TrunkColumns + ` FROM trunks`

// TrunkNetworks returns the inbound networks of the active trunks among
// trunks, by organisation (DESIGN §10: an INVITE from them to that
// organisation's numbers is trusted). Organisations without any are left
// out. The networks were validated when stored, so one that does not
// parse is a damaged row, reported rather than skipped.
func TrunkNetworks(trunks []*Trunk) (map[string][]netip.Prefix, error) {
	out := map[string][]netip.Prefix{}
	for _, t := range trunks {
		if t.Status != StatusActive {
			continue
		}
		for _, s := range t.InboundAddresses {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("trunk network %q of %s: %w", s, t.ID, err)
			}
			out[t.OrganizationID] = append(out[t.OrganizationID], p)
		}
	}
	return out, nil
}

// FormatTrunkNumber returns the E.164 number as the trunk wants it in a
// Request-URI or From: with its + (e164) or without (no_plus). The tech
// prefix, which goes before the callee's number only, is the caller's.
func FormatTrunkNumber(t *Trunk, e164 string) string {
	if t.NumberFormat == NumberFormatNoPlus {
		return strings.TrimPrefix(e164, "+")
	}
	return e164
}

// trunkNotFound is the error for a trunk the organisation does not have.
func trunkNotFound(id string) error {
	return Errorf(ECodeTrunkNotFound, "Trunk %s not found.", id)
}
