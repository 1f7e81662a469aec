package batchgate

import (
	"errors"
	"fmt"
)

// Error codes, mapped to HTTP statuses and OpenAI error types in one place (internal/httpapi).
const (
	EINVALID      = "invalid"         // 400 invalid_request_error
	EUNAUTHORIZED = "unauthorized"    // 401 authentication_error
	EFORBIDDEN    = "forbidden"       // 403 permission_denied
	ENOTFOUND     = "not_found"       // 404 not_found_error
	ECONFLICT     = "conflict"        // 409 invalid_request_error
	ETOOLARGE     = "too_large"       // 413 invalid_request_error
	ETIMEOUT      = "timeout"         // 408 timeout_error (a request body that stopped arriving)
	ERATELIMIT    = "rate_limited"    // 429 rate_limit_error
	EBUDGET       = "budget_exceeded" // 400 budget_exceeded
	EUNAVAILABLE  = "unavailable"     // 503 service_unavailable
	EINTERNAL     = "internal"        // 500 server_error
)

// Error is an error that is safe to show the client. Err holds detail that
// is only logged.
type Error struct {
	Code    string
	Message string
	Param   string   // OpenAI "param"
	Line    int      // 1-based JSONL line, for file problems
	Data    []*Error // several problems (OpenAI's errors.data)
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, or EINTERNAL if it is not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// IsNotFound reports whether err is an ENOTFOUND error.
func IsNotFound(err error) bool { return err != nil && ErrorCode(err) == ENOTFOUND }

// ErrorMessage returns the client-safe message of err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
