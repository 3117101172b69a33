package callrec

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/internal/dbtest"
	"github.com/switchboard-voice/switchboard/sqlite"
)

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// callSteps returns the four updates of an answered call that completes,
// each a snapshot as the SIP edge hands them over: the call's timeline so
// far, and events-only but for the answer and the end.
func callSteps(orgID string, at time.Time) []switchboard.CallUpdate {
	c := switchboard.Call{ID: switchboard.NewID(switchboard.PrefixCall), OrganizationID: orgID,
		Direction: switchboard.DirectionInbound, FromNumber: "+2348031000001", ToNumber: "+2348031000002",
		Status: switchboard.CallInitiated, SIPCallID: "abc@carrier", Node: "node-a", CreatedAt: at, UpdatedAt: at}
	var out []switchboard.CallUpdate
	step := func(typ, status string, d time.Duration, change func(*switchboard.Call)) {
		c.Status, c.UpdatedAt = status, at.Add(d)
		if change != nil {
			change(&c)
		}
		ev := switchboard.NewCallEntry(&c, typ, c.UpdatedAt, "")
		c.Timeline = append(c.Timeline, *ev)
		snap := c
		out = append(out, switchboard.CallUpdate{Call: &snap, Events: []*switchboard.CallEvent{ev},
			EventsOnly: !switchboard.CallEnded(status) && typ != switchboard.EventCallAnswered})
	}
	step(switchboard.EventCallInitiated, switchboard.CallInitiated, 0, nil)
	step(switchboard.EventCallRinging, switchboard.CallRinging, time.Millisecond, nil)
	step(switchboard.EventCallAnswered, switchboard.CallInProgress, 2*time.Millisecond, func(c *switchboard.Call) {
		t := c.UpdatedAt
		c.AnsweredAt = &t
	})
	step(switchboard.EventCallCompleted, switchboard.CallCompleted, 3*time.Second, func(c *switchboard.Call) {
		t := c.UpdatedAt
		c.CompletedAt, c.Duration, c.HangupCause, c.HangupBy = &t, 3, switchboard.HangupUser, switchboard.HangupByCaller
	})
	return out
}

// rowWrites makes every update write its call's row, as an API-originated
// call's first one does: for the tests of when a row is in the store.
func rowWrites(steps []switchboard.CallUpdate) []switchboard.CallUpdate {
	for i := range steps {
		steps[i].EventsOnly = false
	}
	return steps
}

// gatedCalls is a real store whose SaveCalls blocks until the test lets
// it through, or fails once the test ends: a database too slow to commit
// before the process dies.
type gatedCalls struct {
	*sqlite.DB
	dead chan struct{}
}

func (g gatedCalls) SaveCalls(context.Context, []switchboard.CallUpdate) error {
	<-g.dead
	return errors.New("the process is gone")
}

func timelineTypes(t *testing.T, db *sqlite.DB, orgID, callID string) []string {
	t.Helper()
	evs, err := db.ListCallEvents(t.Context(), orgID, callID)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	return types
}

func journalFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestJournalKeepsAnsweredCallAcrossCrash: the answer returns while the
// database has committed nothing, and a node that dies then finds the call,
// answered, with its whole timeline, when it replays the journal at start.
func TestJournalKeepsAnsweredCallAcrossCrash(t *testing.T) {
	t.Parallel()
	db, orgID := dbtest.SQLite(t)
	dir := t.TempDir()
	gate := gatedCalls{db, make(chan struct{})}
	defer close(gate.dead)
	j, err := openJournal(dir, "host/10.0.0.1:5060", discardLog())
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder(gate, j, discardLog())
	steps := callSteps(orgID, time.Now().UTC())
	r.Save(steps[0])
	r.Save(steps[1])
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := r.SaveDurable(ctx, steps[2]); err != nil {
		t.Fatalf("the answer waited for a database that commits nothing: %v", err)
	}
	// The process dies here: the recorder never commits.

	n, err := replayJournal(t.Context(), dir, "host/10.0.0.1:5060", db, discardLog())
	if err != nil || n != 3 {
		t.Fatalf("replay: %d updates, %v; want 3", n, err)
	}
	got, err := db.FindCall(t.Context(), orgID, steps[0].Call.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != switchboard.CallInProgress || got.AnsweredAt == nil {
		t.Errorf("replayed call: %+v, want in_progress and answered", got)
	}
	want := []string{switchboard.EventCallInitiated, switchboard.EventCallRinging, switchboard.EventCallAnswered}
	if types := timelineTypes(t, db, orgID, got.ID); strings.Join(types, ",") != strings.Join(want, ",") {
		t.Errorf("timeline %v, want %v", types, want)
	}
	if files := journalFiles(t, dir); len(files) != 0 {
		t.Errorf("replayed segments left behind: %v", files)
	}
	// A second start finds nothing more to do.
	if n, err := replayJournal(t.Context(), dir, "host/10.0.0.1:5060", db, discardLog()); err != nil || n != 0 {
		t.Errorf("second replay: %d, %v", n, err)
	}
}

// TestJournalReplayNeverTurnsBack: a journal older than the store (the
// completion was committed, the segment not yet deleted) leaves the record
// as it is and writes no timeline entry twice; another node's journal in
// the same directory is not touched.
func TestJournalReplayNeverTurnsBack(t *testing.T) {
	t.Parallel()
	db, orgID := dbtest.SQLite(t)
	dir := t.TempDir()
	j, err := openJournal(dir, "node-a", discardLog())
	if err != nil {
		t.Fatal(err)
	}
	other, err := openJournal(dir, "node-b", discardLog())
	if err != nil {
		t.Fatal(err)
	}
	steps := callSteps(orgID, time.Now().UTC())
	for _, u := range steps[:3] {
		if err := j.append(u, true, func(uint64) {}); err != nil {
			t.Fatal(err)
		}
	}
	if err := other.append(callSteps(orgID, time.Now().UTC())[0], true, func(uint64) {}); err != nil {
		t.Fatal(err)
	}
	// The store has all four, the completion included; the journal the
	// first three, with the same entry IDs.
	if err := db.SaveCalls(t.Context(), steps); err != nil {
		t.Fatal(err)
	}
	if _, err := replayJournal(t.Context(), dir, "node-a", db, discardLog()); err != nil {
		t.Fatal(err)
	}
	got, err := db.FindCall(t.Context(), orgID, steps[0].Call.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != switchboard.CallCompleted || got.Duration != 3 {
		t.Errorf("the replay turned the call back: %+v", got)
	}
	if types := timelineTypes(t, db, orgID, got.ID); len(types) != 4 {
		t.Errorf("timeline %v, want the 4 entries once each", types)
	}
	files := journalFiles(t, dir)
	if len(files) != 1 || !strings.HasPrefix(files[0], "node-b.") {
		t.Errorf("files after node-a's replay: %v, want node-b's only", files)
	}
}

// TestJournalSegments: a segment is deleted once every update in it is
// saved, the one being written is kept, and a clean close leaves nothing;
// an update given up keeps its own segment, and only that one, for the
// next start.
func TestJournalSegments(t *testing.T) {
	t.Parallel()
	for _, giveUp := range []bool{false, true} {
		dir := t.TempDir()
		j, err := openJournal(dir, "n", discardLog())
		if err != nil {
			t.Fatal(err)
		}
		j.segMax = 1 // a segment per write
		var last uint64
		for _, u := range callSteps("org_x", time.Now()) {
			if err := j.append(u, true, func(seq uint64) { last = seq }); err != nil {
				t.Fatal(err)
			}
		}
		if files := journalFiles(t, dir); len(files) != 5 { // four written, a fifth started
			t.Fatalf("files %v, want 5 segments", files)
		}
		j.savedUpTo(2)
		if files := journalFiles(t, dir); len(files) != 3 {
			t.Fatalf("after saving 2 updates: %v, want the first two segments gone", files)
		}
		if giveUp {
			j.giveUp(3)
		}
		j.savedUpTo(last)
		j.close()
		files := journalFiles(t, dir)
		if !giveUp && len(files) != 0 {
			t.Errorf("clean close left %v", files)
		}
		if giveUp && (len(files) != 1 || files[0] != "n.0000000003.calls") {
			t.Errorf("after update 3 was given up, close left %v; want its segment only", files)
		}
	}
}

// TestJournalWriteFailure: a journal that cannot write makes the answer
// wait for its commit instead, and the update still reaches the store.
func TestJournalWriteFailure(t *testing.T) {
	t.Parallel()
	db, orgID := dbtest.SQLite(t)
	dir := t.TempDir()
	j, err := openJournal(dir, "n", discardLog())
	if err != nil {
		t.Fatal(err)
	}
	j.f.Close() // every write now fails
	r := newRecorder(db, j, discardLog())
	steps := rowWrites(callSteps(orgID, time.Now().UTC()))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// The first fails in the journal and waits for its commit behind a
	// marker; the second finds the journal off and waits for its own.
	for i, status := range []string{switchboard.CallInitiated, switchboard.CallRinging} {
		if err := r.SaveDurable(ctx, steps[i]); err != nil {
			t.Fatal(err)
		}
		// saveDurable returned after the commit: the record is there now.
		got, err := db.FindCall(t.Context(), orgID, steps[0].Call.ID)
		if err != nil || got.Status != status {
			t.Fatalf("after durable save %d without a working journal: %+v, %v; want %s", i, got, err, status)
		}
	}
	r.Close(ctx)
	if files := journalFiles(t, dir); len(files) != 1 {
		t.Errorf("a failed journal must keep its segment for the next start: %v", files)
	}
}

// TestReadJournal: whole lines are read back as written; a torn last line
// and garbage are skipped and counted.
func TestReadJournal(t *testing.T) {
	t.Parallel()
	steps := callSteps("org_x", time.Date(2026, 11, 29, 10, 0, 0, 123456789, time.UTC))
	if err := switchboard.PrepareCallUpdates(steps); err != nil {
		t.Fatal(err)
	}
	steps[0].Events[0].SkipEndpoint = true
	d := steps[1].Call.EventData()
	steps[1].Events[0].Data = &d
	var buf bytes.Buffer
	for _, u := range steps {
		line, err := appendEntry(nil, u)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(line)
	}
	whole := buf.Len()
	buf.WriteString("not json\n")
	line, _ := appendEntry(nil, steps[0])
	buf.Write(line[:len(line)/2]) // torn by a crash
	got, bad := readJournal(&buf)
	if bad != 2 || len(got) != 4 {
		t.Fatalf("read %d updates, %d bad lines; want 4 and 2 (of %d whole bytes)", len(got), bad, whole)
	}
	for i, u := range got {
		w := steps[i]
		if !callsEqual(u.Call, w.Call) {
			t.Errorf("update %d call: %+v, want %+v", i, u.Call, w.Call)
		}
		ev, wev := u.Events[0], w.Events[0]
		if ev.ID != wev.ID || ev.CallID != w.Call.ID || ev.Type != wev.Type || !ev.Timestamp.Equal(wev.Timestamp) ||
			ev.SkipEndpoint != wev.SkipEndpoint || (ev.Data == nil) != (wev.Data == nil) {
			t.Errorf("update %d event: %+v, want %+v", i, ev, wev)
		}
	}
	if got[1].Events[0].Data.Status != switchboard.CallRinging {
		t.Errorf("event data: %+v", got[1].Events[0].Data)
	}
}

// callsEqual compares two calls, times by instant.
func callsEqual(a, b *switchboard.Call) bool {
	eqt := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	a2, b2 := *a, *b
	a2.AnsweredAt, a2.CompletedAt, b2.AnsweredAt, b2.CompletedAt = nil, nil, nil, nil
	a2.CreatedAt, a2.UpdatedAt, b2.CreatedAt, b2.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	a2.PhoneNumberID, a2.EndpointID, b2.PhoneNumberID, b2.EndpointID = nil, nil, nil, nil
	a2.Metadata, b2.Metadata = nil, nil
	return reflect.DeepEqual(a2, b2) && bytes.Equal(a.Metadata, b.Metadata) && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) &&
		eqt(a.AnsweredAt, b.AnsweredAt) && eqt(a.CompletedAt, b.CompletedAt) &&
		(a.PhoneNumberID == nil) == (b.PhoneNumberID == nil) && (a.EndpointID == nil) == (b.EndpointID == nil)
}

// FuzzReadJournal: whatever a journal file holds, reading it neither
// panics nor returns an update the store would take for another call's.
func FuzzReadJournal(f *testing.F) {
	for _, u := range callSteps("org_x", time.Now()) {
		_ = switchboard.PrepareCallUpdates([]switchboard.CallUpdate{u})
		line, _ := appendEntry(nil, u)
		f.Add(line)
	}
	f.Add([]byte("{\"call\":null}\n{}\n\n"))
	f.Add([]byte(`{"call":{"id":"call_x"},"events":[{"id":""}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, _ := readJournal(bytes.NewReader(b))
		for _, u := range got {
			if u.Call == nil || !switchboard.ValidID(switchboard.PrefixCall, u.Call.ID) {
				t.Fatalf("an update without a valid call: %+v", u)
			}
			for _, ev := range u.Events {
				if ev.CallID != u.Call.ID || ev.ID == "" {
					t.Fatalf("event %+v of call %s", ev, u.Call.ID)
				}
			}
		}
	})
}

// firstBlocked is a real store whose first SaveCalls waits until release
// is closed: a database that is slow while calls keep coming.
type firstBlocked struct {
	*sqlite.DB
	once             sync.Once
	entered, release chan struct{}
}

func (f *firstBlocked) SaveCalls(ctx context.Context, u []switchboard.CallUpdate) error {
	f.once.Do(func() {
		close(f.entered)
		<-f.release
	})
	return f.DB.SaveCalls(ctx, u)
}

// TestJournalFullQueue: updates that wait for room in a full recorder
// queue do not hold the journal, which the recorder needs to report what
// it saved: once the database moves again, every update is saved.
func TestJournalFullQueue(t *testing.T) {
	t.Parallel()
	db, orgID := dbtest.SQLite(t)
	j, err := openJournal(t.TempDir(), "n", discardLog())
	if err != nil {
		t.Fatal(err)
	}
	store := &firstBlocked{DB: db, entered: make(chan struct{}), release: make(chan struct{})}
	r := &Recorder{store: store, log: discardLog(), in: make(chan recItem, 2), done: make(chan struct{}), maxLen: recBatch, j: j}
	go r.run()
	first := rowWrites(callSteps(orgID, time.Now().UTC()))[0]
	ids := []string{first.Call.ID}
	r.Save(first)
	<-store.entered // the recorder is inside a slow commit
	const calls = 20
	var wg sync.WaitGroup
	for range calls {
		steps := rowWrites(callSteps(orgID, time.Now().UTC()))
		ids = append(ids, steps[0].Call.ID)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Save(steps[0]) // all but two wait for room in the queue
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(r.in) < cap(r.in) {
		if time.Now().After(deadline) {
			t.Fatal("the queue never filled")
		}
		time.Sleep(time.Millisecond)
	}
	close(store.release)
	through := make(chan struct{})
	go func() { wg.Wait(); close(through) }()
	select {
	case <-through:
	case <-time.After(20 * time.Second):
		t.Fatal("the updates waiting for the queue never got through: the journal is stuck")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	r.Close(ctx)
	if ctx.Err() != nil {
		t.Fatal("the recorder did not finish: stuck on the journal")
	}
	for _, id := range ids {
		if _, err := db.FindCall(t.Context(), orgID, id); err != nil {
			t.Errorf("call %s: %v", id, err)
		}
	}
}

// TestSaveStored: with a journal or without, SaveStored returns only once
// the database has the update (the call an API answer names is found by
// the GET that follows), where SaveDurable may return with it in the
// journal alone; and it gives up with ctx when the database commits
// nothing.
func TestSaveStored(t *testing.T) {
	t.Parallel()
	for _, journaled := range []bool{false, true} {
		db, orgID := dbtest.SQLite(t)
		var j *journal
		if journaled {
			var err error
			if j, err = openJournal(t.TempDir(), "host/10.0.0.1:5060", discardLog()); err != nil {
				t.Fatal(err)
			}
		}
		r := newRecorder(db, j, discardLog())
		steps := rowWrites(callSteps(orgID, time.Now().UTC()))
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		if err := r.SaveStored(ctx, steps[0]); err != nil {
			t.Fatalf("journal %v: SaveStored: %v", journaled, err)
		}
		if _, err := db.FindCall(t.Context(), orgID, steps[0].Call.ID); err != nil {
			t.Errorf("journal %v: the call is not in the database when SaveStored returns: %v", journaled, err)
		}
		r.Close(ctx)
		cancel()
	}

	db, orgID := dbtest.SQLite(t)
	gate := gatedCalls{db, make(chan struct{})}
	defer close(gate.dead)
	j, err := openJournal(t.TempDir(), "host/10.0.0.1:5060", discardLog())
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorder(gate, j, discardLog())
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if err := r.SaveStored(ctx, callSteps(orgID, time.Now().UTC())[0]); err == nil {
		t.Error("SaveStored returned without error while the database committed nothing")
	}
}
