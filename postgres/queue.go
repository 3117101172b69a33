package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-voice/switchboard"
)

// The deliveries table is the durable queue the delivery workers drain
// (the claim half of switchboard.DeliveryQueue). A worker leases due pending deliveries
// (lease_owner, lease_until), POSTs them, and records each outcome; a lease
// that lapses (the worker crashed) leaves the delivery claimable again.
//
// Workers on several nodes claim at once: the claim locks the rows it
// leases FOR UPDATE SKIP LOCKED, so a claim passes over the rows another
// claim is leasing instead of waiting for it, and a row leased by a claim
// that committed meanwhile is re-checked against the lease and dropped.
// No two owners ever hold a lease on one delivery.
//
// A claim commits without waiting for its WAL to reach the disk
// (synchronous_commit off, for that transaction alone): a lease is not
// worth an fsync. Should the server crash before the claim is flushed, the
// lease is lost and the delivery is simply due again, which is what a lease
// that lapses does anyway; every delivery is still sent at least once. The
// changes that must survive a crash (events and their deliveries, attempts
// and outcomes) commit durably, and a durable commit also flushes every
// claim committed before it.

// claimSQL leases the due deliveries, oldest due first ($1 owner, $2 lease
// end, $3 now, $4 limit), and reads everything the worker needs of them,
// with their events and receivers as they are now: one statement, each
// join a primary-key lookup.
//
// The receivers are read through LATERAL subqueries with LIMIT 1, which the
// planner must run as one lookup per claimed row by primary key, whatever
// it thinks of the tables' sizes. As plain left joins, the generic plan
// that a pooled connection caches could be made while the tables were
// nearly empty (a fresh database, before autovacuum's first ANALYZE): it
// then scanned every endpoint for every claimed row, and a claim cost grew
// with the number of endpoints (docs/benchmarks.md).
const claimSQL = `WITH due AS (
		SELECT id FROM deliveries
		WHERE status = '` + switchboard.DeliveryPending + `' AND next_attempt_at <= $3
			AND (lease_until IS NULL OR lease_until <= $3)
		ORDER BY next_attempt_at, id COLLATE "C"
		LIMIT $4
		FOR UPDATE SKIP LOCKED
	), claimed AS (
		UPDATE deliveries d SET lease_owner = $1, lease_until = $2
		FROM due WHERE d.id = due.id
		RETURNING d.id, d.organization_id, d.webhook_id, d.endpoint_id, d.event_id, d.event, d.url,
			d.attempt_count, d.max_attempts, d.next_attempt_at
	)
	SELECT c.id, c.organization_id, c.webhook_id, c.endpoint_id, c.event_id, c.event, c.url,
		c.attempt_count, c.max_attempts, e.created_at, e.data::text,
		w.url, w.active, w.secret, w.previous_secret, w.previous_secret_expires_at,
		ep.url, ep.status, ep.secret
	FROM claimed c
	JOIN events e ON e.id = c.event_id
	LEFT JOIN LATERAL (SELECT organization_id, url, active, secret, previous_secret, previous_secret_expires_at
		FROM webhooks WHERE id = c.webhook_id LIMIT 1) w ON w.organization_id = c.organization_id
	LEFT JOIN LATERAL (SELECT organization_id, url, status, secret
		FROM endpoints WHERE id = c.endpoint_id AND type = '` + switchboard.EndpointWebhook + `' LIMIT 1) ep
		ON ep.organization_id = c.organization_id
	ORDER BY c.next_attempt_at, c.id COLLATE "C"`

// ClaimDeliveries leases up to limit due deliveries to owner until now+lease,
// in one statement, in a transaction that does not wait for the disk:
// pending deliveries due by now that no live lease holds, oldest due first. Each job carries the receiver's URL and signing secrets
// as they are now (a PATCH after the event wins) and the payload exactly as
// FindDelivery shows it; Gone is set when the subscription was deleted or
// is inactive, or the endpoint was deleted, is inactive or is no longer a
// webhook endpoint.
func (db *Driver) ClaimDeliveries(ctx context.Context, owner string, limit int, lease time.Duration) ([]*switchboard.DeliveryJob, error) {
	switch {
	case owner == "":
		return nil, errors.New("claim deliveries: empty lease owner")
	case !storable(owner):
		return nil, fmt.Errorf("claim deliveries: lease owner %q is not text", owner)
	case lease <= 0:
		return nil, fmt.Errorf("claim deliveries: lease %v is not positive", lease)
	case limit <= 0:
		return nil, nil
	}
	now := db.now()
	var jobs []*switchboard.DeliveryJob
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		jobs = nil
		// Not durable on purpose: see the comment at the top of this file.
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, claimSQL, owner, now.Add(lease), now, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		jobs, err = scanJobs(rows, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return jobs, nil
}

// scanJobs reads the rows of claimSQL.
func scanJobs(rows pgx.Rows, now time.Time) ([]*switchboard.DeliveryJob, error) {
	var jobs []*switchboard.DeliveryJob
	payloads := map[string]json.RawMessage{} // by event: fan-out sends one event to several receivers
	for rows.Next() {
		var j switchboard.DeliveryJob
		var event, data string
		var eventAt time.Time
		var maxAttempts *int
		var whURL, whSecret, whPrev, epURL, epStatus, epSecret *string
		var whActive *bool
		var whPrevExpires *time.Time
		if err := rows.Scan(&j.ID, &j.OrganizationID, &j.WebhookID, &j.EndpointID, &j.EventID, &event,
			&j.URL, &j.AttemptCount, &maxAttempts, &eventAt, &data,
			&whURL, &whActive, &whSecret, &whPrev, &whPrevExpires,
			&epURL, &epStatus, &epSecret); err != nil {
			return nil, err
		}
		if maxAttempts != nil {
			j.MaxAttempts = *maxAttempts
		}
		if p, ok := payloads[j.EventID]; ok {
			j.Payload = p
		} else {
			var err error
			if j.Payload, err = switchboard.EventEnvelope(j.EventID, event, eventAt, data); err != nil {
				return nil, err
			}
			payloads[j.EventID] = j.Payload
		}
		switch {
		case j.WebhookID != nil && whURL != nil: // the subscription exists
			w := switchboard.Webhook{Secret: deref(whSecret), PreviousSecret: deref(whPrev), PreviousSecretExpiresAt: whPrevExpires}
			j.URL, j.Secrets, j.Gone = *whURL, w.SigningSecrets(now), whActive == nil || !*whActive
		case j.EndpointID != nil && epURL != nil: // the endpoint exists and is a webhook
			j.URL, j.Gone = *epURL, deref(epStatus) != switchboard.StatusActive
			if s := deref(epSecret); s != "" {
				j.Secrets = []string{s}
			}
		default: // deleted, or no longer a webhook endpoint: the stored URL stays
			j.Gone = true
		}
		jobs = append(jobs, &j)
	}
	return jobs, rows.Err()
}

// finishSQL records the outcomes of attempts, given as arrays ($2…$11, one
// element per result), for the deliveries owner $1 still leases, in one
// statement: it locks them in ID order (as every finish does, so two
// finishes cannot deadlock), records the outcome and ends the lease, adds
// the attempts, numbered after the last, and switches off the
// subscriptions that asked for it ($12 is now).
const finishSQL = `WITH r AS (
		SELECT * FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::int[], $6::timestamptz[],
			$7::int[], $8::bigint[], $9::text[], $10::text[], $11::bool[])
			AS r(id, status, next_at, code, at, attempt_code, latency, error, excerpt, deactivate)
	), mine AS (
		SELECT d.id FROM deliveries d
		WHERE d.id IN (SELECT id FROM r) AND d.lease_owner = $1
			AND d.status = '` + switchboard.DeliveryPending + `'
		ORDER BY d.id COLLATE "C"
		FOR UPDATE
	), done AS (
		UPDATE deliveries d SET attempt_count = d.attempt_count + 1, status = r.status, next_attempt_at = r.next_at,
			last_status_code = r.code,
			delivered_at = CASE WHEN r.status = '` + switchboard.DeliveryDelivered + `' THEN r.at END,
			updated_at = $12, lease_owner = NULL, lease_until = NULL
		FROM r JOIN mine ON mine.id = r.id
		WHERE d.id = r.id AND d.lease_owner = $1
		RETURNING d.id, d.organization_id, d.webhook_id, d.attempt_count,
			r.at, r.attempt_code, r.latency, r.error, r.excerpt, r.deactivate
	), attempts AS (
		INSERT INTO delivery_attempts (delivery_id, number, attempted_at, status_code, latency_ms, error, response_excerpt)
		SELECT id, attempt_count, at, attempt_code, latency, error, excerpt FROM done
	), deactivated AS (
		UPDATE webhooks w SET active = false, updated_at = $12
		FROM (SELECT DISTINCT organization_id, webhook_id FROM done WHERE deactivate AND webhook_id IS NOT NULL) x
		WHERE w.organization_id = x.organization_id AND w.id = x.webhook_id AND w.active
	)
	SELECT count(*) FROM done`

// FinishDeliveries records the outcomes of attempts in one statement, and
// so in one transaction. A result is ignored, silently, unless owner still
// holds the delivery's lease: after a lease lapsed and another worker
// claimed the delivery, the new owner's outcome wins (and of two results
// for one delivery, the first). Each recorded result adds the attempt
// (numbered after the last; a zero AttemptedAt means now), sets the status,
// the next attempt time (pending only), the last status code (NULL for an
// attempt without an HTTP status), the delivery time (delivered only: the
// attempt's), clears the lease and, with DeactivateWebhook, switches the
// subscription off.
func (db *Driver) FinishDeliveries(ctx context.Context, owner string, results []switchboard.DeliveryResult) error {
	if len(results) == 0 || !storable(owner) {
		return nil // an owner that cannot be stored holds no lease
	}
	now := db.now()
	n := len(results)
	var (
		ids, statuses, errs, excerpts = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
		nexts                         = make([]*time.Time, 0, n)
		codes                         = make([]*int32, 0, n)
		ats                           = make([]time.Time, 0, n)
		attemptCodes                  = make([]int32, 0, n)
		latencies                     = make([]int64, 0, n)
		deactivate                    = make([]bool, 0, n)
		seen                          = make(map[string]bool, n)
	)
	for _, r := range results {
		if seen[r.ID] || !switchboard.ValidID(switchboard.PrefixDelivery, r.ID) {
			continue // the first result for a delivery ends its lease; no other is ours
		}
		seen[r.ID] = true
		a := r.Attempt
		at := now
		if !a.AttemptedAt.IsZero() {
			at = ts(a.AttemptedAt)
		}
		var next *time.Time
		if r.Status == switchboard.DeliveryPending {
			t := ts(r.NextAttemptAt)
			next = &t
		}
		var code *int32
		if a.StatusCode != 0 {
			c := int32(a.StatusCode)
			code = &c
		}
		ids = append(ids, r.ID)
		statuses = append(statuses, r.Status)
		nexts = append(nexts, next)
		codes = append(codes, code)
		ats = append(ats, at)
		attemptCodes = append(attemptCodes, int32(a.StatusCode))
		latencies = append(latencies, a.LatencyMS)
		errs = append(errs, text(a.Error))
		excerpts = append(excerpts, text(a.ResponseExcerpt))
		deactivate = append(deactivate, r.DeactivateWebhook)
	}
	if len(ids) == 0 {
		return nil
	}
	err := db.retry(ctx, func() error {
		var recorded int
		return db.pool.QueryRow(ctx, finishSQL, owner, ids, statuses, nexts, codes, ats,
			attemptCodes, latencies, errs, excerpts, deactivate, now).Scan(&recorded)
	})
	if err != nil {
		return fmt.Errorf("finish deliveries: %w", err)
	}
	return nil
}

// text makes s storable in a text column: a worker's error message or a
// receiver's response excerpt may hold NUL bytes or invalid UTF-8, which
// PostgreSQL refuses (SQLite keeps them).
func text(s string) string {
	if storable(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// requeueSet is the SET clause shared by RetryDelivery and ReplayDeliveries:
// pending now ($1) for exactly one more attempt, unleased, not delivered.
const requeueSet = `SET status = '` + switchboard.DeliveryPending + `', next_attempt_at = $1,
	max_attempts = attempt_count + 1, lease_owner = NULL, lease_until = NULL,
	delivered_at = NULL, updated_at = $1`

// RequeueDelivery makes the delivery pending again unless it is pending.
func (t *txn) RequeueDelivery(ctx context.Context, orgID, id string, now time.Time) (bool, error) {
	tag, err := t.Exec(ctx, `UPDATE deliveries `+requeueSet+`
		WHERE organization_id = $2 AND id = $3 AND status <> '`+switchboard.DeliveryPending+`'`,
		ts(now), orgID, id)
	return err == nil && tag.RowsAffected() > 0, err
}

// RequeueFailedDeliveries makes the subscription's failed deliveries
// created since pending again.
func (t *txn) RequeueFailedDeliveries(ctx context.Context, orgID, webhookID string, since, now time.Time) (int, error) {
	tag, err := t.Exec(ctx, `UPDATE deliveries `+requeueSet+`
		WHERE webhook_id = $2 AND organization_id = $3 AND created_at >= $4
			AND status = '`+switchboard.DeliveryFailed+`'`,
		ts(now), webhookID, orgID, ts(since))
	return int(tag.RowsAffected()), err
}

// CountPendingDeliveries returns the number of pending deliveries of every
// organisation, leased or not: the queue depth. It counts the entries of
// the partial index deliveries_due, not the table.
func (db *Driver) CountPendingDeliveries(ctx context.Context) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE status = '`+switchboard.DeliveryPending+`'`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count pending deliveries: %w", err)
	}
	return n, nil
}
