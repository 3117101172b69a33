package httpapi

import (
	"net/url"
	"slices"
	"strconv"

	"github.com/switchboard-voice/switchboard"
)

// query reads list parameters strictly: an unknown parameter, a repeated
// one or a value out of range is a 400, never silently ignored or clamped.
type query struct {
	v   url.Values
	err error
}

// newQuery checks that only the allowed parameters (plus the paging ones and
// organization_id, which auth checks) are present.
func newQuery(v url.Values, allowed ...string) *query {
	q := &query{v: v}
	allowed = append(allowed, "limit", "offset", "page", "organization_id")
	for name, vals := range v {
		if !slices.Contains(allowed, name) {
			q.fail(switchboard.FieldError(name, "unknown query parameter %q", name))
		} else if len(vals) > 1 {
			q.fail(switchboard.FieldError(name, "query parameter %q is repeated", name))
		}
	}
	return q
}

func (q *query) fail(err error) {
	if q.err == nil {
		q.err = err
	}
}

// oneOf returns the parameter, which must be empty or one of choices.
func (q *query) oneOf(name string, choices ...string) string {
	s := q.v.Get(name)
	if s != "" && !slices.Contains(choices, s) {
		q.fail(switchboard.FieldError(name, "%s must be one of %v", name, choices))
	}
	return s
}

func (q *query) str(name string) string { return q.v.Get(name) }

func (q *query) intIn(name string, def, lo, hi int) int {
	s := q.v.Get(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		q.fail(switchboard.FieldError(name, "%s must be an integer from %d to %d", name, lo, hi))
		return def
	}
	return n
}

// page reads limit and offset, or KrosAI's 1-based page with limit.
func (q *query) page() switchboard.Page {
	p := switchboard.Page{
		Limit:  q.intIn("limit", switchboard.DefaultLimit, 1, switchboard.MaxLimit),
		Offset: q.intIn("offset", 0, 0, 1<<30),
	}
	if q.v.Has("page") {
		if q.v.Has("offset") {
			q.fail(switchboard.FieldError("page", "send page or offset, not both"))
		}
		pg := q.intIn("page", 1, 1, 1<<20)
		p.Offset = (pg - 1) * p.Limit
	}
	return p
}
