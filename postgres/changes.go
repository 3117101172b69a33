package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
)

// The change feed of the PostgreSQL store is LISTEN/NOTIFY, so that a
// change made through any node reaches every node's SIP edge at once. The
// write paths that change an organisation's numbers or endpoints call
// pg_notify inside their transaction: PostgreSQL delivers the notification
// if and only if the transaction commits, and only once it is visible.
//
// The channel is database-wide: stores in other schemas of the same
// database hear each other's changes too. That costs them a reload of an
// organisation they do not have, never a missed change.
const changesChannel = "switchboard_changes"

// eventsChannel tells every node that an organisation wrote events (the
// payload is its ID); each node's notifier sends it after the commits
// (eventnotify.go).
const eventsChannel = "switchboard_events"

// hangupsChannel carries hangup requests between nodes (RequestHangup);
// the payload is JSON naming the node, the organisation and the call.
const hangupsChannel = "switchboard_hangups"

// Timings of the listener. An idle listener pings the server now and then,
// since a connection lost without a word (a dead network path) would
// otherwise leave it waiting for ever. Reconnections back off, with
// jitter, so that nodes do not all hammer a restarting server at once.
const (
	listenIdle        = 30 * time.Second
	listenPingTimeout = 5 * time.Second
	listenCloseWait   = time.Second
	reconnectMin      = 100 * time.Millisecond
	reconnectMax      = 10 * time.Second
)

// notifyChange tells every listener, when the transaction commits, that
// the organisation's numbers or endpoints changed. PostgreSQL folds equal
// notifications of one transaction into one.
func (tx *txn) notifyChange(orgID string) error {
	_, err := tx.Exec(tx.ctx, `SELECT pg_notify($1, $2)`, changesChannel, orgID)
	return err
}

// SubscribeChanges calls fn with the organisation's ID after each
// committed change to its numbers or endpoints, made through any store on
// this database, until ctx ends; then it returns nil, having closed its
// connection.
//
// It listens on a connection of its own, outside the pool. After each
// (re)connection, once it listens, it calls fn("") (reload everything):
// changes made while it was not listening were missed. So its first call
// is fn(""), and a caller that (re)loads everything then misses no change.
// A lost connection is re-established with backoff, for as long as ctx
// lasts. fn is called from SubscribeChanges' goroutine, one call at a
// time; notifications wait in the connection while it runs.
func (db *Driver) SubscribeChanges(ctx context.Context, fn func(orgID string)) error {
	return db.subscribe(ctx, changesChannel, func() { fn("") }, fn)
}

// SubscribeEvents calls fn with the organisation's ID after each committed
// transaction that wrote events of it, through any store on this database,
// until ctx ends, listening as SubscribeChanges does (first fn(""), and
// again after each reconnection: events may have been written meanwhile).
func (db *Driver) SubscribeEvents(ctx context.Context, fn func(orgID string)) error {
	return db.subscribe(ctx, eventsChannel, func() { fn("") }, fn)
}

// hangupRequest is the payload of a hangup notification.
type hangupRequest struct {
	Node   string `json:"node"`
	OrgID  string `json:"org"`
	CallID string `json:"call"`
}

// RequestHangup implements switchboard.HangupRelay with a notification
// every node hears; the addressed node acts on it.
func (db *Driver) RequestHangup(ctx context.Context, node, orgID, callID string) error {
	payload, err := json.Marshal(hangupRequest{Node: node, OrgID: orgID, CallID: callID})
	if err != nil {
		return err
	}
	if _, err := db.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, hangupsChannel, string(payload)); err != nil {
		return fmt.Errorf("request hangup of %s on %s: %w", callID, node, err)
	}
	return nil
}

// SubscribeHangups implements switchboard.HangupRelay: it listens like
// SubscribeChanges, on a connection of its own. A request sent while the
// connection was being re-established is lost; the caller can ask again.
func (db *Driver) SubscribeHangups(ctx context.Context, node string, fn func(orgID, callID string)) error {
	return db.subscribe(ctx, hangupsChannel, func() {}, func(payload string) {
		var req hangupRequest
		if json.Unmarshal([]byte(payload), &req) == nil && req.Node == node {
			fn(req.OrgID, req.CallID)
		}
	})
}

// subscribe listens on channel until ctx ends, reconnecting with backoff.
func (db *Driver) subscribe(ctx context.Context, channel string, onListen func(), fn func(payload string)) error {
	cfg := db.pool.Config().ConnConfig // a copy: the pool's connection settings, search_path included
	delay := reconnectMin
	for {
		if listened := listen(ctx, cfg, channel, onListen, fn); listened {
			delay = reconnectMin // it worked for a while: retry promptly
		}
		if ctx.Err() != nil {
			return nil
		}
		// Full jitter over [delay/2, delay).
		wait := delay/2 + rand.N(delay/2)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
		delay = min(2*delay, reconnectMax)
	}
}

// listen connects, listens and calls fn for each notification until the
// connection fails or ctx ends. It reports whether it got as far as
// listening. Its errors are not returned: the caller reconnects whatever
// went wrong, and fn("") after the next LISTEN covers what was missed.
func listen(ctx context.Context, cfg *pgx.ConnConfig, channel string, onListen func(), fn func(payload string)) (listened bool) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), listenCloseWait)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+channel); err != nil {
		return false
	}
	onListen()
	for {
		wctx, cancel := context.WithTimeout(ctx, listenIdle)
		n, err := conn.WaitForNotification(wctx)
		idle := wctx.Err() != nil
		cancel()
		switch {
		case err == nil:
			if n.Channel == channel {
				fn(n.Payload)
			}
		case ctx.Err() != nil:
			return true
		case idle && !conn.IsClosed():
			// Quiet for a while: make sure the server is still there.
			pctx, cancel := context.WithTimeout(ctx, listenPingTimeout)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return true
			}
		default:
			return true
		}
	}
}
