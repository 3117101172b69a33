package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// changeWait bounds how long a change may take to reach a subscriber. The
// stores deliver in milliseconds; the margin is for loaded test machines.
const changeWait = 5 * time.Second

func testRoutingEntries(f *fixture) {
	t := f.t
	acme, globex, idle := f.org("acme"), f.org("globex"), f.org("idle")
	inv := f.stock(numUS1, numUS2, numUS3, numNG1, numGB1)

	ag := f.agent(acme, "Support")
	wh := f.webhook(acme, "crm")
	spare := f.webhook(acme, "spare") // no number points at it
	p1 := f.claim(acme, switchboard.ClaimRequest{InventoryID: inv[numUS1].ID, EndpointID: ptr(ag.ID), AllowInbound: true})
	p2 := f.claim(acme, switchboard.ClaimRequest{InventoryID: inv[numUS2].ID, EndpointID: ptr(wh.ID), AllowOutbound: true})
	_, err := f.s.UpdatePhoneNumber(f.ctx, acme, p2.ID, switchboard.PhoneNumberPatch{
		FallbackEndpointID: switchboard.Optional[string]{Set: true, Value: ag.ID},
	})
	must(t, "UpdatePhoneNumber", err)
	gone := f.claim(acme, switchboard.ClaimRequest{InventoryID: inv[numUS3].ID, EndpointID: ptr(ag.ID)})
	_, err = f.s.ReleaseNumber(f.ctx, acme, gone.ID)
	must(t, "ReleaseNumber", err)
	other := f.agent(globex, "Other")
	p3 := f.claim(globex, switchboard.ClaimRequest{InventoryID: inv[numNG1].ID, EndpointID: ptr(other.ID)})
	f.webhook(idle, "lonely") // of an organisation that holds no number
	// numGB1 stays in the inventory, held by nobody.

	// Numbers and endpoints as the ordinary reads return them; the
	// endpoints' reads keep the password, which routing needs.
	wantNums := func(pns ...*switchboard.PhoneNumber) []*switchboard.PhoneNumber {
		var out []*switchboard.PhoneNumber
		for _, pn := range pns {
			out = append(out, f.findNumber(pn.OrganizationID, pn.ID))
		}
		return out
	}
	wantEps := func(eps ...*switchboard.Endpoint) []*switchboard.Endpoint {
		var out []*switchboard.Endpoint
		for _, e := range eps {
			out = append(out, f.findEndpoint(e.OrganizationID, e.ID))
		}
		return out
	}

	check := func(orgID string, nums []*switchboard.PhoneNumber, eps []*switchboard.Endpoint) {
		t.Helper()
		gotNums, gotEps, err := f.s.RoutingEntries(f.ctx, orgID)
		if err != nil {
			t.Fatalf("RoutingEntries(%q): %v", orgID, err)
		}
		what := "RoutingEntries(" + orgID + ")"
		// In no particular order.
		slices.SortFunc(gotNums, byNumberID)
		slices.SortFunc(gotEps, byEndpointID)
		slices.SortFunc(nums, byNumberID)
		slices.SortFunc(eps, byEndpointID)
		equalIDs(t, what+": numbers", ids(gotNums, numberID), ids(nums, numberID))
		equalIDs(t, what+": endpoints", ids(gotEps, endpointID), ids(eps, endpointID))
		if len(gotNums) == len(nums) {
			for i := range nums {
				equalNumber(t, what+": number", gotNums[i], nums[i])
			}
		}
		if len(gotEps) == len(eps) {
			for i := range eps {
				equalEndpoint(t, what+": endpoint", gotEps[i], eps[i])
			}
		}
		for _, e := range gotEps {
			switch e.ID {
			case ag.ID:
				if e.Credentials == nil || e.Credentials.Username != "user-Support" || e.Credentials.Password != "pw-Support" {
					t.Errorf("%s: agent credentials %+v, want user-Support with its password", what, e.Credentials)
				}
			case wh.ID:
				if e.Secret == "" || e.Secret != wh.Secret {
					t.Errorf("%s: webhook secret %q, want %q", what, e.Secret, wh.Secret)
				}
			}
		}
	}

	// Only the endpoints numbers point at: spare and lonely are not routed
	// to, and neither is an endpoint only a released number pointed at.
	check(acme, wantNums(p1, p2), wantEps(ag, wh))
	check(globex, wantNums(p3), wantEps(other))
	check(idle, nil, nil)
	check("", wantNums(p1, p2, p3), wantEps(ag, wh, other))
	check("org_doesnotexist", nil, nil)

	// A deleted endpoint leaves, and its numbers stay, detached.
	_, err = f.s.DeleteEndpoint(f.ctx, acme, wh.ID)
	must(t, "DeleteEndpoint", err)
	check(acme, wantNums(p1, p2), wantEps(ag))

	// A number pointed at spare brings it in; detached again, it leaves.
	_, err = f.s.UpdatePhoneNumber(f.ctx, acme, p2.ID, switchboard.PhoneNumberPatch{
		EndpointID: switchboard.Optional[string]{Set: true, Value: spare.ID},
	})
	must(t, "UpdatePhoneNumber", err)
	check(acme, wantNums(p1, p2), wantEps(ag, spare))
	_, err = f.s.UpdatePhoneNumber(f.ctx, acme, p2.ID, switchboard.PhoneNumberPatch{
		EndpointID: switchboard.Optional[string]{Set: true, Null: true},
	})
	must(t, "UpdatePhoneNumber", err)
	check(acme, wantNums(p1, p2), wantEps(ag))
}

func byNumberID(a, b *switchboard.PhoneNumber) int { return strings.Compare(a.ID, b.ID) }
func byEndpointID(a, b *switchboard.Endpoint) int  { return strings.Compare(a.ID, b.ID) }

// changeLog records what a subscription passes to fn.
type changeLog struct {
	t      *testing.T
	ch     chan string
	cancel context.CancelFunc
	done   chan error
	// ours are the organisations of the test. Calls for others (stores on
	// one PostgreSQL database hear each other's changes) and "" (the
	// store may reconnect at any time) are skipped.
	ours map[string]bool
}

// subscribeChanges starts a change-feed subscription, stopped when the
// test ends if not before. ours are the test's organisations.
func (f *fixture) subscribeChanges(ours ...string) *changeLog {
	f.t.Helper()
	ctx, cancel := context.WithCancel(f.ctx)
	l := &changeLog{t: f.t, ch: make(chan string, 4096), cancel: cancel, done: make(chan error, 1), ours: map[string]bool{}}
	for _, o := range ours {
		l.ours[o] = true
	}
	go func() {
		l.done <- f.s.SubscribeChanges(ctx, func(orgID string) {
			select {
			case l.ch <- orgID:
			case <-ctx.Done():
			}
		})
	}()
	f.t.Cleanup(func() {
		cancel()
		select {
		case <-l.done:
		case <-time.After(changeWait):
			f.t.Errorf("SubscribeChanges did not return within %v of its context ending", changeWait)
		}
	})
	return l
}

// first waits for the subscription's first call, which must be fn(""):
// the subscription is in place and the subscriber reloads everything.
func (l *changeLog) first() {
	l.t.Helper()
	select {
	case got := <-l.ch:
		if got != "" {
			l.t.Fatalf("first change = %q, want \"\" (reload everything)", got)
		}
	case err := <-l.done:
		l.t.Fatalf("SubscribeChanges returned %v before its first call", err)
	case <-time.After(changeWait):
		l.t.Fatalf("no first call (\"\") within %v", changeWait)
	}
}

// expect waits for a call for orgID, failing on a call for another of the
// test's organisations before it.
func (l *changeLog) expect(what, orgID string) {
	l.t.Helper()
	deadline := time.After(changeWait)
	for {
		select {
		case got := <-l.ch:
			switch {
			case got == orgID:
				return
			case l.ours[got]:
				l.t.Errorf("%s: change of %s before the one of %s", what, got, orgID)
			}
		case err := <-l.done:
			l.t.Fatalf("%s: SubscribeChanges returned %v", what, err)
		case <-deadline:
			l.t.Fatalf("%s: no change of %s within %v", what, orgID, changeWait)
		}
	}
}

// stop ends the subscription: SubscribeChanges must return, with nil.
func (l *changeLog) stop() {
	l.t.Helper()
	l.cancel()
	select {
	case err := <-l.done:
		if err != nil {
			l.t.Errorf("SubscribeChanges after its context ended = %v, want nil", err)
		}
		l.done <- err // for the cleanup
	case <-time.After(changeWait):
		l.t.Fatalf("SubscribeChanges did not return within %v of its context ending", changeWait)
	}
}

func testChangeFeed(f *fixture) {
	t := f.t
	acme, globex, initech := f.org("acme"), f.org("globex"), f.org("initech")
	inv := f.stock(numUS1, numUS2, numNG1)
	l := f.subscribeChanges(acme, globex, initech)
	l2 := f.subscribeChanges(acme, globex, initech)
	l.first()
	l2.first()
	expect := func(what, orgID string) {
		t.Helper()
		l.expect(what, orgID)
		l2.expect(what, orgID)
	}

	// Every kind of write to numbers and endpoints, each to both subscribers.
	ep := f.agent(acme, "Support")
	expect("CreateEndpoint", acme)
	_, err := f.s.UpdateEndpoint(f.ctx, acme, ep.ID, func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) {
		return cur.Apply(switchboard.EndpointPatch{Status: switchboard.Optional[string]{Set: true, Value: switchboard.StatusInactive}})
	})
	must(t, "UpdateEndpoint", err)
	expect("UpdateEndpoint", acme)
	pn := f.claim(acme, switchboard.ClaimRequest{InventoryID: inv[numUS1].ID, EndpointID: ptr(ep.ID)})
	expect("ClaimNumber", acme)
	_, err = f.s.UpdatePhoneNumber(f.ctx, acme, pn.ID, switchboard.PhoneNumberPatch{
		AllowInbound: switchboard.Optional[bool]{Set: true, Value: true},
	})
	must(t, "UpdatePhoneNumber", err)
	expect("UpdatePhoneNumber", acme)
	_, err = f.s.DeleteEndpoint(f.ctx, acme, ep.ID) // detaches pn as well
	must(t, "DeleteEndpoint", err)
	expect("DeleteEndpoint", acme)
	_, err = f.s.ReleaseNumber(f.ctx, acme, pn.ID)
	must(t, "ReleaseNumber", err)
	expect("ReleaseNumber", acme)
	theirs := f.claim(globex, switchboard.ClaimRequest{InventoryID: inv[numNG1].ID})
	expect("ClaimNumber of globex", globex)
	kept := f.agent(acme, "Kept")
	expect("CreateEndpoint", acme)

	// Writes that fail, or roll back, and reads change nothing: no call
	// for acme or globex may come before the one for the initech write
	// that follows them.
	missingEp, missingPn := "ep_doesnotexist", "pn_doesnotexist"
	failed := errors.New("changed my mind")
	_, err = f.s.UpdateEndpoint(f.ctx, acme, missingEp, func(cur *switchboard.Endpoint) (*switchboard.Endpoint, error) { return cur, nil })
	wantCode(t, "UpdateEndpoint of a missing endpoint", err, switchboard.ECodeEndpointNotFound)
	_, err = f.s.UpdateEndpoint(f.ctx, acme, kept.ID, func(*switchboard.Endpoint) (*switchboard.Endpoint, error) { return nil, failed })
	if !errors.Is(err, failed) {
		t.Errorf("UpdateEndpoint whose fn fails = %v, want its error", err)
	}
	_, err = f.s.DeleteEndpoint(f.ctx, acme, missingEp)
	wantCode(t, "DeleteEndpoint of a missing endpoint", err, switchboard.ECodeEndpointNotFound)
	_, err = f.s.ClaimNumber(f.ctx, acme, switchboard.ClaimRequest{InventoryID: inv[numNG1].ID})
	wantCode(t, "ClaimNumber of a held number", err, switchboard.ECodeNumberNotAvail)
	_, err = f.s.ClaimNumber(f.ctx, acme, switchboard.ClaimRequest{InventoryID: inv[numUS2].ID, EndpointID: ptr(missingEp)})
	wantCode(t, "ClaimNumber to a missing endpoint", err, switchboard.ECodeEndpointNotFound)
	_, err = f.s.UpdatePhoneNumber(f.ctx, acme, missingPn, switchboard.PhoneNumberPatch{})
	wantCode(t, "UpdatePhoneNumber of a missing number", err, switchboard.ECodeNumberNotFound)
	_, err = f.s.UpdatePhoneNumber(f.ctx, globex, theirs.ID, switchboard.PhoneNumberPatch{
		EndpointID: switchboard.Optional[string]{Set: true, Value: kept.ID}, // acme's
	})
	wantCode(t, "UpdatePhoneNumber to another organisation's endpoint", err, switchboard.ECodeEndpointNotFound)
	_, err = f.s.ReleaseNumber(f.ctx, acme, missingPn)
	wantCode(t, "ReleaseNumber of a missing number", err, switchboard.ECodeNumberNotFound)
	_, _, err = f.s.RoutingEntries(f.ctx, "")
	must(t, "RoutingEntries", err)
	f.findEndpoint(acme, kept.ID)
	f.findNumber(globex, theirs.ID)

	f.webhook(initech, "marker")
	expect("the write after the failed ones", initech)

	l.stop()
	// The other subscription goes on.
	f.webhook(acme, "after")
	l2.expect("CreateEndpoint after another subscription stopped", acme)
	l2.stop()
}

// testChangeFeedSlowSubscriber: a subscriber that does not return from fn
// holds up no writer, and once it returns it hears of the changes made
// meanwhile (coalesced or not, nothing is dropped).
func testChangeFeedSlowSubscriber(f *fixture) {
	t := f.t
	acme, globex := f.org("acme"), f.org("globex")
	ctx, cancel := context.WithCancel(f.ctx)
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	seen := make(chan string, 4096)
	done := make(chan error, 1)
	go func() {
		done <- f.s.SubscribeChanges(ctx, func(orgID string) {
			select {
			case started <- struct{}{}:
			default:
			}
			<-release // the first call ("") is stuck until the writes are done
			select {
			case seen <- orgID:
			case <-ctx.Done():
			}
		})
	}()
	defer func() {
		cancel()
		<-done
	}()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("SubscribeChanges returned %v before its first call", err)
	case <-time.After(changeWait):
		t.Fatalf("no first call within %v", changeWait)
	}

	wctx, wcancel := context.WithTimeout(f.ctx, 30*time.Second)
	defer wcancel()
	for i := range 50 {
		org := acme
		if i%2 == 1 {
			org = globex
		}
		e, err := switchboard.NewEndpoint(switchboard.EndpointInput{Name: "ep", Type: switchboard.EndpointWebhook, URL: "https://example.com/x"})
		must(t, "NewEndpoint", err)
		if err := f.s.CreateEndpoint(wctx, org, e); err != nil {
			t.Fatalf("CreateEndpoint %d while the subscriber is stuck: %v", i, err)
		}
	}
	close(release)
	// After the first call, the stuck one, every organisation changed is
	// delivered, by name or by a later "" (reload everything).
	want := map[string]bool{acme: true, globex: true}
	deadline := time.After(changeWait)
	for first := true; len(want) > 0; first = false {
		select {
		case got := <-seen:
			switch {
			case first && got != "":
				t.Fatalf("first call = %q, want \"\"", got)
			case !first && got == "":
				clear(want)
			}
			delete(want, got)
		case err := <-done:
			t.Fatalf("SubscribeChanges returned %v", err)
		case <-deadline:
			t.Fatalf("changes of %v never delivered", want)
		}
	}
}
