package webhook

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/switchboard-voice/switchboard"
)

// WorkerConfig tunes a delivery worker. Zero values give the defaults.
type WorkerConfig struct {
	// Owner names this worker in leases; unique per process.
	Owner string
	// Schedule is the delay before each attempt; default DefaultSchedule().
	Schedule []time.Duration
	// Timeout bounds one POST; default 10 s.
	Timeout time.Duration
	// Concurrency is how many POSTs run at once; default 64.
	Concurrency int
	// BatchSize is the most deliveries claimed or finished in one
	// transaction; default 256.
	BatchSize int
	// PollInterval is how often an idle worker looks for due deliveries;
	// default 200 ms (Notify wakes it sooner).
	PollInterval time.Duration
	// AllowPrivate lets deliveries reach private addresses (development).
	AllowPrivate bool
	// Client overrides the HTTP client (tests); default NewHTTPClient's,
	// keeping an idle connection per receiver for every sender.
	Client *http.Client
	Clock  switchboard.Clock
	Logger *slog.Logger
	// Observe, when set, is told the outcome and latency of every attempt.
	Observe func(outcome string, latency time.Duration)
}

// Attempt outcomes, as Observe and the metrics name them.
const (
	OutcomeDelivered = "delivered"
	OutcomeRetry     = "retry"
	OutcomeFailed    = "failed"
)

// maxExcerpt is how much of a receiver's reply the delivery log keeps.
const maxExcerpt = 512

// Worker drains the delivery queue: it leases due deliveries, signs and
// POSTs each, and records every attempt. Several workers (in one process
// or on several nodes) may share a queue; leases keep them apart.
type Worker struct {
	queue switchboard.DeliveryQueue
	cfg   WorkerConfig
	lease time.Duration

	wake     chan struct{}
	inflight atomic.Int64
}

// NewWorker returns a worker over queue.
func NewWorker(queue switchboard.DeliveryQueue, cfg WorkerConfig) *Worker {
	if cfg.Owner == "" {
		cfg.Owner = switchboard.NewID("wrk_")
	}
	if len(cfg.Schedule) == 0 {
		cfg.Schedule = DefaultSchedule()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 256
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 200 * time.Millisecond
	}
	if cfg.Client == nil {
		cfg.Client = newHTTPClient(cfg.Timeout, cfg.AllowPrivate, cfg.Concurrency)
	}
	if cfg.Clock == nil {
		cfg.Clock = switchboard.SystemClock
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Worker{
		queue: queue,
		cfg:   cfg,
		// A lease outlives the slowest attempt with room to record it, so a
		// live worker never loses one; a crashed worker's lapse soon after.
		lease: 2*cfg.Timeout + 10*time.Second,
		wake:  make(chan struct{}, 1),
	}
}

// Notify wakes an idle worker: new deliveries were committed.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then finishes the attempts it started and
// records them before returning.
func (w *Worker) Run(ctx context.Context) error {
	jobs := make(chan *switchboard.DeliveryJob, w.cfg.Concurrency)
	results := make(chan switchboard.DeliveryResult, w.cfg.Concurrency)

	var senders sync.WaitGroup
	for range w.cfg.Concurrency {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for job := range jobs {
				// In-flight attempts outlive ctx: a delivery started is finished.
				results <- w.attempt(context.WithoutCancel(ctx), job)
			}
		}()
	}
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		w.record(results)
	}()

	w.claimLoop(ctx, jobs)
	close(jobs)
	senders.Wait()
	close(results)
	<-finished
	return nil
}

// Batching of the queue's statements: the more deliveries a claim or a
// finish carries, the fewer statements the store runs per delivery (tune
// with STORE=postgres NODES=2 BACKLOG=1 bash bench/webhooks/run.sh). A
// lease (2 × the timeout + 10 s) outlives the wait of a delivery claimed
// ahead; an outcome is recorded at most finishLinger after its POST.
const (
	claimAhead   = 4                     // deliveries leased per sender, in flight or waiting
	finishLinger = 20 * time.Millisecond // how long a finished attempt waits for company
)

// claimLoop leases as many deliveries as there are free senders.
func (w *Worker) claimLoop(ctx context.Context, jobs chan<- *switchboard.DeliveryJob) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	// Claiming ahead of the senders keeps them busy between claims, and
	// lets each claim (and each finish) carry more rows: PostgreSQL's cost
	// is mostly per statement at these batch sizes.
	capacity := int64(claimAhead * w.cfg.Concurrency)
	for {
		free := capacity - w.inflight.Load()
		var claimed int
		if free > 0 {
			batch, err := w.queue.ClaimDeliveries(ctx, w.cfg.Owner, int(min(free, int64(w.cfg.BatchSize))), w.lease)
			if err != nil && ctx.Err() == nil {
				w.cfg.Logger.Error("claim deliveries", "err", err)
			}
			claimed = len(batch)
			for _, job := range batch {
				w.inflight.Add(1)
				jobs <- job
			}
		}
		if ctx.Err() != nil {
			return
		}
		if claimed > 0 && free > int64(claimed) {
			continue // there may be more due right now
		}
		timer.Reset(w.cfg.PollInterval)
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-timer.C:
		}
	}
}

// record writes results in batches: one transaction per batch, flushed
// when full or after a short linger, so the store's writer is not the
// bottleneck.
func (w *Worker) record(results <-chan switchboard.DeliveryResult) {
	var batch []switchboard.DeliveryResult
	flush := func() {
		if len(batch) == 0 {
			return
		}
		// Recording must survive shutdown: a lost record means a re-send.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := w.queue.FinishDeliveries(ctx, w.cfg.Owner, batch); err != nil {
			// The leases lapse and the deliveries are attempted again:
			// at least once, never lost.
			w.cfg.Logger.Error("record delivery attempts", "count", len(batch), "err", err)
		}
		w.inflight.Add(-int64(len(batch)))
		batch = batch[:0]
		// Capacity was freed: claim more now rather than at the next poll.
		w.Notify()
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case r, ok := <-results:
			if !ok {
				flush()
				return
			}
			if len(batch) == 0 {
				timer.Reset(finishLinger)
			}
			batch = append(batch, r)
			if len(batch) >= w.cfg.BatchSize {
				flush()
			}
		case <-timer.C:
			flush()
		}
	}
}

// attempt makes one signed POST and decides what happens next.
func (w *Worker) attempt(ctx context.Context, job *switchboard.DeliveryJob) switchboard.DeliveryResult {
	now := w.cfg.Clock()
	res := switchboard.DeliveryResult{
		ID:      job.ID,
		Attempt: switchboard.DeliveryAttempt{Number: job.AttemptCount + 1, AttemptedAt: now},
	}
	if job.Gone {
		res.Status = switchboard.DeliveryFailed
		res.Attempt.Error = "receiver was deleted or deactivated"
		w.observe(OutcomeFailed, 0)
		return res
	}
	header, err := Sign(job.Payload, job.EventID, now, job.Secrets...)
	if err != nil {
		res.Status = switchboard.DeliveryFailed
		res.Attempt.Error = "cannot sign: " + err.Error()
		w.observe(OutcomeFailed, 0)
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := newRequest(ctx, job.URL, job.Payload, header)
	if err != nil {
		res.Status = switchboard.DeliveryFailed
		res.Attempt.Error = "invalid URL"
		w.observe(OutcomeFailed, 0)
		return res
	}
	start := time.Now()
	resp, err := w.cfg.Client.Do(req)
	latency := time.Since(start)
	res.Attempt.LatencyMS = latency.Milliseconds()
	retryAfter := time.Duration(0)
	if err != nil {
		reason, detail := attemptError(err)
		res.Attempt.Error = reason
		w.cfg.Logger.Warn("webhook delivery attempt failed", "delivery", job.ID, "attempt", res.Attempt.Number,
			"reason", reason, "err", detail)
	} else {
		res.Attempt.StatusCode = resp.StatusCode
		excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, maxExcerpt))
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
		resp.Body.Close()
		res.Attempt.ResponseExcerpt = strings.ToValidUTF8(string(excerpt), string(utf8.RuneError))
		retryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	}
	switch {
	case err == nil && resp.StatusCode >= 200 && resp.StatusCode < 300:
		res.Status = switchboard.DeliveryDelivered
		w.observe(OutcomeDelivered, latency)
		return res
	case err == nil && resp.StatusCode == http.StatusGone && job.WebhookID != nil:
		// The receiver says it is gone for good: stop sending to it.
		res.Status, res.DeactivateWebhook = switchboard.DeliveryFailed, true
		w.observe(OutcomeFailed, latency)
		return res
	}
	made := job.AttemptCount + 1
	delay, ok := NextDelay(w.cfg.Schedule, made, retryAfter)
	if !ok || (job.MaxAttempts > 0 && made >= job.MaxAttempts) {
		res.Status = switchboard.DeliveryFailed
		w.observe(OutcomeFailed, latency)
		return res
	}
	res.Status, res.NextAttemptAt = switchboard.DeliveryPending, now.Add(delay)
	w.observe(OutcomeRetry, latency)
	return res
}

func (w *Worker) observe(outcome string, latency time.Duration) {
	if w.cfg.Observe != nil {
		w.cfg.Observe(outcome, latency)
	}
}
