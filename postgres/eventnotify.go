package postgres

import (
	"context"
	"sync"
	"time"
)

// The event feed's notifications are sent after the commit, not inside
// the transaction: a transaction that NOTIFYs takes a database-wide lock
// from its pre-commit to its end, which would make every call batch's
// commit wait for every other's. Instead each node's notifier sends, from
// one goroutine, one NOTIFY per organisation whose events committed since
// its last one; under load, many commits share a notification. A
// notification lost in a crash between the commit and the NOTIFY costs a
// remote stream the wait until its next heartbeat, which reads the log
// anyway.

// notifyTimeout bounds one round of notifications.
const notifyTimeout = 5 * time.Second

// eventNotifier coalesces and sends the event feed's notifications.
type eventNotifier struct {
	mu      sync.Mutex
	pending map[string]bool
	wake    chan struct{} // capacity 1
	stop    context.CancelFunc
	done    chan struct{}
}

// startEventNotifier starts db's notifier; Close stops it.
func (db *Driver) startEventNotifier() {
	ctx, stop := context.WithCancel(context.Background())
	n := &eventNotifier{pending: map[string]bool{}, wake: make(chan struct{}, 1), stop: stop, done: make(chan struct{})}
	db.notifier = n
	go func() {
		defer close(n.done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-n.wake:
			}
			orgs := n.take()
			if len(orgs) == 0 {
				continue
			}
			nctx, cancel := context.WithTimeout(ctx, notifyTimeout)
			// One statement, one transaction, however many organisations.
			db.pool.Exec(nctx, `SELECT pg_notify($1, o) FROM unnest($2::text[]) AS o`, eventsChannel, orgs)
			cancel()
		}
	}()
}

// committed queues the organisations whose events a transaction committed.
func (n *eventNotifier) committed(orgs []string) {
	if len(orgs) == 0 {
		return
	}
	n.mu.Lock()
	for _, o := range orgs {
		n.pending[o] = true
	}
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

func (n *eventNotifier) take() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	orgs := make([]string, 0, len(n.pending))
	for o := range n.pending {
		orgs = append(orgs, o)
	}
	clear(n.pending)
	return orgs
}

// close stops the notifier. What it had not sent yet is dropped: the
// streams read the log at their heartbeats.
func (n *eventNotifier) close() {
	n.stop()
	<-n.done
}
