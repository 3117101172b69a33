package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// view is what every page template gets: the page's own data in Data,
// and what the layout needs.
type view struct {
	Title   string
	Nav     string // the section highlighted in the menu
	Data    any
	Flash   string
	Version string
	key     *switchboard.APIKey
}

// Can reports whether the signed-in key holds the scope: templates hide
// what the key cannot do (the handlers refuse it regardless).
func (v *view) Can(scope string) bool {
	return v.key != nil && v.key.HasScope(switchboard.Scope(scope))
}

// SignedIn reports whether the page is shown to a signed-in key.
func (v *view) SignedIn() bool { return v.key != nil }

// KeyName is the signed-in key's name, or its display prefix.
func (v *view) KeyName() string {
	if v.key == nil {
		return ""
	}
	if v.key.Name != "" {
		return v.key.Name
	}
	return v.key.KeyPrefix + "…"
}

// navOf is the menu section of each page.
var navOf = map[string]string{
	"overview": "overview", "numbers": "numbers", "number": "numbers", "available": "numbers",
	"endpoints": "endpoints", "endpoint": "endpoints", "endpoint_new": "endpoints",
	"live": "live", "calls": "calls", "call": "calls",
	"webhooks": "webhooks", "webhook": "webhooks", "webhook_new": "webhooks",
	"deliveries": "deliveries", "delivery": "deliveries",
	"trunks": "trunks", "trunk": "trunks", "keys": "keys",
}

// flashes are the messages a redirect after a write may ask for (?done=):
// fixed texts, so the query string cannot put words in our mouth.
var flashes = map[string]string{
	"created":  "Created.",
	"updated":  "Saved.",
	"deleted":  "Deleted.",
	"claimed":  "Number claimed.",
	"released": "Number released.",
	"hangup":   "Hangup requested: the call ends in a moment.",
	"retried":  "Delivery queued for one more attempt.",
	"replayed": "Failed deliveries queued again.",
	"tested":   "Test event queued.",
	"revoked":  "Key revoked.",
}

var funcs = template.FuncMap{
	"when": func(t any) string {
		switch t := t.(type) {
		case time.Time:
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
		case *time.Time:
			if t == nil || t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
		}
		return fmt.Sprint(t)
	},
	"str": func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	},
	"num": func(p *int) string {
		if p == nil {
			return "—"
		}
		return strconv.Itoa(*p)
	},
	"join":   strings.Join,
	"ended":  switchboard.CallEnded,
	"scopes": joinScopes,
	"contains": func(list []string, s string) bool {
		for _, v := range list {
			if v == s {
				return true
			}
		}
		return false
	},
	"statusClass": func(s string) string {
		switch s {
		case switchboard.CallCompleted, switchboard.DeliveryDelivered, switchboard.StatusActive:
			return "ok"
		case switchboard.CallFailed, switchboard.CallBusy, switchboard.CallNoAnswer:
			return "bad"
		case switchboard.CallRinging, switchboard.CallInitiated, switchboard.CallAnswered, switchboard.CallInProgress, switchboard.DeliveryPending:
			return "live"
		}
		return "muted"
	},
}

// joinScopes is the scopes, comma-separated.
func joinScopes(sc []switchboard.Scope) string {
	out := make([]string, len(sc))
	for i, s := range sc {
		out[i] = string(s)
	}
	return strings.Join(out, ", ")
}

// parsePages parses each page template with the layout and the shared
// partials: one template set per page, executed as "layout".
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".html")
		if base == "layout" || base == "partials" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", name)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", name, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// render writes page with data in the layout. The page is executed into
// a buffer first, so a template error is a clean 500, not half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, c *session, status int, page, title string, data any) {
	h.renderTemplate(w, r, c, status, page, "layout", title, data)
}

// renderTemplate executes one named template of page's set: "layout" for
// a whole page, or a fragment that htmx swaps in.
func (h *Handler) renderTemplate(w http.ResponseWriter, r *http.Request, c *session, status int, page, name, title string, data any) {
	t := h.pages[page]
	if t == nil {
		h.cfg.Logger.Error("dashboard: no such page template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v := &view{Title: title, Nav: navOf[page], Data: data, Version: switchboard.Version, Flash: flashes[r.URL.Query().Get("done")]}
	if c != nil {
		v.key = c.key
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, v); err != nil {
		h.cfg.Logger.Error("dashboard: render", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// redirect answers a successful write: back to a page, with a fixed
// message (flashes).
func redirect(w http.ResponseWriter, r *http.Request, to, done string) {
	if done != "" {
		sep := "?"
		if strings.Contains(to, "?") {
			sep = "&"
		}
		to += sep + "done=" + done
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// pageSize is the rows of every list page.
const pageSize = 25

// pager is a list's page as the query string names it (?page=N, from 1),
// and the links to its neighbours, which keep the list's filters.
type pager struct {
	Page       int
	Total      int
	First      int // 1-based index of the first row shown
	Last       int
	Prev, Next string
}

// pageOf reads ?page= of q as a switchboard.Page.
func pageOf(q url.Values) (switchboard.Page, int) {
	n, err := strconv.Atoi(q.Get("page"))
	if err != nil || n < 1 {
		n = 1
	}
	n = min(n, 1_000_000)
	return switchboard.Page{Limit: pageSize, Offset: (n - 1) * pageSize}, n
}

// newPager describes page n of a list of total rows, shown rows of,
// under the request's path and filters.
func newPager(r *http.Request, n, shown, total int) pager {
	return newPagerAt(r, r.URL.Path, n, shown, total)
}

// newPagerAt is newPager with links to path (a fragment's page).
func newPagerAt(r *http.Request, path string, n, shown, total int) pager {
	p := pager{Page: n, Total: total}
	if shown > 0 {
		p.First = (n-1)*pageSize + 1
		p.Last = p.First + shown - 1
	}
	link := func(page int) string {
		q := r.URL.Query()
		q.Del("done")
		q.Set("page", strconv.Itoa(page))
		return path + "?" + q.Encode()
	}
	if n > 1 {
		p.Prev = link(n - 1)
	}
	if n*pageSize < total {
		p.Next = link(n + 1)
	}
	return p
}
