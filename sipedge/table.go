package sipedge

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// Table is the in-memory routing table: every held number with its
// endpoints, its organisation's trunk networks and the trunk its outbound
// calls take, so that an INVITE is admitted and routed without a database
// read. It is rebuilt per
// organisation whenever the change feed says that organisation's numbers,
// endpoints or trunks changed.
//
// Readers take an immutable snapshot (one atomic load); writers build a new
// map and swap it in, so a lookup never waits for a reload.
type Table struct {
	src switchboard.RoutingService
	gap time.Duration // least time between two rounds of Follow's reloads

	mu   sync.Mutex // serialises reloads
	orgs map[string]orgEntries
	nets map[string][]netip.Prefix // trunk networks by organisation
	cur  atomic.Pointer[map[string]*entry]
	// byID is cur keyed by number ID, for the agents' calls, which name
	// their number by its credentials.
	byID atomic.Pointer[map[string]*entry]
	// trunkNets is every organisation's trunk networks together: a
	// source in them is a carrier's for what is not a new call.
	trunkNets atomic.Pointer[[]netip.Prefix]

	// Organisations changed since Follow last reloaded them.
	dirtyMu sync.Mutex
	dirty   map[string]bool
	kick    chan struct{}
}

// entry is what a call to one number needs: the number, the endpoints it
// points at (nil when absent) and the routing decision they make, taken
// once when the entry is loaded (switchboard.Route is pure and an entry
// never changes), so a call pays for no decision of its own.
type entry struct {
	number   *switchboard.PhoneNumber
	endpoint *switchboard.Endpoint
	fallback *switchboard.Endpoint
	decision switchboard.Decision
	// trunkNets are the inbound networks of the number's organisation's
	// trunks: an INVITE from them to this number is a carrier's.
	trunkNets []netip.Prefix
	// trunk is the trunk the number's outbound calls go out through, nil
	// when there is none; trunkWhy is switchboard.SelectTrunk's reason.
	trunk    *switchboard.Trunk
	trunkWhy string
}

// unheld is the decision for a number the table does not hold.
var unheld = switchboard.Route(switchboard.RouteInput{})

// orgEntries are one organisation's numbers, keyed by E.164.
type orgEntries map[string]*entry

// NewTable returns an empty table that loads from src.
func NewTable(src switchboard.RoutingService) *Table {
	t := &Table{src: src, gap: reloadGap, orgs: map[string]orgEntries{}, nets: map[string][]netip.Prefix{},
		dirty: map[string]bool{}, kick: make(chan struct{}, 1)}
	empty := map[string]*entry{}
	t.cur.Store(&empty)
	t.byID.Store(&empty)
	t.trunkNets.Store(new([]netip.Prefix))
	return t
}

// Reload rebuilds the entries of one organisation, or of all when orgID
// is "".
func (t *Table) Reload(ctx context.Context, orgID string) error {
	numbers, endpoints, err := t.src.RoutingEntries(ctx, orgID)
	if err != nil {
		return fmt.Errorf("load routing entries of %q: %w", orgID, err)
	}
	trunks, err := t.src.RoutingTrunks(ctx, orgID)
	if err != nil {
		return fmt.Errorf("load trunks of %q: %w", orgID, err)
	}
	nets, err := switchboard.TrunkNetworks(trunks)
	if err != nil {
		return fmt.Errorf("load trunk networks of %q: %w", orgID, err)
	}
	trunksOf := map[string][]*switchboard.Trunk{}
	for _, tr := range trunks {
		trunksOf[tr.OrganizationID] = append(trunksOf[tr.OrganizationID], tr)
	}
	byID := make(map[string]*switchboard.Endpoint, len(endpoints))
	for _, e := range endpoints {
		byID[e.ID] = e
	}
	fresh := map[string]orgEntries{}
	for _, n := range numbers {
		en := &entry{number: n}
		if n.EndpointID != nil {
			en.endpoint = byID[*n.EndpointID]
		}
		if n.FallbackEndpointID != nil {
			en.fallback = byID[*n.FallbackEndpointID]
		}
		en.decision = switchboard.Route(switchboard.RouteInput{Number: n, Endpoint: en.endpoint, Fallback: en.fallback})
		en.trunkNets = nets[n.OrganizationID]
		en.trunk, en.trunkWhy = switchboard.SelectTrunk(n, trunksOf[n.OrganizationID])
		org := fresh[n.OrganizationID]
		if org == nil {
			org = orgEntries{}
			fresh[n.OrganizationID] = org
		}
		org[n.E164] = en
	}

	t.mu.Lock()
	defer t.mu.Unlock()
	if orgID == "" {
		t.orgs, t.nets = fresh, nets
	} else {
		if org := fresh[orgID]; org != nil {
			t.orgs[orgID] = org
		} else {
			delete(t.orgs, orgID)
		}
		if n := nets[orgID]; n != nil {
			t.nets[orgID] = n
		} else {
			delete(t.nets, orgID)
		}
	}
	var allNets []netip.Prefix
	for _, n := range t.nets {
		allNets = append(allNets, n...)
	}
	t.trunkNets.Store(&allNets)
	size := 0
	for _, org := range t.orgs {
		size += len(org)
	}
	all := make(map[string]*entry, size)
	numIDs := make(map[string]*entry, size)
	for _, org := range t.orgs {
		for num, en := range org {
			all[num] = en
			numIDs[en.number.ID] = en
		}
	}
	t.cur.Store(&all)
	t.byID.Store(&numIDs)
	return nil
}

// Changed marks an organisation's entries as changed; Follow reloads them.
// It never waits for a reload.
func (t *Table) Changed(orgID string) {
	t.dirtyMu.Lock()
	t.dirty[orgID] = true
	t.dirtyMu.Unlock()
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

// tableRetry is how long Follow waits before it tries again to reload an
// organisation whose reload failed.
const tableRetry = time.Second

// reloadGap is the least time between two rounds of reloads. A change
// after a quiet spell is reloaded at once; changes that keep coming (an
// API client creating endpoints as fast as it can) are reloaded at most
// every reloadGap, so that each node's reloads, and the database reads
// they make, do not rise with the rate of changes. Routing is then at
// most reloadGap later than it would be, well inside the second it may
// take to reach every node (docs/operations.md).
const reloadGap = 50 * time.Millisecond

// Follow reloads the organisations passed to Changed until ctx ends. A
// reload reads every active number of the organisation, and the endpoints
// they point at, so changes that come while one runs are coalesced:
// however many there were, the organisation is reloaded once more, after
// them, and rounds of reloads are at least reloadGap apart. An API client
// creating a thousand endpoints then costs a few reloads, not a thousand.
// A reload that fails is logged through onErr and tried again after
// tableRetry.
func (t *Table) Follow(ctx context.Context, onErr func(orgID string, err error)) {
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.kick:
		}
		if wait := t.gap - time.Since(last); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		last = time.Now()
		t.dirtyMu.Lock()
		orgs := t.dirty
		t.dirty = map[string]bool{}
		t.dirtyMu.Unlock()
		failed := false
		for orgID := range orgs {
			if err := t.Reload(ctx, orgID); err != nil {
				if ctx.Err() != nil {
					return
				}
				onErr(orgID, err)
				t.Changed(orgID)
				failed = true
			}
		}
		if failed {
			select {
			case <-ctx.Done():
				return
			case <-time.After(tableRetry):
			}
		}
	}
}

// Lookup returns the routing input for a call to the E.164 number.
func (t *Table) Lookup(e164 string) switchboard.RouteInput {
	en := (*t.cur.Load())[e164]
	if en == nil {
		return switchboard.RouteInput{}
	}
	return switchboard.RouteInput{Number: en.number, Endpoint: en.endpoint, Fallback: en.fallback}
}

// Route returns the routing decision for a call to the E.164 number, and
// the number when the table holds it (nil otherwise). The decision is
// shared: read it, never change it.
func (t *Table) Route(e164 string) (*switchboard.PhoneNumber, switchboard.Decision) {
	en := (*t.cur.Load())[e164]
	if en == nil {
		return nil, unheld
	}
	return en.number, en.decision
}

// Number returns the active number with this ID, nil if the table holds
// none.
func (t *Table) Number(id string) *switchboard.PhoneNumber {
	if en := (*t.byID.Load())[id]; en != nil {
		return en.number
	}
	return nil
}

// Outbound returns the E.164 number as the table holds it (nil when it
// does not), and the trunk its outbound calls go out through with
// switchboard.SelectTrunk's reason, or a nil trunk and the reason there is
// none. The number and trunk are shared: read them, never change them.
func (t *Table) Outbound(e164 string) (*switchboard.PhoneNumber, *switchboard.Trunk, string) {
	en := (*t.cur.Load())[e164]
	if en == nil {
		return nil, nil, ""
	}
	return en.number, en.trunk, en.trunkWhy
}

// TrunkTrusts reports whether an INVITE from src to the E.164 number comes
// from a network of one of the trunks of the organisation holding it:
// such a source is trusted for that organisation's numbers only.
func (t *Table) TrunkTrusts(e164 string, src netip.Addr) bool {
	en := (*t.cur.Load())[e164]
	return en != nil && containsAddr(en.trunkNets, src)
}

// TrunkSource reports whether src is in any organisation's trunk
// networks: a carrier's, for requests that start no call (the ACK of a
// refused INVITE, a CANCEL, a BYE), which only reach calls that exist.
func (t *Table) TrunkSource(src netip.Addr) bool { return containsAddr(*t.trunkNets.Load(), src) }

func containsAddr(nets []netip.Prefix, a netip.Addr) bool {
	for _, p := range nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Len returns how many numbers the table holds.
func (t *Table) Len() int { return len(*t.cur.Load()) }
