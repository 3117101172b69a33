package client

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strconv"
)

// Page is one page of a list: the items, the total matching the filters,
// and the window the API returned.
type Page[T any] struct {
	Items  []*T
	Total  int
	Limit  int
	Offset int
}

// HasMore reports whether items follow this page.
func (p *Page[T]) HasMore() bool { return p.Offset+len(p.Items) < p.Total }

// PageSize is the limit the iterators ask for when the parameters set
// none: the API's maximum, so a long list costs the fewest requests.
const PageSize = 100

// ListOptions are the paging parameters of every list: Limit (1–100) and
// Offset. For a …Page method they select the page; for an iterator, Limit
// is the page size (default PageSize) and Offset where to start.
type ListOptions struct {
	Limit  int
	Offset int
}

func (o ListOptions) values(q url.Values) url.Values {
	if q == nil {
		q = url.Values{}
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Offset > 0 {
		q.Set("offset", strconv.Itoa(o.Offset))
	}
	return q
}

// listPage fetches one page of the list at path whose envelope holds the
// items under key ({"endpoints": [...], "total", "limit", "offset"}).
func listPage[T any](ctx context.Context, c *Client, path, key string, q url.Values, o ListOptions) (*Page[T], error) {
	var env map[string]json.RawMessage
	if err := c.do(ctx, "GET", path, o.values(q), nil, &env); err != nil {
		return nil, err
	}
	p := &Page[T]{Items: []*T{}}
	if raw, ok := env[key]; ok {
		if err := json.Unmarshal(raw, &p.Items); err != nil {
			return nil, fmt.Errorf("switchboard: GET %s: decoding %q: %w", path, key, err)
		}
	}
	for name, dst := range map[string]*int{"total": &p.Total, "limit": &p.Limit, "offset": &p.Offset} {
		if raw, ok := env[name]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return nil, fmt.Errorf("switchboard: GET %s: decoding %q: %w", path, name, err)
			}
		}
	}
	return p, nil
}

// listAll iterates over the whole list at path, one page after another,
// from o.Offset. It stops at the first error, which it yields. Lists are
// newest first and paged by offset, so an item created while iterating
// shifts the pages and the item at a page boundary may be yielded twice;
// items are therefore deduplicated by id.
func listAll[T any](ctx context.Context, c *Client, path, key string, q url.Values, o ListOptions, id func(*T) string) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		if o.Limit <= 0 {
			o.Limit = PageSize
		}
		seen := map[string]bool{}
		for {
			p, err := listPage[T](ctx, c, path, key, cloneValues(q), o)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, it := range p.Items {
				k := id(it)
				if seen[k] {
					continue
				}
				seen[k] = true
				if !yield(it, nil) {
					return
				}
			}
			o.Offset += len(p.Items)
			if len(p.Items) == 0 || o.Offset >= p.Total {
				return
			}
		}
	}
}

func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q)+2)
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// Collect gathers an iterator's items into a slice, stopping at the
// first error.
func Collect[T any](seq iter.Seq2[*T, error]) ([]*T, error) {
	var out []*T
	for it, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, it)
	}
	return out, nil
}

// setIf sets q[name] to v when v is not empty.
func setIf(q url.Values, name, v string) {
	if v != "" {
		q.Set(name, v)
	}
}

// pathID escapes an ID for a path segment.
func pathID(id string) string { return url.PathEscape(id) }
