package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// The deliveries table is the durable queue the delivery workers drain
// (the claim half of switchboard.DeliveryQueue). A worker leases due pending deliveries
// (lease_owner, lease_until), POSTs them, and records each outcome; a lease
// that lapses (the worker crashed) leaves the delivery claimable again.
// Claims and finishes are write transactions, so the single writer
// serialises them: two workers never hold the same lease.

// claimSQL leases the due deliveries, oldest due first. The subquery reads
// the partial index deliveries_due alone (it holds lease_until and the
// rowid), so the leased deliveries it passes over cost no row reads.
const claimSQL = `UPDATE deliveries SET lease_owner = ?1, lease_until = ?2
	WHERE rowid IN (SELECT rowid FROM deliveries
		WHERE status = '` + switchboard.DeliveryPending + `' AND next_attempt_at <= ?3
			AND (lease_until IS NULL OR lease_until <= ?3)
		ORDER BY next_attempt_at LIMIT ?4)
	RETURNING rowid`

// claimJobsSQL reads everything the worker needs of the claimed deliveries,
// whose rowids are the JSON array ?1, with their events and receivers as
// they are now: one query for the batch, each join a primary-key lookup.
// (Rowids serve only within the transaction that read them: VACUUM may
// renumber them.)
const claimJobsSQL = `SELECT d.id, d.organization_id, d.webhook_id, d.endpoint_id, d.event_id, d.event,
		d.url, d.attempt_count, d.max_attempts, e.created_at, e.data,
		w.url, w.active, w.secret, w.previous_secret, w.previous_secret_expires_at,
		ep.url, ep.status, ep.secret
	FROM json_each(?1) j
	JOIN deliveries d ON d.rowid = j.value
	JOIN events e ON e.id = d.event_id
	LEFT JOIN webhooks w ON w.id = d.webhook_id AND w.organization_id = d.organization_id
	LEFT JOIN endpoints ep ON ep.id = d.endpoint_id AND ep.organization_id = d.organization_id
		AND ep.type = '` + switchboard.EndpointWebhook + `'
	ORDER BY d.next_attempt_at, d.id`

// ClaimDeliveries leases up to limit due deliveries to owner until now+lease,
// in one write transaction: pending deliveries due by now that no live lease
// holds, oldest due first. Each job carries the receiver's URL and signing
// secrets as they are now (a PATCH after the event wins) and the payload
// exactly as FindDelivery shows it; Gone is set when the subscription was
// deleted or is inactive, or the endpoint was deleted, is inactive or is no
// longer a webhook endpoint.
func (db *Driver) ClaimDeliveries(ctx context.Context, owner string, limit int, lease time.Duration) ([]*switchboard.DeliveryJob, error) {
	switch {
	case owner == "":
		return nil, errors.New("claim deliveries: empty lease owner")
	case lease <= 0:
		return nil, fmt.Errorf("claim deliveries: lease %v is not positive", lease)
	case limit <= 0:
		return nil, nil
	}
	claim, err := db.writeStmt(ctx, claimSQL)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	read, err := db.writeStmt(ctx, claimJobsSQL)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	var jobs []*switchboard.DeliveryJob
	err = db.write(ctx, func(tx *txn) error {
		now := db.now()
		rowids, err := claimRowids(ctx, tx.StmtContext(ctx, claim), owner, micros(now.Add(lease)), micros(now), limit)
		if err != nil || len(rowids) == 0 {
			return err
		}
		list, err := json.Marshal(rowids)
		if err != nil {
			return err
		}
		jobs, err = claimedJobs(ctx, tx.StmtContext(ctx, read), string(list), now, len(rowids))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return jobs, nil
}

// claimRowids runs claimSQL and returns the rowids of the deliveries it leased.
func claimRowids(ctx context.Context, claim *sql.Stmt, owner string, until, now int64, limit int) ([]int64, error) {
	rows, err := claim.QueryContext(ctx, owner, until, now, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	rowids := make([]int64, 0, limit)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		rowids = append(rowids, id)
	}
	return rowids, rows.Err()
}

// claimedJobs runs claimJobsSQL for the rowids in the JSON array list.
func claimedJobs(ctx context.Context, read *sql.Stmt, list string, now time.Time, n int) ([]*switchboard.DeliveryJob, error) {
	rows, err := read.QueryContext(ctx, list)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	jobs := make([]*switchboard.DeliveryJob, 0, n)
	payloads := map[string]json.RawMessage{} // by event: fan-out sends one event to several receivers
	for rows.Next() {
		var j switchboard.DeliveryJob
		var event, data string
		var eventAt int64
		var maxAttempts sql.NullInt64
		var whURL, whSecret, whPrev, epURL, epStatus, epSecret sql.NullString
		var whActive sql.NullBool
		var whPrevExpires sql.NullInt64
		if err := rows.Scan(&j.ID, &j.OrganizationID, &j.WebhookID, &j.EndpointID, &j.EventID, &event,
			&j.URL, &j.AttemptCount, &maxAttempts, &eventAt, &data,
			&whURL, &whActive, &whSecret, &whPrev, &whPrevExpires,
			&epURL, &epStatus, &epSecret); err != nil {
			return nil, err
		}
		j.MaxAttempts = int(maxAttempts.Int64)
		if p, ok := payloads[j.EventID]; ok {
			j.Payload = p
		} else {
			if j.Payload, err = switchboard.EventEnvelope(j.EventID, event, fromMicros(eventAt), data); err != nil {
				return nil, err
			}
			payloads[j.EventID] = j.Payload
		}
		switch {
		case j.WebhookID != nil && whURL.Valid: // the subscription exists
			w := switchboard.Webhook{Secret: whSecret.String, PreviousSecret: whPrev.String,
				PreviousSecretExpiresAt: timeOrNil(whPrevExpires)}
			j.URL, j.Secrets, j.Gone = whURL.String, w.SigningSecrets(now), !whActive.Bool
		case j.EndpointID != nil && epURL.Valid: // the endpoint exists and is a webhook
			j.URL, j.Gone = epURL.String, epStatus.String != switchboard.StatusActive
			if epSecret.String != "" {
				j.Secrets = []string{epSecret.String}
			}
		default: // deleted, or no longer a webhook endpoint: the stored URL stays
			j.Gone = true
		}
		jobs = append(jobs, &j)
	}
	return jobs, rows.Err()
}

// FinishDeliveries runs two prepared single-row statements per result, not
// one INSERT … SELECT and one UPDATE … FROM for the whole batch (the batch
// as one JSON array through jsonb_each): measured with BenchmarkClaimFinish
// and a finish-only benchmark, the set-based form cost more per delivery on
// this driver, whatever the batch size, even with temp_store=MEMORY. A
// multi-row insert into delivery_attempts, the
// child of an immediate foreign key, needs a statement journal, which
// spills to a temporary file past 64 KiB (16 pages: a few dozen attempts
// scattered over the table's leaves by their random delivery IDs);
// UPDATE … FROM runs in two passes through an ephemeral table; and reading
// the fields back out of JSON costs about what the saved statement
// executions did. Per delivery, the cost is B-tree work on random keys and
// the WAL, which no formulation of these statements changes.

// attemptSQL records an attempt of the delivery ?6, numbered after its
// last, if ?7 still holds its lease; it inserts nothing when the lease has
// passed to another owner or ended.
const attemptSQL = `INSERT INTO delivery_attempts
		(delivery_id, number, attempted_at, status_code, latency_ms, error, response_excerpt)
	SELECT id, attempt_count + 1, ?1, ?2, ?3, ?4, ?5 FROM deliveries
	WHERE id = ?6 AND lease_owner = ?7 AND status = '` + switchboard.DeliveryPending + `'`

// finishSQL records the outcome of the attempt attemptSQL recorded and
// ends the lease.
const finishSQL = `UPDATE deliveries SET attempt_count = attempt_count + 1, status = ?1, next_attempt_at = ?2,
		last_status_code = ?3, delivered_at = ?4, updated_at = ?5, lease_owner = NULL, lease_until = NULL
	WHERE id = ?6`

// deactivateSQL switches off the subscription of the delivery ?2.
const deactivateSQL = `UPDATE webhooks SET active = 0, updated_at = ?1
	WHERE active = 1 AND (organization_id, id) =
		(SELECT organization_id, webhook_id FROM deliveries WHERE id = ?2)`

// FinishDeliveries records the outcomes of attempts in one write
// transaction. A result is ignored, silently, unless owner still holds the
// delivery's lease: after a lease lapsed and another worker claimed the
// delivery, the new owner's outcome wins. Each recorded result adds the
// attempt (numbered after the last; a zero AttemptedAt means now), sets
// the status, the next attempt time (pending only), the last status code
// (NULL for an attempt without an HTTP status), the delivery time
// (delivered only: the attempt's), clears the lease and, with
// DeactivateWebhook, switches the subscription off.
func (db *Driver) FinishDeliveries(ctx context.Context, owner string, results []switchboard.DeliveryResult) error {
	if len(results) == 0 {
		return nil
	}
	var stmts [3]*sql.Stmt
	for i, q := range []string{attemptSQL, finishSQL, deactivateSQL} {
		var err error
		if stmts[i], err = db.writeStmt(ctx, q); err != nil {
			return fmt.Errorf("finish deliveries: %w", err)
		}
	}
	err := db.write(ctx, func(tx *txn) error {
		attempt, finish := tx.StmtContext(ctx, stmts[0]), tx.StmtContext(ctx, stmts[1])
		var deactivate *sql.Stmt // rare: bound to the transaction at first use
		now := db.now()
		// The driver watches a cancellable context in a goroutine per
		// statement, which costs more than these primary-key lookups:
		// they run without one, and the loop checks ctx itself.
		rowCtx := context.WithoutCancel(ctx)
		for _, r := range results {
			if err := ctx.Err(); err != nil {
				return err
			}
			at := now
			if !r.Attempt.AttemptedAt.IsZero() {
				at = r.Attempt.AttemptedAt.UTC().Truncate(time.Microsecond)
			}
			a := r.Attempt
			res, err := attempt.ExecContext(rowCtx, micros(at), a.StatusCode, a.LatencyMS, a.Error, a.ResponseExcerpt, r.ID, owner)
			if err != nil {
				return fmt.Errorf("%s: attempt: %w", r.ID, err)
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				if err != nil {
					return fmt.Errorf("%s: attempt: %w", r.ID, err)
				}
				continue // no longer ours
			}
			var next, code, delivered any // nil is NULL
			switch r.Status {
			case switchboard.DeliveryPending:
				next = micros(r.NextAttemptAt)
			case switchboard.DeliveryDelivered:
				delivered = micros(at)
			}
			if a.StatusCode != 0 {
				code = a.StatusCode
			}
			if _, err := finish.ExecContext(rowCtx, r.Status, next, code, delivered, micros(now), r.ID); err != nil {
				return fmt.Errorf("%s: %w", r.ID, err)
			}
			if r.DeactivateWebhook {
				if deactivate == nil {
					deactivate = tx.StmtContext(ctx, stmts[2])
				}
				if _, err := deactivate.ExecContext(rowCtx, micros(now), r.ID); err != nil {
					return fmt.Errorf("%s: deactivate its subscription: %w", r.ID, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish deliveries: %w", err)
	}
	return nil
}

// requeueSet is the SET clause shared by RetryDelivery and ReplayDeliveries:
// pending now (?1) for exactly one more attempt, unleased, not delivered.
const requeueSet = `SET status = '` + switchboard.DeliveryPending + `', next_attempt_at = ?1,
	max_attempts = attempt_count + 1, lease_owner = NULL, lease_until = NULL,
	delivered_at = NULL, updated_at = ?1`

// RequeueDelivery makes the delivery pending again unless it is pending.
func (tx *txn) RequeueDelivery(ctx context.Context, orgID, id string, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE deliveries `+requeueSet+`
		WHERE organization_id = ?2 AND id = ?3 AND status <> '`+switchboard.DeliveryPending+`'`,
		micros(now), orgID, id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// RequeueFailedDeliveries makes the subscription's failed deliveries
// created since pending again.
func (tx *txn) RequeueFailedDeliveries(ctx context.Context, orgID, webhookID string, since, now time.Time) (int, error) {
	res, err := tx.ExecContext(ctx, `UPDATE deliveries `+requeueSet+`
		WHERE webhook_id = ?2 AND organization_id = ?3 AND created_at >= ?4
			AND status = '`+switchboard.DeliveryFailed+`'`,
		micros(now), webhookID, orgID, micros(since))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// CountPendingDeliveries returns the number of pending deliveries of every
// organisation, leased or not: the queue depth. It counts the entries of
// the partial index deliveries_due, not the table.
func (db *Driver) CountPendingDeliveries(ctx context.Context) (int, error) {
	var n int
	err := db.queryRow(ctx, `SELECT COUNT(*) FROM deliveries WHERE status = '`+switchboard.DeliveryPending+`'`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count pending deliveries: %w", err)
	}
	return n, nil
}
