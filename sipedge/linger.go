package sipedge

import (
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// DefaultTransactionLinger is how long a finished transaction is kept to
// absorb retransmissions, unless Config says otherwise.
//
// RFC 3261 and 6026 keep it 64×T1 (32 s): Timer J for a non-INVITE server
// transaction (the BYE), Timers L and M for an INVITE transaction after
// its 2xx. Held that long, every call's transactions stay in memory for
// half a minute after it ended, so the live heap, and every GC cycle's
// marking, grow with the call rate times 32 s. 8×T1 still covers the
// first three retransmissions (0.5, 1.5 and 3.5 s after the original),
// and the edge
// takes over what the transaction layer used to do after that:
//   - a 2xx the agent retransmits after Timer M is acknowledged again from
//     the call's dialog (onStrayResponse);
//   - a 2xx we retransmit to the caller goes straight to the transport
//     (retransmitter), so it does not need the INVITE transaction;
//   - an INVITE the caller retransmits after Timer L is recognised as a
//     retransmission of a call already taken (recentInvites) instead of
//     starting a second one.
//
// Only a BYE retransmitted after the linger is answered differently: 481
// instead of 200, which ends the sender's transaction just the same.
const DefaultTransactionLinger = 4 * time.Second

// lingerOnce guards sipgo's timers: they are package variables, read by
// every transaction of the process, so the first edge sets them and later
// ones (tests build several in one process) leave them be.
var lingerOnce sync.Once

// setTransactionLinger shortens sipgo's Timers J, L and M to d, once per
// process, before the first transaction.
func setTransactionLinger(d time.Duration) {
	lingerOnce.Do(func() {
		sip.Timer_J, sip.Timer_L, sip.Timer_M = d, d, d
	})
}

// inviteRetention is how long a caller may go on retransmitting an INVITE
// (Timer B, 64×T1): a retransmission can come no later than that after the
// call began, and so no later than that after it ended.
const inviteRetention = 64 * 500 * time.Millisecond

// recentInvites remembers the INVITE transactions of calls that have
// ended, for at least inviteRetention, in two generations of a set: a key
// lives from one rotation to the one after next. It holds a short key per
// call where keeping the transaction itself would hold the whole request
// and response.
type recentInvites struct {
	mu   sync.Mutex
	now  func() time.Time
	keys generations[string, struct{}]
}

func newRecentInvites(now func() time.Time, every time.Duration) *recentInvites {
	return &recentInvites{now: now, keys: newGenerations[string, struct{}](now(), every)}
}

// inviteKey identifies an INVITE transaction as the caller retransmits it:
// its Call-ID and top Via branch. A new attempt (after a 3xx or a failover
// to us) has a new branch, so it is a new call.
func inviteKey(req *sip.Request) string {
	id, via := req.CallID(), req.Via()
	if id == nil || via == nil {
		return ""
	}
	branch, _ := via.Params.Get("branch")
	return id.Value() + "\x00" + branch
}

// add remembers key; an empty key is not remembered.
func (r *recentInvites) add(key string) {
	if key == "" {
		return
	}
	r.mu.Lock()
	r.keys.rotate(r.now())
	r.keys.put(key, struct{}{})
	r.mu.Unlock()
}

// has reports whether key belongs to a call that ended recently.
func (r *recentInvites) has(key string) bool {
	if key == "" {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys.rotate(r.now())
	_, in := r.keys.get(key)
	return in
}

// size is how many keys are held (for tests).
func (r *recentInvites) size() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keys.len()
}

// onStrayResponse takes the responses no client transaction matches: a
// retransmitted 2xx whose INVITE transaction is gone, which RFC 3261
// §13.2.2.4 has the UAC core acknowledge again. That is the agent's 2xx to
// the connecting INVITE once Timer M has run (and an outbound call's
// callee's), and a 2xx to a re-INVITE we
// relayed (either side), whose transaction ends with its answer. Anything
// else (a response to nothing we sent, or for a call that has ended) is
// dropped.
func (e *Edge) onStrayResponse(res *sip.Response) {
	cseq, id := res.CSeq(), res.CallID()
	if cseq == nil || id == nil || cseq.MethodName != sip.INVITE || !res.IsSuccess() {
		e.log.Debug("stray SIP response dropped", "status", res.StatusCode)
		return
	}
	v, ok := e.byB.Load(id.Value())
	if !ok {
		v, ok = e.byA.Load(id.Value())
	}
	if !ok {
		e.log.Debug("2xx for no live call dropped", "sip_call_id", id.Value())
		return
	}
	c := v.(*call)
	c.mu.Lock()
	b, again := c.b, c.reinviteAcks[id.Value()]
	c.mu.Unlock()
	if b != nil && b.callID == id.Value() && b.reack(cseq.SeqNo) {
		return
	}
	if c.a.uac && c.a.callID == id.Value() && c.a.reack(cseq.SeqNo) {
		return // an outbound call's callee: its 2xx, our ACK lost
	}
	if again != nil && again.CSeq().SeqNo == cseq.SeqNo {
		if err := e.cli.WriteRequest(again.Clone(), e.addVia); err != nil {
			e.log.Debug("re-INVITE ACK again", "call_id", c.record.ID, "err", err)
		}
		return
	}
	e.log.Debug("2xx to another INVITE of the call dropped", "sip_call_id", id.Value(), "cseq", cseq.SeqNo)
}
