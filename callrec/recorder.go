// Package callrec writes call records durably for the SIP edge: a
// switchboard.CallRecorder that saves updates in batches and, with a call
// journal, makes an answered call durable without waiting for the
// database.
package callrec

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// Config configures a recorder.
type Config struct {
	// Journal is the directory of the call journal (journal.go), where
	// every update is written before the database has it, so that the
	// answer of a call need not wait for a commit. Empty: no journal;
	// SaveDurable waits for the update's commit.
	Journal string
	// Node names this node: a node replays and writes only its own
	// journal segments, so nodes may share a directory.
	Node string
	// Store is where the records are saved.
	Store switchboard.CallService
	// Logger is the recorder's log; default slog.Default().
	Logger *slog.Logger
}

// Open starts a recorder. With a journal, it first saves what a previous
// run of this node (same Node) left in it, so that a crashed node's calls
// are recorded before it ends its orphan calls.
func Open(ctx context.Context, cfg Config) (*Recorder, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	var j *journal
	if cfg.Journal != "" {
		n, err := replayJournal(ctx, cfg.Journal, cfg.Node, cfg.Store, cfg.Logger)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			cfg.Logger.Warn("saved call updates a previous run of this node left in the call journal", "updates", n)
		}
		if j, err = openJournal(cfg.Journal, cfg.Node, cfg.Logger); err != nil {
			return nil, err
		}
	}
	return newRecorder(cfg.Store, j, cfg.Logger), nil
}

var _ switchboard.CallRecorder = (*Recorder)(nil)

// Recorder writes call records in batches from one goroutine, so the SIP
// path only hands an update over and moves on. Updates are written in the
// order they were handed over (a call's timeline stays in order). An
// update that must be durable before the SIP path continues — the answer,
// since a record is never lost once a call was answered — is written to
// the call journal (journal.go) before it is handed over; without a
// journal, or once it failed, it waits for the commit of the batch that
// holds it: a group commit, so waiting costs one transaction shared by
// every call answered meanwhile.
type Recorder struct {
	store  switchboard.CallService
	log    *slog.Logger
	in     chan recItem
	done   chan struct{}
	maxLen int
	// j, when set, makes an update durable before it is committed: the
	// answer waits for the journal's write, not for the database.
	j *journal
}

type recItem struct {
	upd  switchboard.CallUpdate
	done chan error // nil unless the sender waits for the commit
	seq  uint64     // the update's number in the journal, if any
}

// Batch and retry limits of the recorder.
const (
	recBatch         = 256
	recQueue         = 1 << 16
	recRetryFirst    = 50 * time.Millisecond
	recBatchPatience = 30 * time.Second
	recItemPatience  = 5 * time.Second
	recRetryMax      = 2 * time.Second
	// recSpacing is the least time between two commits while updates keep
	// coming: under load, one transaction then carries every update of
	// that window instead of a few, which is what keeps SQLite's commit
	// cost per call small. An update arriving after a quiet spell is
	// committed at once.
	recSpacing = 2 * time.Millisecond
	// recLinger is how long an update nobody waits for may wait for
	// company: the events of many calls' early changes (which write no
	// row) then share one transaction. It delays call.initiated and
	// call.ringing to subscribers by at most this much.
	recLinger = 20 * time.Millisecond
)

// newRecorder starts a recorder that saves to store, through j when it is
// not nil.
func newRecorder(store switchboard.CallService, j *journal, log *slog.Logger) *Recorder {
	r := &Recorder{store: store, log: log, in: make(chan recItem, recQueue), done: make(chan struct{}), maxLen: recBatch, j: j}
	go r.run()
	return r
}

// Save hands an update over without waiting. The queue is large; when it
// is full the caller waits rather than losing a record.
func (r *Recorder) Save(upd switchboard.CallUpdate) {
	if r.j == nil {
		r.in <- recItem{upd: upd}
		return
	}
	// An error here is logged by the journal, or the store says why it
	// refuses the update: the update goes to the store either way.
	_ = r.j.append(upd, false, func(seq uint64) { r.in <- recItem{upd: upd, seq: seq} })
}

// SaveDurable hands an update over and returns once it is in the journal,
// or, without one (or once it is off), once it is committed; or when ctx
// ends.
func (r *Recorder) SaveDurable(ctx context.Context, upd switchboard.CallUpdate) error {
	if r.j != nil && !r.j.off() {
		if err := r.j.append(upd, true, func(seq uint64) { r.in <- recItem{upd: upd, seq: seq} }); err == nil {
			return nil
		}
		// The journal failed on this very write: wait for the commit of
		// the update just handed over, by handing a marker over after it.
		return r.await(ctx, recItem{})
	}
	return r.await(ctx, recItem{upd: upd})
}

// SaveStored hands an update over and returns once it is committed to the
// store, so that a read which follows finds it; or when ctx ends. It goes
// through the journal as Save does, then waits for the batch it is in.
func (r *Recorder) SaveStored(ctx context.Context, upd switchboard.CallUpdate) error {
	if r.j == nil {
		return r.await(ctx, recItem{upd: upd})
	}
	r.Save(upd)
	return r.await(ctx, recItem{})
}

// await hands it over with a done channel and waits for its batch to be
// committed (its error, if any), or for ctx to end. An item without a
// call is a marker: its batch holds every update handed over before it.
func (r *Recorder) await(ctx context.Context, it recItem) error {
	it.done = make(chan error, 1)
	select {
	case r.in <- it:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-it.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops taking updates and returns once every queued one is written,
// or with an error when ctx ends first.
func (r *Recorder) Close(ctx context.Context) error {
	close(r.in)
	select {
	case <-r.done:
		if r.j != nil {
			r.j.close()
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("call records not all written before shutdown (%d queued); the call journal keeps them for the next start: %w", len(r.in), ctx.Err())
	}
}

func (r *Recorder) run() {
	defer close(r.done)
	batch := make([]recItem, 0, r.maxLen)
	var last time.Time
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for first := range r.in {
		batch = append(batch[:0], first)
		// An update that someone waits for is committed soon (spaced
		// from the last commit); the others may wait a little longer, so
		// that a call's first changes share one write.
		now := time.Now()
		deadline := now.Add(recLinger)
		durable := first.done != nil
		if durable {
			deadline = maxTime(last.Add(recSpacing), now)
		}
		timer.Reset(time.Until(deadline))
	fill:
		for len(batch) < r.maxLen {
			select {
			case it, ok := <-r.in:
				if !ok {
					break fill
				}
				batch = append(batch, it)
				if it.done != nil && !durable {
					durable = true
					if d := maxTime(last.Add(recSpacing), time.Now()); d.Before(deadline) {
						deadline = d
						timer.Reset(time.Until(deadline))
					}
				}
			case <-timer.C:
				break fill
			}
		}
		timer.Stop()
		r.write(batch)
		last = time.Now()
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// write saves one batch. A database that is briefly unavailable (a
// restart, a full connection pool) must not cost records, so a failing
// batch is retried with backoff for up to recBatchPatience; then its
// updates are saved one by one, each for up to recItemPatience, so that
// one bad record cannot hold up every other call's. Only an update that
// still fails then is given up, and logged.
func (r *Recorder) write(batch []recItem) {
	defer r.saved(batch)
	upds := coalesce(batch)
	if err := r.retry(upds, recBatchPatience, "save call records; retrying"); err == nil {
		finish(batch, nil)
		return
	}
	for _, it := range batch {
		var err error
		if it.upd.Call != nil { // else a marker: the items before it are done
			err = r.retry([]switchboard.CallUpdate{it.upd}, recItemPatience, "")
		}
		if err != nil {
			r.log.Error("call record not saved", "call_id", it.upd.Call.ID, "status", it.upd.Call.Status, "err", err)
			if r.j != nil {
				r.j.giveUp(it.seq) // the journal keeps it for the next start
			}
		}
		finish([]recItem{it}, err)
	}
}

// saved tells the journal that the batch's updates are in the store.
func (r *Recorder) saved(batch []recItem) {
	if r.j == nil {
		return
	}
	var last uint64
	for _, it := range batch {
		last = max(last, it.seq)
	}
	r.j.savedUpTo(last)
}

// retry saves upds until it works or patience runs out, logging the first
// failure with msg (none when msg is "").
func (r *Recorder) retry(upds []switchboard.CallUpdate, patience time.Duration, msg string) error {
	delay := recRetryFirst
	give := time.Now().Add(patience)
	for attempt := 0; ; attempt++ {
		err := r.store.SaveCalls(context.Background(), upds)
		if err == nil {
			return nil
		}
		if attempt == 0 && msg != "" {
			r.log.Error(msg, "calls", len(upds), "err", err)
		}
		if time.Now().Add(delay).After(give) {
			return err
		}
		time.Sleep(delay)
		delay = min(2*delay, recRetryMax)
	}
}

func finish(batch []recItem, err error) {
	for _, it := range batch {
		if it.done != nil {
			it.done <- err
		}
	}
}

// coalesce merges the updates of one call within a batch into one: the
// call's last state is written once, with every timeline entry in order,
// each keeping the data of the state it was recorded in; its row is
// written when one of the updates writes it (not EventsOnly). Setting up and
// ending a call takes four updates; most batches under load hold several
// of one call.
func coalesce(batch []recItem) []switchboard.CallUpdate {
	out := make([]switchboard.CallUpdate, 0, len(batch))
	at := make(map[string]int, len(batch))
	for _, it := range batch {
		u := it.upd
		if u.Call == nil {
			continue // a marker (await)
		}
		i, seen := at[u.Call.ID]
		if !seen {
			at[u.Call.ID] = len(out)
			out = append(out, u)
			continue
		}
		merged := &out[i]
		if len(merged.Events) > 0 && merged.Events[0].Data == nil {
			// The first update's entries keep its state.
			d := merged.Call.EventData()
			for _, ev := range merged.Events {
				ev.Data = &d
			}
		}
		d := u.Call.EventData()
		for _, ev := range u.Events {
			if ev.Data == nil {
				ev.Data = &d
			}
		}
		merged.Events = append(merged.Events[:len(merged.Events):len(merged.Events)], u.Events...)
		merged.Call = u.Call
		merged.EventsOnly = merged.EventsOnly && u.EventsOnly // a row write stays one
	}
	return out
}
