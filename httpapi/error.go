package httpapi

import (
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/switchboard-voice/switchboard"
)

// StatusOf is the one place that maps domain error codes to HTTP
// statuses, for the API and the dashboard.
func StatusOf(code string) int {
	switch code {
	case switchboard.ECodeValidation, switchboard.ECodeInvalidJSON:
		return http.StatusBadRequest
	case switchboard.ECodeMissingAPIKey, switchboard.ECodeInvalidAPIKey:
		return http.StatusUnauthorized
	case switchboard.ECodeInsufficientScope, switchboard.ECodeForbidden, switchboard.ECodeOutboundDisabled:
		return http.StatusForbidden
	case switchboard.ECodeNotFound, switchboard.ECodeEndpointNotFound,
		switchboard.ECodeNumberNotFound, switchboard.ECodeNumberNotAvail,
		switchboard.ECodeWebhookNotFound, switchboard.ECodeDeliveryNotFound,
		switchboard.ECodeCallNotFound, switchboard.ECodeTrunkNotFound, switchboard.ECodeEventNotFound,
		switchboard.ECodeAPIKeyNotFound, switchboard.ECodeNumberNotOwned:
		return http.StatusNotFound
	case switchboard.ECodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case switchboard.ECodeConflict, switchboard.ECodeIdempotencyBusy, switchboard.ECodeNoTrunk:
		return http.StatusConflict
	case switchboard.ECodePayloadTooLarge:
		return http.StatusRequestEntityTooLarge
	case switchboard.ECodeUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case switchboard.ECodeIdempotencyReused:
		return http.StatusUnprocessableEntity
	case switchboard.ECodeRateLimited, switchboard.ECodeConcurrentLimit:
		return http.StatusTooManyRequests
	case switchboard.ECodeUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// errorBody is KrosAI's flat error envelope.
type errorBody struct {
	Error      string         `json:"error"`
	Code       string         `json:"code"`
	Details    map[string]any `json:"details,omitempty"`
	RequestID  string         `json:"request_id"`
	RetryAfter *float64       `json:"retry_after,omitempty"`
}

// retryAfterError is an error the caller may retry after wait seconds (a
// rate limit): writeError sends wait as the envelope's retry_after and,
// rounded up to whole seconds, as the Retry-After header.
type retryAfterError struct {
	err  error // the domain error: code and message
	wait float64
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// concurrentRetryAfter is the Retry-After, in seconds, of
// CONCURRENT_LIMIT_EXCEEDED (a trunk or number at its limit of live
// calls). A slot frees when one of those calls ends, which nothing
// predicts: calls that fail to connect end within seconds, answered ones
// last minutes. 5 s lets the short ones clear without a client hammering
// the carrier's limit in a loop, and is short enough for a dialler to
// keep its pace.
const concurrentRetryAfter = 5

// writeError answers with the envelope for err. Internal errors are logged
// here, once, with the request id; callers only see a generic message.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := switchboard.ErrorCode(err)
	body := errorBody{Error: switchboard.ErrorMessage(err), Code: code, RequestID: requestID(r.Context())}
	var e *switchboard.Error
	if errors.As(err, &e) {
		body.Details = e.Details
	}
	var ra *retryAfterError
	if !errors.As(err, &ra) && code == switchboard.ECodeConcurrentLimit {
		ra = &retryAfterError{err: err, wait: concurrentRetryAfter}
	}
	if ra != nil {
		body.RetryAfter = &ra.wait
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(ra.wait))))
	}
	if code == switchboard.ECodeInternal {
		s.logger.ErrorContext(r.Context(), "request failed", "request_id", body.RequestID,
			"method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, StatusOf(code), body)
}
