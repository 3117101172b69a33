package switchboard

import (
	"errors"
	"fmt"
)

// Error codes. They are the machine-readable `code` of KrosAI's error
// envelope; the HTTP and SIP adapters each map them to a status in one place.
const (
	ECodeValidation        = "VALIDATION_ERROR"
	ECodeInvalidJSON       = "INVALID_JSON"
	ECodeMissingAPIKey     = "MISSING_API_KEY"
	ECodeInvalidAPIKey     = "INVALID_API_KEY"
	ECodeInsufficientScope = "INSUFFICIENT_SCOPE"
	ECodeForbidden         = "FORBIDDEN"
	ECodeNotFound          = "NOT_FOUND"
	ECodeEndpointNotFound  = "ENDPOINT_NOT_FOUND"
	ECodeNumberNotFound    = "PHONE_NUMBER_NOT_FOUND"
	ECodeNumberNotAvail    = "NUMBER_NOT_AVAILABLE"
	ECodeWebhookNotFound   = "WEBHOOK_NOT_FOUND"
	ECodeDeliveryNotFound  = "DELIVERY_NOT_FOUND"
	ECodeCallNotFound      = "CALL_NOT_FOUND"
	ECodeEventNotFound     = "EVENT_NOT_FOUND"
	ECodeTrunkNotFound     = "TRUNK_NOT_FOUND"
	ECodeAPIKeyNotFound    = "API_KEY_NOT_FOUND"
	ECodeConflict          = "CONFLICT"
	ECodeIdempotencyReused = "IDEMPOTENCY_KEY_REUSED"
	ECodeIdempotencyBusy   = "IDEMPOTENCY_KEY_IN_USE"
	ECodeRateLimited       = "RATE_LIMIT_EXCEEDED"
	ECodePayloadTooLarge   = "PAYLOAD_TOO_LARGE"
	ECodeUnsupportedMedia  = "UNSUPPORTED_MEDIA_TYPE"
	ECodeMethodNotAllowed  = "METHOD_NOT_ALLOWED"
	ECodeUnavailable       = "SERVICE_UNAVAILABLE"
	ECodeInternal          = "INTERNAL_ERROR"
)

// Error is an error meant for the API caller: a code, a human message and
// optional details (for validation errors, the offending field). Anything
// that is not an *Error is internal and is never shown to callers.
type Error struct {
	Code    string
	Message string
	Details map[string]any
}

// Error implements the error interface.
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns a VALIDATION_ERROR naming the field at fault.
func FieldError(field, format string, args ...any) *Error {
	return &Error{
		Code:    ECodeValidation,
		Message: fmt.Sprintf(format, args...),
		Details: map[string]any{"field": field},
	}
}

// ErrorCode returns the code of the first *Error in err's chain, or
// INTERNAL_ERROR when there is none (nil gives "").
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ECodeInternal
}

// ErrorMessage returns the message of the first *Error in err's chain, or a
// generic message that leaks nothing about internal failures.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
