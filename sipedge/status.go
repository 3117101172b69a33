package sipedge

import (
	"strings"

	"github.com/switchboard-voice/switchboard"
)

// This file is the one place that maps outcomes to SIP statuses and call
// statuses (DESIGN §2: one error→SIP mapping).

// SIP statuses the edge answers with itself.
const (
	sipBadRequest        = 400
	sipForbidden         = 403
	sipProxyAuthRequired = 407
	sipNotFound          = 404
	sipAddressIncomplete = 484
	sipTimeout           = 408
	sipUnavailable       = 480
	sipCallNotExist      = 481
	sipBusy              = 486
	sipTerminated        = 487
	sipNotAcceptable     = 488
	sipServerError       = 500
	sipServiceUnavail    = 503
	sipBusyEverywhere    = 600
	sipDecline           = 603
	retryAfterDraining   = "30"
	// retryAfterAuth is when to try again after the credentials could not
	// be looked up (the store failed).
	retryAfterAuth = "5"
)

// refusal is how an INVITE refused before routing is answered.
type refusal struct {
	reason     string // the reason label of switchboard_sip_invites_refused_total
	status     int
	phrase     string
	retryAfter string // Retry-After, if any
	// limited refusals are answered only within a source's share
	// (sourcelimit.go); the others go to a trusted carrier, which must hear
	// them to fail over at once.
	limited bool
}

// Refusals before routing, and the reason counted for an INVITE dropped
// unanswered because its source had its share of refusals.
var (
	refusedUntrusted   = refusal{reason: "untrusted", status: sipForbidden, phrase: "Forbidden", limited: true}
	refusedNoDialog    = refusal{reason: "untrusted", status: sipCallNotExist, phrase: "Call/Transaction Does Not Exist", limited: true}
	refusedDraining    = refusal{reason: "draining", status: sipServiceUnavail, phrase: "Service Unavailable", retryAfter: retryAfterDraining}
	refusedMalformed   = refusal{reason: "malformed", status: sipBadRequest, phrase: "Bad Request"}
	refusedRateLimited = "rate_limited"

	// Agent-originated calls (admit.go): an INVITE from outside the
	// trusted networks is asked for digest credentials (the 407 itself is
	// authserver.go's challenge), and refused when they are wrong.
	refusedChallenged      = refusal{reason: "challenged", status: sipProxyAuthRequired, phrase: "Proxy Authentication Required", limited: true}
	refusedBadCredentials  = refusal{reason: "bad_credentials", status: sipBadRequest, phrase: "Bad Request", limited: true}
	refusedAuthFailed      = refusal{reason: "auth_failed", status: sipForbidden, phrase: "Forbidden", limited: true}
	refusedAuthUnavailable = refusal{reason: "auth_unavailable", status: sipServiceUnavail, phrase: "Service Unavailable", retryAfter: retryAfterAuth, limited: true}
)

// failsOver reports whether a target's final status lets the call move on
// to the next target (sip-notes §5.3): server errors, request timeout and
// temporarily unavailable do; busy, 6xx and the other 4xx are final.
func failsOver(status int) bool {
	return status >= 500 && status < 600 || status == sipTimeout || status == sipUnavailable
}

// outcome is how a call attempt ended, before it was answered.
type outcome struct {
	status int    // SIP final status for the caller
	call   string // call status: failed, busy, no_answer or canceled
	cause  string // hangup cause
	reason string // failure_reason
}

// targetOutcome maps the final status of the last target tried to what
// the caller hears and how the call is recorded.
func targetOutcome(status int) outcome {
	switch {
	case status == sipBusy || status == sipBusyEverywhere:
		return outcome{status: status, call: switchboard.CallBusy, cause: switchboard.HangupBusy, reason: "busy"}
	case status == sipDecline || status >= 600:
		return outcome{status: status, call: switchboard.CallFailed, cause: switchboard.HangupRejected, reason: "declined"}
	case status == sipTimeout || status == sipUnavailable:
		return outcome{status: sipUnavailable, call: switchboard.CallNoAnswer, cause: switchboard.HangupNoAnswer, reason: "no_answer"}
	case status >= 500:
		return outcome{status: sipServiceUnavail, call: switchboard.CallFailed, cause: switchboard.HangupNetworkError, reason: "agent_error"}
	default:
		return outcome{status: status, call: switchboard.CallFailed, cause: switchboard.HangupRejected, reason: "agent_rejected"}
	}
}

// Outcomes that are not a target's SIP status.
var (
	outcomeNoAnswer    = outcome{status: sipUnavailable, call: switchboard.CallNoAnswer, cause: switchboard.HangupNoAnswer, reason: "ring_timeout"}
	outcomeUnreachable = outcome{status: sipServiceUnavail, call: switchboard.CallFailed, cause: switchboard.HangupNetworkError, reason: "agent_unreachable"}
	outcomeTLS         = outcome{status: sipServiceUnavail, call: switchboard.CallFailed, cause: switchboard.HangupNetworkError, reason: "agent_tls_failed"}
	// outcomeSDES refuses SRTP keys (a=crypto) that would cross a leg that
	// is not TLS (tls.go).
	outcomeSDES      = outcome{status: sipNotAcceptable, call: switchboard.CallFailed, cause: switchboard.HangupRejected, reason: "srtp_keys_need_tls"}
	outcomeNoTargets = outcome{status: sipUnavailable, call: switchboard.CallFailed, cause: switchboard.HangupRejected, reason: "no_target"}
	outcomeWebhook   = outcome{status: sipUnavailable, call: switchboard.CallFailed, cause: switchboard.HangupRejected, reason: "webhook_no_answer"}
	outcomeCanceled  = outcome{status: sipTerminated, call: switchboard.CallCanceled, cause: switchboard.HangupUser, reason: "caller_canceled"}
	// outcomeAgentCanceled is outcomeCanceled of a call an agent placed
	// (agentcall.go): the caller that cancelled is the agent.
	outcomeAgentCanceled = outcome{status: sipTerminated, call: switchboard.CallCanceled, cause: switchboard.HangupAgent, reason: "agent_canceled"}
	outcomeAPI           = outcome{status: sipTerminated, call: switchboard.CallCanceled, cause: switchboard.HangupNormalClearing, reason: "hangup_api"}
	outcomeDraining      = outcome{status: sipServiceUnavail, call: switchboard.CallFailed, cause: switchboard.HangupShutdown, reason: "draining"}
	outcomeNotSaved      = outcome{status: sipServiceUnavail, call: switchboard.CallFailed, cause: switchboard.HangupNetworkError, reason: "record_not_saved"}
	outcomeLimit         = outcome{status: sipServiceUnavail, call: switchboard.CallFailed, cause: switchboard.HangupRejected, reason: "concurrency_limit"}

	// An authenticated agent's call refused (agentcall.go): recorded, as
	// a failed outbound call of the number, with these reasons.
	outcomeNumberInactive   = outcome{status: sipForbidden, call: switchboard.CallFailed, cause: switchboard.HangupRejected, reason: "number_inactive"}
	outcomeCallerMismatch   = outcome{status: sipForbidden, call: switchboard.CallFailed, cause: switchboard.HangupRejected, reason: "caller_id_mismatch"}
	outcomeOutboundDisabled = outcome{status: sipForbidden, call: switchboard.CallFailed, cause: switchboard.HangupRejected, reason: "outbound_disabled"}
	// A destination that is no number at all (a name) is not found; one
	// made of digits that is not a valid E.164 number is incomplete
	// (RFC 3261 §21.4.22), which tells the agent to check the digits.
	outcomeNoDestination    = outcome{status: sipNotFound, call: switchboard.CallFailed, cause: switchboard.HangupRejected, reason: "invalid_destination"}
	outcomeIncompleteNumber = outcome{status: sipAddressIncomplete, call: switchboard.CallFailed, cause: switchboard.HangupRejected, reason: "invalid_destination"}
	outcomeNoTrunk          = outcome{status: sipServiceUnavail, call: switchboard.CallFailed, cause: switchboard.HangupRejected, reason: "no_trunk"}
	outcomeTrunkLimit       = outcome{status: sipServiceUnavail, call: switchboard.CallFailed, cause: switchboard.HangupRejected, reason: "trunk_concurrency_limit"}
)

// carrierOutcome is o for a target that is a carrier's trunk rather than
// an agent: the failure reasons name the carrier.
func carrierOutcome(o outcome) outcome {
	if r, ok := strings.CutPrefix(o.reason, "agent_"); ok {
		o.reason = "carrier_" + r
	}
	return o
}

// calleeOutcome maps the final status of an API-originated call's callee
// (through the trunk, originate.go) as any carrier's final status is
// mapped (targetOutcome, carrierOutcome): busy on 486/600, no_answer on
// 408/480, failed with a reason otherwise. The record keeps the status
// itself as its sip_status: there is no caller to answer with another.
func calleeOutcome(status int) outcome {
	o := carrierOutcome(targetOutcome(status))
	o.status = status
	return o
}

// Outcomes of API-originated calls that are not a SIP status: no address
// of the trunk answered; the agent could not be connected once the callee
// had answered (whatever the agent's own failure, which the timeline
// tells); the callee answered without an offer; the hangup API after the
// callee answered.
var (
	outcomeTrunkUnreachable = func() outcome {
		o := carrierOutcome(outcomeUnreachable)
		o.status = 0 // no carrier answered
		return o
	}()
	outcomeAgentUnreachable = outcome{call: switchboard.CallFailed, cause: switchboard.HangupNetworkError, reason: "agent_unreachable"}
	// outcomeNoOffer: the callee's 200 had no SDP offer (its carrier does
	// not take an INVITE without one as RFC 3261 §13.2.1 says it must).
	outcomeNoOffer = outcome{call: switchboard.CallFailed, cause: switchboard.HangupRejected, reason: "callee_no_offer"}
	// outcomeAPIAnswered: hung up through the API after the callee
	// answered, before the agent was connected: completed, as any
	// answered call hung up through the API.
	outcomeAPIAnswered = outcome{call: switchboard.CallCompleted, cause: switchboard.HangupNormalClearing}
)

// hangupBy is who the record says ended a call that failed with o.
func (o outcome) hangupBy() string {
	switch o.cause {
	case switchboard.HangupUser:
		return switchboard.HangupByCaller
	case switchboard.HangupAgent:
		return switchboard.HangupByAgent
	case switchboard.HangupNormalClearing:
		return switchboard.HangupByAPI
	default:
		return switchboard.HangupBySystem
	}
}

// retryLater reports whether the caller's 503 says when to try again: the
// node is draining, or the number has all the calls it may.
func (o outcome) retryLater() bool {
	return o.status == sipServiceUnavail && (o == outcomeDraining || o == outcomeLimit || o == outcomeTrunkLimit)
}

// rejectOutcome is the outcome of a routing rejection: the decision's
// reason and SIP status.
func rejectOutcome(d switchboard.Decision) outcome {
	return outcome{status: d.Reject.SIPStatus, call: switchboard.CallFailed, cause: switchboard.HangupRejected, reason: d.Reason}
}

// webhookRejectOutcome is the outcome of a webhook's {"action":"reject"}.
func webhookRejectOutcome(status int) outcome {
	o := targetOutcome(status)
	o.status = status
	if o.reason == "agent_rejected" || o.reason == "agent_error" || o.reason == "no_answer" {
		o.reason = "webhook_rejected"
	}
	return o
}

// better reports whether a is a better final answer for the caller than b
// once every target failed: busy or 6xx first, then the lowest 4xx, then
// anything else (sip-notes §5.3).
func better(a, b int) bool {
	rank := func(s int) int {
		switch {
		case s == sipBusy || s >= 600:
			return 0
		case s >= 400 && s < 500 && s != sipTimeout && s != sipUnavailable:
			return 1
		case s == 0:
			return 3
		default:
			return 2
		}
	}
	if rank(a) != rank(b) {
		return rank(a) < rank(b)
	}
	return a < b
}
