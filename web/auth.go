package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// cookieName names the session cookie. It is HttpOnly, SameSite=Strict,
// scoped to Prefix (the API under /v1 never sees it, and never reads
// cookies anyway) and Secure whenever the request came over HTTPS.
const cookieName = "switchboard_session"

// session is a signed-in request: the key the session was made with.
type session struct {
	key   *switchboard.APIKey
	token string
}

// can reports whether the session's key holds the scope.
func (c *session) can(sc switchboard.Scope) bool { return c != nil && c.key.HasScope(sc) }

// pageFunc handles a signed-in request; an error it returns is rendered
// by fail.
type pageFunc func(w http.ResponseWriter, r *http.Request, c *session) error

// signedIn looks up the request's session; nil when it has none that works.
func (h *Handler) signedIn(r *http.Request) (*session, error) {
	ck, err := r.Cookie(cookieName)
	if err != nil || ck.Value == "" {
		return nil, nil
	}
	_, key, err := h.store.FindSession(r.Context(), ck.Value)
	if switchboard.ErrorCode(err) == switchboard.ECodeInvalidAPIKey {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &session{key: key, token: ck.Value}, nil
}

// auth runs fn for a signed-in request whose key holds scope ("" for any
// key). A request without a working session is sent to the sign-in page
// (a GET) or refused with 401 (a write, or htmx polling, which is told to
// go to the sign-in page); a key without the scope gets 403. The scope is
// checked here, on the server, for every route: pages only hide what the
// key cannot do, they do not enforce it.
func (h *Handler) auth(scope switchboard.Scope, fn pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		c, err := h.signedIn(r)
		if err != nil {
			h.fail(w, r, nil, err)
			return
		}
		if c == nil {
			signin := Prefix + "signin"
			switch {
			case r.Header.Get("HX-Request") != "":
				// A fragment htmx polls for: the whole page goes to sign in.
				w.Header().Set("HX-Redirect", signin)
				w.WriteHeader(http.StatusUnauthorized)
			case r.Method == http.MethodGet || r.Method == http.MethodHead:
				if r.URL.Path != Prefix {
					signin += "?next=" + url.QueryEscape(r.URL.RequestURI())
				}
				http.Redirect(w, r, signin, http.StatusSeeOther)
			default:
				h.fail(w, r, nil, switchboard.Errorf(switchboard.ECodeMissingAPIKey, "You are not signed in."))
			}
			return
		}
		if scope != "" && !c.can(scope) {
			h.fail(w, r, c, &switchboard.Error{Code: switchboard.ECodeInsufficientScope,
				Message: "This API key lacks the " + string(scope) + " scope."})
			return
		}
		if r.Method == http.MethodPost {
			if err := parseForm(w, r); err != nil {
				h.fail(w, r, c, err)
				return
			}
		}
		if err := fn(w, r, c); err != nil {
			h.fail(w, r, c, err)
			return
		}
		if r.Method == http.MethodPost && h.cfg.OnDeliveriesQueued != nil {
			h.cfg.OnDeliveriesQueued() // any change may have queued deliveries
		}
	}
}

// handleSignInForm shows the sign-in form, or the overview to a browser
// that is signed in already.
func (h *Handler) handleSignInForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if c, err := h.signedIn(r); err == nil && c != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	h.render(w, r, nil, http.StatusOK, "signin", "Sign in", signInView{Next: r.URL.Query().Get("next")})
}

// signInView is the sign-in form.
type signInView struct {
	Next  string
	Error string
}

// handleSignIn checks the key and starts a session. Failures count
// against the client address; past the limit, no key is even checked.
func (h *Handler) handleSignIn(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, nil, err)
		return
	}
	v := signInView{Next: r.PostForm.Get("next")}
	addr := h.cfg.ClientAddr(r)
	if wait := h.limiter.wait(addr); wait > 0 {
		secs := int(wait.Round(time.Second) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		v.Error = "Too many failed sign-ins from your address: try again in " + strconv.Itoa(max(secs, 1)) + " s."
		h.render(w, r, nil, http.StatusTooManyRequests, "signin", "Sign in", v)
		return
	}
	secret := strings.TrimSpace(r.PostForm.Get("api_key"))
	var key *switchboard.APIKey
	if switchboard.CheckAPIKeyFormat(secret) { // a malformed key costs no lookup
		var err error
		key, err = h.store.FindAPIKeyByHash(r.Context(), switchboard.HashAPIKey(secret))
		if err != nil && switchboard.ErrorCode(err) != switchboard.ECodeInvalidAPIKey {
			h.fail(w, r, nil, err)
			return
		}
	}
	if key == nil {
		h.limiter.fail(addr)
		v.Error = "That API key is not valid."
		h.render(w, r, nil, http.StatusUnauthorized, "signin", "Sign in", v)
		return
	}
	token, _, err := h.store.CreateSession(r.Context(), key)
	if err != nil {
		h.fail(w, r, nil, err)
		return
	}
	http.SetCookie(w, h.cookie(r, token, int(switchboard.SessionTTL/time.Second)))
	http.Redirect(w, r, safeNext(v.Next), http.StatusSeeOther)
}

// handleSignOut ends the session and forgets the cookie.
func (h *Handler) handleSignOut(w http.ResponseWriter, r *http.Request, c *session) error {
	if err := h.store.DeleteSession(r.Context(), c.token); err != nil {
		return err
	}
	http.SetCookie(w, h.cookie(r, "", -1))
	http.Redirect(w, r, Prefix+"signin", http.StatusSeeOther)
	return nil
}

// cookie is the session cookie carrying token; maxAge -1 deletes it.
func (h *Handler) cookie(r *http.Request, token string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: cookieName, Value: token, Path: Prefix, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: h.cfg.IsHTTPS(r),
	}
}

// safeNext is where to go after signing in: a path of the dashboard, never
// another site (an open redirect would make our sign-in page a phishing
// aid).
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return Prefix
	}
	return next
}

// failureLimiter limits failed sign-ins per client address: a token bucket
// of burst failures, refilled one per refill. Success costs nothing.
type failureLimiter struct {
	burst  float64
	refill time.Duration
	now    switchboard.Clock

	mu      sync.Mutex
	buckets map[string]*failureBucket
}

type failureBucket struct {
	tokens float64
	at     time.Time
}

// maxBuckets bounds the limiter's memory: past it, the full buckets (the
// addresses that have stopped failing) are forgotten.
const maxBuckets = 10000

func newFailureLimiter(burst int, refill time.Duration, now switchboard.Clock) *failureLimiter {
	return &failureLimiter{burst: float64(burst), refill: refill, now: now, buckets: map[string]*failureBucket{}}
}

// level returns addr's bucket brought up to now; nil when addr has none.
func (l *failureLimiter) level(addr string, now time.Time) *failureBucket {
	b := l.buckets[addr]
	if b != nil {
		b.tokens = min(l.burst, b.tokens+float64(now.Sub(b.at))/float64(l.refill))
		b.at = now
	}
	return b
}

// wait returns how long addr must wait before its next try; 0 when it may
// try now.
func (l *failureLimiter) wait(addr string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.level(addr, l.now())
	if b == nil || b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) * float64(l.refill))
}

// fail records a failed sign-in of addr.
func (l *failureLimiter) fail(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.level(addr, now)
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			for a := range l.buckets {
				if l.level(a, now).tokens >= l.burst {
					delete(l.buckets, a)
				}
			}
		}
		b = &failureBucket{tokens: l.burst, at: now}
		l.buckets[addr] = b
	}
	b.tokens = max(0, b.tokens-1)
}
