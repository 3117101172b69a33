package callrec

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// The call journal lets the SIP path promise that an answered call is never
// lost without waiting for a database commit. Every update handed to the
// recorder is appended to a local file first, in the order the recorder
// writes them; the answer's update (and everything before it) is written
// to the file — one write(2) — before the 200 goes to the caller. The
// recorder then saves batches to the store as usual, and a segment of the
// journal is deleted once every update in it is in the store. A node that
// crashed replays what is left at start, before it ends its orphan calls.
//
// The file is written, not fsynced: it survives the process (a crash, a
// SIGKILL, an out-of-memory kill), as SQLite's WAL with synchronous=NORMAL
// does, not a power cut of the machine. Waiting for the answer's commit
// instead put the database on the SIP path: every answer then waited for a
// transaction, and call setup time and CPU per call grew with it.

// journalSegmentMax is the size at which the journal starts a new segment,
// so that a segment whose updates are all saved can be deleted while calls
// keep coming.
const journalSegmentMax = 4 << 20

// journalBufferMax is how much the journal buffers before writing without
// being asked: updates nobody waits for are written with the next one
// someone does, or at this size. A crash loses those not yet committed
// either: records of calls never answered (a call that failed within the
// last ~20 ms), or an answered call's end, which the restart then records
// as system_shutdown. An answer is never among them.
const journalBufferMax = 256 << 10

// journalSuffix names the journal's segment files: NODE.NNNNNNNNNN.calls.
const journalSuffix = ".calls"

// journal is the recorder's write-ahead log of call updates.
type journal struct {
	dir, prefix string // files are dir/prefix + segment number + journalSuffix
	log         *slog.Logger
	segMax      int // journalSegmentMax; tests make it small

	order   sync.Mutex // held from an update's number to its hand-over
	mu      sync.Mutex // the fields below
	f       *os.File   // the segment being written
	seg     int        // its number
	size    int        // its bytes so far, buffered included
	buf     []byte     // encoded updates not yet written
	seq     uint64     // updates appended so far; each gets the next number
	written uint64     // updates in the file
	first   uint64     // the first update of the segment being written
	old     []journalSegment
	saved   uint64   // every update up to this one is in the store, or given up
	givenUp []uint64 // updates the store never took: their segments stay for the replay
	err     error    // the first write error: the journal is off from then on
}

// journalSegment is a finished segment and the updates it holds.
type journalSegment struct {
	path        string
	first, last uint64
}

// journalPrefix returns the file-name prefix of node's segments: the node
// name escaped, so that "host/addr:port" makes one file name.
func journalPrefix(node string) string {
	return url.PathEscape(node) + "."
}

// openJournal starts a new segment for node in dir (created if needed),
// numbered after the segments already there. Replay those first.
func openJournal(dir, node string, log *slog.Logger) (*journal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("call journal: %w", err)
	}
	j := &journal{dir: dir, prefix: journalPrefix(node), log: log, segMax: journalSegmentMax}
	segs, err := j.segments()
	if err != nil {
		return nil, err
	}
	if len(segs) > 0 {
		j.seg = segs[len(segs)-1].n
	}
	if err := j.next(); err != nil {
		return nil, err
	}
	return j, nil
}

// segmentFile is a segment on disk and its number.
type segmentFile struct {
	path string
	n    int
}

// segments lists this node's segment files, oldest first.
func (j *journal) segments() ([]segmentFile, error) {
	entries, err := os.ReadDir(j.dir)
	if err != nil {
		return nil, fmt.Errorf("call journal: %w", err)
	}
	var segs []segmentFile
	for _, e := range entries {
		name := e.Name()
		num, ok := strings.CutPrefix(name, j.prefix)
		if !ok || e.IsDir() {
			continue
		}
		num, ok = strings.CutSuffix(num, journalSuffix)
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 0 {
			continue
		}
		segs = append(segs, segmentFile{filepath.Join(j.dir, name), n})
	}
	slices.SortFunc(segs, func(a, b segmentFile) int { return a.n - b.n })
	return segs, nil
}

// next starts the next segment; the current one, if any, is closed and
// kept until its updates are saved. Called with mu held (or before use).
func (j *journal) next() error {
	if j.f != nil {
		if err := j.f.Close(); err != nil {
			return err
		}
		j.old = append(j.old, journalSegment{j.f.Name(), j.first, j.written})
	}
	j.first = j.written + 1
	j.seg++
	path := filepath.Join(j.dir, fmt.Sprintf("%s%010d%s", j.prefix, j.seg, journalSuffix))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("call journal: %w", err)
	}
	j.f, j.size = f, 0
	return nil
}

// journalEntry is one update as a line of the journal, as the replay reads
// it (appendEntry, in journal_encode.go, writes it). The event fields the
// API leaves out of JSON (SkipEndpoint, Data) are kept: a replayed update
// must be saved, and emitted, exactly as it would have been. So is the
// call's whole timeline so far: the answer's line may be all that is left
// of a call whose earlier, events-only, updates are saved and their
// segment deleted, and the row it writes must hold every entry.
type journalEntry struct {
	Call       *switchboard.Call `json:"call"`
	Events     []journalEvent    `json:"events,omitempty"`
	EventsOnly bool              `json:"events_only,omitempty"`
	Timeline   []timelineEntry   `json:"timeline,omitempty"`
}

// timelineEntry is one entry of the call's timeline in a journal line.
type timelineEntry struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Status    string    `json:"status"`
	Detail    string    `json:"detail,omitempty"`
}

type journalEvent struct {
	ID           string                     `json:"id"`
	Type         string                     `json:"type"`
	Timestamp    time.Time                  `json:"timestamp"`
	Status       string                     `json:"status"`
	Detail       string                     `json:"detail,omitempty"`
	SkipEndpoint bool                       `json:"skip_endpoint,omitempty"`
	Data         *switchboard.CallEventData `json:"data,omitempty"`
}

// update is the update the line holds, EventsOnly kept: the replay writes
// every call's row anyway (replayJournal).
func (e journalEntry) update() switchboard.CallUpdate {
	u := switchboard.CallUpdate{Call: e.Call, Events: make([]*switchboard.CallEvent, len(e.Events)), EventsOnly: e.EventsOnly}
	if len(e.Timeline) > 0 {
		e.Call.Timeline = make([]switchboard.CallEvent, len(e.Timeline))
		for i, t := range e.Timeline {
			e.Call.Timeline[i] = switchboard.CallEvent{ID: t.ID, CallID: e.Call.ID, Type: t.Type, Timestamp: t.Timestamp,
				Status: t.Status, Detail: t.Detail}
		}
	}
	for i, ev := range e.Events {
		u.Events[i] = &switchboard.CallEvent{ID: ev.ID, CallID: e.Call.ID, Type: ev.Type, Timestamp: ev.Timestamp,
			Status: ev.Status, Detail: ev.Detail, SkipEndpoint: ev.SkipEndpoint, Data: ev.Data}
	}
	return u
}

// errJournalOff is returned once a write failed: the recorder then makes
// answers wait for their commit, as without a journal.
var errJournalOff = errors.New("call journal is off after a write error")

// append names upd's timeline entries (so that a replay writes and emits
// each once), adds upd to the journal and calls send with its number,
// holding the order lock so that the recorder gets updates in journal
// order. send may block (the recorder's queue is full while the database
// is slow): it runs outside mu, which the recorder itself takes to report
// what it saved. With sync, everything appended so far is in the file
// when append returns. An update that cannot be written still goes to
// send: the journal only adds to the store's records.
func (j *journal) append(upd switchboard.CallUpdate, sync bool, send func(seq uint64)) error {
	err := switchboard.PrepareCallUpdates([]switchboard.CallUpdate{upd})
	j.order.Lock()
	defer j.order.Unlock()
	j.mu.Lock()
	j.seq++
	seq := j.seq
	if err == nil && j.err == nil {
		n := len(j.buf)
		if j.buf, err = appendEntry(j.buf, upd); err == nil {
			j.size += len(j.buf) - n
			if sync || len(j.buf) >= journalBufferMax {
				j.flushLocked()
			}
		}
	}
	if err == nil && j.err != nil {
		err = errJournalOff
	}
	j.mu.Unlock()
	// A bad update (err from PrepareCallUpdates or encoding) goes on too:
	// the store refuses it, and says why.
	send(seq)
	return err
}

// off reports whether a write failed, which turned the journal off.
func (j *journal) off() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err != nil
}

// flushLocked writes everything appended so far to the file, and starts
// the next segment when this one is full.
func (j *journal) flushLocked() {
	if len(j.buf) > 0 {
		if _, err := j.f.Write(j.buf); err != nil {
			j.fail(err)
			return
		}
		j.buf = j.buf[:0]
	}
	j.written = j.seq
	if j.size >= j.segMax {
		if err := j.next(); err != nil {
			j.fail(err)
		}
	}
}

// fail turns the journal off for the rest of the run; the segments stay,
// for the next start to replay.
func (j *journal) fail(err error) {
	j.err = err
	j.log.Error("call journal write failed; answered calls now wait for their database commit", "err", err)
}

// savedUpTo records that every update up to seq is in the store (or was
// given up), and deletes the finished segments that covers, except those
// holding an update given up.
func (j *journal) savedUpTo(seq uint64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.saved = max(j.saved, seq)
	if j.err != nil {
		return // the files are incomplete: keep them all for the replay
	}
	for len(j.old) > 0 && j.old[0].last <= j.saved {
		j.removeLocked(j.old[0])
		j.old = j.old[1:]
	}
}

// removeLocked deletes a segment whose updates are all saved, unless it
// holds one that was given up: that one stays on disk for the next start.
func (j *journal) removeLocked(s journalSegment) {
	for _, g := range j.givenUp {
		if g >= s.first && g <= s.last {
			return
		}
	}
	if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		j.log.Warn("remove saved call journal segment", "path", s.path, "err", err)
	}
}

// giveUp records that update seq was not saved: it is written out now if
// it was still buffered, and its segment stays for the next start to
// replay. The other segments go as usual, so a database outage does not
// keep the journal growing for the rest of the run.
func (j *journal) giveUp(seq uint64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err == nil {
		j.flushLocked()
	}
	j.givenUp = append(j.givenUp, seq)
}

// close closes the file; when every update was saved, it removes every
// segment but those holding an update given up, so a clean stop leaves
// nothing to replay.
func (j *journal) close() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return
	}
	name := j.f.Name()
	if err := j.f.Close(); err != nil && j.err == nil {
		j.fail(err)
	}
	j.f = nil
	if j.err != nil || j.saved < j.seq {
		return
	}
	for _, s := range append(j.old, journalSegment{name, j.first, j.written}) {
		j.removeLocked(s)
	}
	j.old = nil
}

// replayJournal saves the updates a previous run of node left in dir's
// journal and deletes the segments once saved. An update older than the
// call's record (the previous run saved a later state) is skipped, so a
// replay never turns a call back; the rest are saved in journal order,
// each timeline entry's event emitted once. Each writes its call's row,
// events-only or not, so that a call the crash left unanswered has a
// record for EndOrphanCalls to end. A line that does not
// parse (the last, torn by a crash) is logged and skipped. It returns how
// many updates it saved.
func replayJournal(ctx context.Context, dir, node string, store switchboard.CallService, log *slog.Logger) (int, error) {
	j := &journal{dir: dir, prefix: journalPrefix(node), log: log}
	segs, err := j.segments()
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var updates []switchboard.CallUpdate
	for _, s := range segs {
		b, err := os.ReadFile(s.path)
		if err != nil {
			return 0, fmt.Errorf("call journal: %w", err)
		}
		got, bad := readJournal(bytes.NewReader(b))
		if bad > 0 {
			log.Warn("call journal lines skipped: they do not parse", "path", s.path, "lines", bad)
		}
		updates = append(updates, got...)
	}
	updates, err = newerThanStored(ctx, store, updates)
	if err != nil {
		return 0, err
	}
	for i := range updates {
		updates[i].EventsOnly = false
	}
	for start := 0; start < len(updates); start += recBatch {
		batch := updates[start:min(start+recBatch, len(updates))]
		if err := store.SaveCalls(ctx, batch); err != nil {
			return 0, fmt.Errorf("replay call journal: %w", err)
		}
	}
	for _, s := range segs {
		if err := os.Remove(s.path); err != nil {
			return len(updates), fmt.Errorf("call journal: %w", err)
		}
	}
	return len(updates), nil
}

// readJournal decodes a journal's lines, skipping (and counting) the ones
// that are not a whole update.
func readJournal(r io.Reader) (updates []switchboard.CallUpdate, bad int) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e journalEntry
		if err := json.Unmarshal(line, &e); err != nil || e.Call == nil ||
			!switchboard.ValidID(switchboard.PrefixCall, e.Call.ID) || slices.ContainsFunc(e.Events, func(ev journalEvent) bool { return ev.ID == "" }) {
			bad++
			continue
		}
		updates = append(updates, e.update())
	}
	if sc.Err() != nil {
		bad++ // a line longer than any update: the rest of the file is lost to it
	}
	return updates, bad
}

// newerThanStored drops, for each call, the updates before the first one
// not older than the call's stored record: the store already has them,
// or a later state. Calls of no organisation cannot be read back; theirs
// are all kept (such a call is recorded once, failed, so saving it again
// changes nothing).
func newerThanStored(ctx context.Context, store switchboard.CallService, updates []switchboard.CallUpdate) ([]switchboard.CallUpdate, error) {
	stored := map[string]time.Time{} // by call: the stored record's updated_at; zero when none
	for _, u := range updates {
		c := u.Call
		if _, ok := stored[c.ID]; ok || c.OrganizationID == "" {
			continue
		}
		rec, err := store.FindCall(ctx, c.OrganizationID, c.ID)
		switch {
		case switchboard.ErrorCode(err) == switchboard.ECodeCallNotFound:
			stored[c.ID] = time.Time{}
		case err != nil:
			return nil, fmt.Errorf("replay call journal: %w", err)
		default:
			stored[c.ID] = rec.UpdatedAt
		}
	}
	keep := updates[:0]
	current := map[string]bool{} // calls whose updates from here on are kept
	for _, u := range updates {
		id := u.Call.ID
		if !current[id] && u.Call.UpdatedAt.Truncate(time.Microsecond).Before(stored[id]) {
			continue
		}
		current[id] = true
		keep = append(keep, u)
	}
	return keep, nil
}
