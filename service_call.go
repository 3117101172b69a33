package switchboard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

func callNotFound(id string) error {
	return Errorf(ECodeCallNotFound, "Call %s not found.", id)
}

// SaveCalls writes the batch in one transaction, in slice order: each
// call's row, unless the update is EventsOnly, is inserted or updated to
// the update's state with its Timeline (and any of the update's entries
// the Timeline lacks), and each entry whose type is a call event of the
// catalogue (EventTypes) is emitted, when the call belongs to an
// organisation, to the organisation's matching subscriptions and, unless
// SkipEndpoint, to the call's webhook-type endpoint. Entries of other
// types ("call.failover") stay on the timeline only.
//
// A call's identity (organisation, direction, numbers, phone number, SIP
// Call-ID, node, creation time) is fixed by its first save: an update that
// would change it fails the batch. Before writing, SaveCalls gives each
// entry without an ID one and sets its CallID; an entry's event has an ID
// derived from the entry's (CallEventID), and an event already stored is
// not stored or delivered again, so a caller that saves the same updates
// again after an error emits each entry once. Either the whole batch is
// saved or none of it.
func (s *Service) SaveCalls(ctx context.Context, updates []CallUpdate) error {
	if len(updates) == 0 {
		return nil
	}
	if err := PrepareCallUpdates(updates); err != nil {
		return fmt.Errorf("save calls: %w", err)
	}
	err := s.d.Write(ctx, func(tx Tx) error { return s.saveCalls(ctx, tx, updates) })
	if err != nil {
		return fmt.Errorf("save calls: %w", err)
	}
	return nil
}

// saveCalls writes the rows of the prepared updates that are not
// EventsOnly in tx, and emits the events of every entry, stamped with the
// time of the write, with one outbox per organisation (a batch mixes
// organisations).
func (s *Service) saveCalls(ctx context.Context, tx Tx, updates []CallUpdate) error {
	now := s.now()
	sp := s.states.Get().(*callStates)
	defer func() { clear(sp.all); clear(sp.rows); s.states.Put(sp) }()
	states, rows := sp.all[:0], sp.rows[:0]
	for _, u := range updates {
		c := StoredCall(u.Call)
		c.Timeline = withEntries(u.Call.Timeline, u.Events)
		states = append(states, c)
		if !u.EventsOnly {
			rows = append(rows, c)
		}
	}
	sp.all, sp.rows = states, rows
	if len(rows) > 0 {
		if err := tx.UpsertCalls(ctx, rows); err != nil {
			return err
		}
	}
	hooks := map[EndpointRef]bool{}
	if err := webhookEndpoints(ctx, tx, updates, states, hooks); err != nil {
		return err
	}
	var outs outboxes
	var seen map[string]bool // entries emitted by this batch, when it holds a call twice
	if len(updates) > 1 {
		seen = make(map[string]bool, 2*len(updates))
	}
	for i, u := range updates {
		c := states[i]
		var data *CallEventData // built at the first event emitted
		for _, ev := range u.Events {
			if c.OrganizationID == "" || !IsCallEvent(ev.Type) {
				continue
			}
			if seen != nil {
				if seen[ev.ID] {
					continue // an entry listed twice in the batch is emitted once
				}
				seen[ev.ID] = true
			}
			o := outs.of(tx, c.OrganizationID, now)
			if data == nil {
				d := c.EventData()
				data = &d
			}
			opts := EmitOptions{ID: CallEventID(ev.ID)}
			if c.EndpointID != nil && !ev.SkipEndpoint && hooks[EndpointRef{c.OrganizationID, *c.EndpointID}] {
				opts.EndpointID = *c.EndpointID
			}
			evData := data
			if ev.Data != nil {
				evData = ev.Data // the state this entry was recorded in (merged updates)
			}
			if _, err := o.emit(ctx, ev.Type, evData, opts); err != nil {
				return fmt.Errorf("call %s: %w", c.ID, err)
			}
		}
	}
	return outs.flush(ctx)
}

// callStates are the calls of a batch as stored (all) and those whose row
// the batch writes (rows), reused from batch to batch.
type callStates struct{ all, rows []*Call }

// outboxes are the outboxes of a batch, one per organisation. Most
// batches emit for one organisation: the rest are made for a second.
type outboxes struct {
	first *outbox
	more  []*outbox // in the order the organisations first emit
	byOrg map[string]*outbox
}

// of returns the organisation's outbox, made at first use.
func (os *outboxes) of(tx Tx, orgID string, now time.Time) *outbox {
	if os.first != nil && os.first.batch.OrganizationID == orgID {
		return os.first
	}
	if o := os.byOrg[orgID]; o != nil {
		return o
	}
	o := newOutbox(tx, orgID, now)
	if os.first == nil {
		os.first = o
		return o
	}
	if os.byOrg == nil {
		os.byOrg = map[string]*outbox{}
	}
	os.byOrg[orgID] = o
	os.more = append(os.more, o)
	return o
}

// flush writes every outbox, in the order of their organisations' IDs:
// writing an organisation's events takes the lock on its log's positions
// (PostgreSQL), so two batches of the same organisations take them in one
// order and cannot deadlock.
func (os *outboxes) flush(ctx context.Context) error {
	if os.first == nil {
		return nil
	}
	if len(os.more) == 0 {
		return os.first.flush(ctx) // the common batch: no slice to sort
	}
	all := append([]*outbox{os.first}, os.more...)
	slices.SortFunc(all, func(a, b *outbox) int { return strings.Compare(a.batch.OrganizationID, b.batch.OrganizationID) })
	for _, o := range all {
		if err := o.flush(ctx); err != nil {
			return err
		}
	}
	return nil
}

// webhookEndpoints records in hooks which of the endpoints the batch's
// calls name are webhook-type endpoints of the call's organisation, in one
// query for the batch: only those receive call events, and the calls of
// most organisations go to agent endpoints, which emit would otherwise
// look up once per event to skip.
func webhookEndpoints(ctx context.Context, tx Tx, updates []CallUpdate, states []*Call, hooks map[EndpointRef]bool) error {
	var refs []EndpointRef
	for i, u := range updates {
		c := states[i]
		if c.EndpointID == nil || c.OrganizationID == "" || !toEndpoint(u.Events) {
			continue
		}
		k := EndpointRef{c.OrganizationID, *c.EndpointID}
		if _, ok := hooks[k]; !ok {
			hooks[k] = false
			refs = append(refs, k)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	is, err := tx.WebhookEndpoints(ctx, refs)
	if err != nil {
		return fmt.Errorf("call endpoints: %w", err)
	}
	for i, ok := range is {
		hooks[refs[i]] = ok
	}
	return nil
}

// toEndpoint reports whether one of the entries is emitted to the call's
// endpoint.
func toEndpoint(events []*CallEvent) bool {
	for _, ev := range events {
		if IsCallEvent(ev.Type) && !ev.SkipEndpoint {
			return true
		}
	}
	return false
}

// FindCall returns the organisation's call, or CALL_NOT_FOUND. A call of
// no organisation is found by none.
func (s *Service) FindCall(ctx context.Context, orgID, id string) (*Call, error) {
	if orgID == "" {
		return nil, callNotFound(id)
	}
	return lookup("find call", PrefixCall, id, callNotFound,
		func() (*Call, error) { return s.d.Call(ctx, orgID, id) })
}

// ListCalls returns one page of the organisation's calls that match the
// filter, newest first, and their total. From and To bound created_at,
// both inclusive.
func (s *Service) ListCalls(ctx context.Context, orgID string, f CallFilter) ([]*Call, int, error) {
	if orgID == "" {
		return nil, 0, nil // the calls of no organisation are listed by none
	}
	list, total, err := s.d.ListCalls(ctx, orgID, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list calls: %w", err)
	}
	return list, total, nil
}

// ListCallEvents returns the call's timeline, oldest first, or
// CALL_NOT_FOUND.
func (s *Service) ListCallEvents(ctx context.Context, orgID, callID string) ([]*CallEvent, error) {
	if orgID == "" || !ValidID(PrefixCall, callID) {
		return nil, callNotFound(callID)
	}
	events, err := s.d.CallEvents(ctx, orgID, callID)
	if errors.Is(err, ErrNoRows) {
		return nil, callNotFound(callID)
	}
	if err != nil {
		return nil, fmt.Errorf("list call events %s: %w", callID, err)
	}
	return events, nil
}

// EndOrphanCalls ends, at now, every call of the node that is not final,
// in one transaction that holds their row locks: an answered call
// completes (system_shutdown, by the system, its duration counted to
// now), any other fails (node_restarted). Each gets a timeline entry and
// its call.completed or call.failed event, as SaveCalls writes them. It
// returns how many calls it ended. A call whose updates were all
// events-only has no row, so none to end here: the call journal's replay,
// which comes first, writes the row of each call it holds.
func (s *Service) EndOrphanCalls(ctx context.Context, node string, now time.Time) (int, error) {
	now = now.UTC().Truncate(time.Microsecond)
	var n int
	err := s.d.Write(ctx, func(tx Tx) error {
		calls, err := tx.OpenCalls(ctx, node)
		if err != nil {
			return err
		}
		n = len(calls)
		if n == 0 {
			return nil
		}
		updates := make([]CallUpdate, n)
		for i, c := range calls {
			updates[i] = CallUpdate{Call: c, Events: []*CallEvent{endOrphan(c, now)}}
		}
		if err := PrepareCallUpdates(updates); err != nil {
			return err
		}
		return s.saveCalls(ctx, tx, updates)
	})
	if err != nil {
		return 0, fmt.Errorf("end orphan calls of %s: %w", node, err)
	}
	return n, nil
}

// endOrphan ends the open call c at now and returns its timeline entry.
func endOrphan(c *Call, now time.Time) *CallEvent {
	c.CompletedAt, c.UpdatedAt = &now, now
	typ := EventCallFailed
	if c.AnsweredAt != nil {
		typ = EventCallCompleted
		c.Status, c.HangupCause, c.HangupBy = CallCompleted, HangupShutdown, HangupBySystem
		c.Duration = max(0, int(now.Sub(*c.AnsweredAt)/time.Second))
	} else {
		c.Status, c.FailureReason = CallFailed, "node_restarted"
	}
	return &CallEvent{Type: typ, Timestamp: now, Status: c.Status, Detail: "node_restarted"}
}
