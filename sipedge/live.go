package sipedge

import (
	"context"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// This file keeps count of the node's live calls, hangs them up, and
// drains them.

// Drain stops taking calls (new INVITEs get 503 with Retry-After), waits
// for live calls to end until ctx ends, then hangs up those still live,
// writes every queued call record and closes the listeners.
func (e *Edge) Drain(ctx context.Context) {
	e.drainOnce.Do(func() { e.drainNow(ctx) })
}

// Draining reports whether Drain has begun.
func (e *Edge) Draining() bool { return e.drain.Load() }

func (e *Edge) drainNow(ctx context.Context) {
	e.drain.Store(true)
	select {
	case <-e.idleChan():
	case <-ctx.Done():
		e.byID.Range(func(_, v any) bool {
			v.(*call).hangup(inDrain, switchboard.HangupShutdown, switchboard.HangupBySystem)
			return true
		})
		wait, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		select {
		case <-e.idleChan():
		case <-wait.Done():
			e.log.Error("calls still live after drain", "live", e.live.Load())
		}
		cancel()
	}
	flush, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.recorder.Close(flush); err != nil {
		e.log.Error("close call recorder", "err", err)
	}
	close(e.closing)
	e.ua.Close()
	e.udp.Close()
	e.tcp.Close()
	if e.tls != nil {
		e.tls.Close()
	}
	e.sipLog.Flush()
}

// Hangup implements switchboard.CallControl.
func (e *Edge) Hangup(ctx context.Context, orgID, callID string) error {
	v, ok := e.byID.Load(callID)
	if !ok || v.(*call).orgID() != orgID || orgID == "" {
		return switchboard.Errorf(switchboard.ECodeCallNotFound, "No live call %s on this node.", callID)
	}
	v.(*call).hangup(inHangupAPI, switchboard.HangupNormalClearing, switchboard.HangupByAPI)
	return nil
}

// LiveCalls returns how many calls are live on this node.
func (e *Edge) LiveCalls() int { return int(e.live.Load()) }

func (e *Edge) idleChan() <-chan struct{} {
	e.idleMu.Lock()
	defer e.idleMu.Unlock()
	return e.idle
}

// begin counts a live call; end uncounts it.
func (e *Edge) begin() {
	if e.live.Add(1) == 1 {
		e.idleMu.Lock()
		e.idle = make(chan struct{})
		e.idleMu.Unlock()
	}
	e.m.active.Inc()
}

func (e *Edge) end() {
	e.m.active.Dec()
	if e.live.Add(-1) == 0 {
		e.idleMu.Lock()
		select {
		case <-e.idle:
		default:
			close(e.idle)
		}
		e.idleMu.Unlock()
	}
}
