package sip

import (
	"sync"
	"time"
)

// Switchboard fork: Timers J, L and M (and a zero Timer J on a reliable
// transport) only end a transaction that lingers to absorb
// retransmissions; nothing else happens when they fire. Instead of one
// runtime timer per transaction, and one goroutine each when it fires
// (three per call: the INVITE's L and M, the BYE's J), they are kept in a
// queue per duration, in the order they were set, which is the order
// they expire in; one timer per queue fires for the oldest and ends every
// transaction due, in one goroutine.

// lingerEntry is a transaction to spin with in once at has passed.
type lingerEntry struct {
	at time.Time
	tx *baseTx
	in fsmInput
}

// lingerQueue is the transactions set to expire after one duration.
type lingerQueue struct {
	d     time.Duration
	mu    sync.Mutex
	q     []lingerEntry
	head  int
	timer *time.Timer
}

var lingerQueues struct {
	mu sync.Mutex
	m  map[time.Duration]*lingerQueue
}

// lingerAfter spins tx with in once d has passed, as time.AfterFunc would.
func lingerAfter(d time.Duration, tx *baseTx, in fsmInput) {
	lingerQueues.mu.Lock()
	lq := lingerQueues.m[d]
	if lq == nil {
		if lingerQueues.m == nil {
			lingerQueues.m = map[time.Duration]*lingerQueue{}
		}
		lq = &lingerQueue{d: d}
		lingerQueues.m[d] = lq
	}
	lingerQueues.mu.Unlock()
	lq.add(lingerEntry{at: time.Now().Add(d), tx: tx, in: in})
}

func (lq *lingerQueue) add(e lingerEntry) {
	lq.mu.Lock()
	defer lq.mu.Unlock()
	lq.q = append(lq.q, e)
	if len(lq.q)-lq.head == 1 {
		// The queue was empty: its timer is stopped or spent.
		if lq.timer == nil {
			lq.timer = time.AfterFunc(lq.d, lq.fire)
		} else {
			lq.timer.Reset(lq.d)
		}
	}
}

// fire ends the transactions due, then sets the timer for the next one.
func (lq *lingerQueue) fire() {
	for {
		lq.mu.Lock()
		if lq.head == len(lq.q) {
			lq.q, lq.head = lq.q[:0], 0
			lq.mu.Unlock()
			return
		}
		e := lq.q[lq.head]
		if wait := time.Until(e.at); wait > 0 {
			lq.timer.Reset(wait)
			lq.mu.Unlock()
			return
		}
		lq.q[lq.head] = lingerEntry{}
		lq.head++
		if lq.head > 1024 && lq.head*2 > len(lq.q) {
			// Reuse the front of the slice rather than grow it forever.
			n := copy(lq.q, lq.q[lq.head:])
			lq.q, lq.head = lq.q[:n], 0
		}
		lq.mu.Unlock()
		e.tx.spinFsm(e.in)
	}
}
