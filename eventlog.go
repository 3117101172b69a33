package switchboard

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The event log: every event an organisation's changes and calls emitted,
// as the events table keeps it (GET /v1/events), and the live stream of
// it (GET /v1/events/stream).
//
// Each stored event has a position in its organisation's log (Event.Seq)
// that grows in commit order: SQLite has one writer, and PostgreSQL hands
// out an organisation's positions under a row lock held until commit. A
// reader that has seen every event up to a position therefore misses none
// by asking for those after it, which is how a stream resumes from
// Last-Event-ID without gaps or duplicates.

// EventFilter selects events in the log.
type EventFilter struct {
	// Types are normalised filters (NormalizeEventFilters): exact types,
	// group wildcards such as call.*, or *; empty means every event.
	Types []string
	// Since keeps the events created at or after it, when set.
	Since time.Time
	Page
}

// EventLog reads the organisation's event log.
type EventLog interface {
	// ListEvents returns one page of the organisation's events that match
	// the filter, newest first, and their total.
	ListEvents(ctx context.Context, orgID string, f EventFilter) ([]*Event, int, error)
	// FindEvent returns the organisation's event, or EVENT_NOT_FOUND.
	FindEvent(ctx context.Context, orgID, id string) (*Event, error)
	// EventsAfter returns up to limit of the organisation's events after
	// position after (0: from the first), oldest first, each with its Seq,
	// and the position to read on from: the last event's when limit came
	// back, else one at or after every event of the organisation written
	// so far (with SQLite, whose positions are shared, past other
	// organisations' events too, so that a quiet organisation's reader
	// does not read them again).
	EventsAfter(ctx context.Context, orgID string, after int64, limit int) (events []*Event, next int64, err error)
	// LastEvent returns the organisation's newest event, with its Seq, or
	// nil when it has none: a stream that starts now reads the events
	// after it, and names it to its reader as where to resume from.
	LastEvent(ctx context.Context, orgID string) (*Event, error)
	EventFeed
}

// EventFeed tells every node that an organisation wrote events.
type EventFeed interface {
	// SubscribeEvents calls fn with the organisation's ID after each
	// committed transaction that wrote events of it, whichever node wrote
	// them, until ctx ends; then it returns nil. It calls fn("") when
	// notifications may have been missed (first, and after a lost
	// connection), meaning "look at every organisation". fn is called
	// from SubscribeEvents' goroutine, one call at a time, and must not
	// block.
	SubscribeEvents(ctx context.Context, fn func(orgID string)) error
}

// EventTypeWhere returns the SQL condition on column that keeps the types
// the normalised filters match, or "" when they match every type. The
// filters come out of NormalizeEventFilters, so each is a catalogue name
// or a known group and is safe to write into the statement as a literal.
func EventTypeWhere(column string, filters []string) string {
	var exact, conds []string
	for _, f := range filters {
		if f == "*" {
			return ""
		}
		if group, ok := strings.CutSuffix(f, ".*"); ok {
			// LIKE's _ matches any character, but no other type differs
			// from a group's only there.
			conds = append(conds, column+" LIKE '"+group+".%'")
			continue
		}
		exact = append(exact, "'"+f+"'")
	}
	if len(exact) > 0 {
		conds = append(conds, column+" IN ("+strings.Join(exact, ", ")+")")
	}
	if len(conds) == 0 {
		return ""
	}
	return "(" + strings.Join(conds, " OR ") + ")"
}

// checkEventFilters validates filters that reach the Service from outside
// the HTTP layer, which normalises them itself.
func checkEventFilters(filters []string) error {
	norm, err := NormalizeEventFilters(filters)
	if err != nil {
		return err
	}
	if len(filters) > 0 && len(norm) != len(filters) {
		return errors.New("event filters are not normalised")
	}
	for i, f := range filters {
		if norm[i] != f {
			return fmt.Errorf("event filter %q is not normalised (%q)", f, norm[i])
		}
	}
	return nil
}

func eventNotFound(id string) error {
	return Errorf(ECodeEventNotFound, "Event %s not found.", id)
}

// ListEvents returns one page of the organisation's events that match the
// filter, newest first, and their total.
func (s *Service) ListEvents(ctx context.Context, orgID string, f EventFilter) ([]*Event, int, error) {
	if err := checkEventFilters(f.Types); err != nil {
		return nil, 0, fmt.Errorf("list events: %w", err)
	}
	list, total, err := s.d.ListEvents(ctx, orgID, f)
	if err != nil {
		return nil, 0, fmt.Errorf("list events: %w", err)
	}
	return list, total, nil
}

// FindEvent returns the organisation's event, or EVENT_NOT_FOUND.
func (s *Service) FindEvent(ctx context.Context, orgID, id string) (*Event, error) {
	return lookup("find event", PrefixEvent, id, eventNotFound,
		func() (*Event, error) { return s.d.Event(ctx, orgID, id) })
}

// EventsAfter returns up to limit of the organisation's events after the
// position, oldest first, and the position to read on from.
func (s *Service) EventsAfter(ctx context.Context, orgID string, after int64, limit int) ([]*Event, int64, error) {
	list, next, err := s.d.EventsAfter(ctx, orgID, after, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("events after %d: %w", after, err)
	}
	return list, next, nil
}

// LastEvent returns the organisation's newest event, or nil.
func (s *Service) LastEvent(ctx context.Context, orgID string) (*Event, error) {
	ev, err := s.d.LastEvent(ctx, orgID)
	switch {
	case errors.Is(err, ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("last event: %w", err)
	}
	return ev, nil
}

// SubscribeEvents calls fn after each committed transaction that wrote
// events (EventFeed).
func (s *Service) SubscribeEvents(ctx context.Context, fn func(orgID string)) error {
	return s.d.SubscribeEvents(ctx, fn)
}
