package bedrocksim

import (
	"fmt"
	"net/http"
)

// ErrorType is the name of an AWS error shape of the Bedrock control plane.
type ErrorType string

// The error shapes of the four batch operations (spec §1.6). SerializationException
// is not modeled, but it is what AWS returns for a body that is not valid JSON.
const (
	ValidationException           ErrorType = "ValidationException"
	ConflictException             ErrorType = "ConflictException"
	ServiceQuotaExceededException ErrorType = "ServiceQuotaExceededException"
	AccessDeniedException         ErrorType = "AccessDeniedException"
	ResourceNotFoundException     ErrorType = "ResourceNotFoundException"
	ThrottlingException           ErrorType = "ThrottlingException"
	InternalServerException       ErrorType = "InternalServerException"
	SerializationException        ErrorType = "SerializationException"
	UnknownOperationException     ErrorType = "UnknownOperationException"
)

// Status returns the HTTP status AWS uses for t. Conflict and quota errors are
// 400 (spec §1.6).
func (t ErrorType) Status() int {
	switch t {
	case AccessDeniedException:
		return http.StatusForbidden
	case ResourceNotFoundException, UnknownOperationException:
		return http.StatusNotFound
	case ThrottlingException:
		return http.StatusTooManyRequests
	case InternalServerException:
		return http.StatusInternalServerError
	default:
		return http.StatusBadRequest
	}
}

func (t ErrorType) known() bool {
	switch t {
	case ValidationException, ConflictException, ServiceQuotaExceededException, AccessDeniedException,
		ResourceNotFoundException, ThrottlingException, InternalServerException, SerializationException,
		UnknownOperationException:
		return true
	}
	return false
}

// apiError is an error answered to the client in the AWS wire format.
type apiError struct {
	Type    ErrorType
	Message string
}

func (e *apiError) Error() string { return string(e.Type) + ": " + e.Message }

func errorf(t ErrorType, format string, args ...any) *apiError {
	return &apiError{Type: t, Message: fmt.Sprintf(format, args...)}
}

// errorTypeNamespace follows the error name in X-Amzn-ErrorType, as Coral
// services send it; SDKs strip everything from the first ':' (spec §1.6).
const errorTypeNamespace = ":http://internal.amazon.com/coral/com.amazon.bedrock/"

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("X-Amzn-ErrorType", string(e.Type)+errorTypeNamespace)
	writeJSON(w, e.Type.Status(), struct {
		Message string `json:"message"`
	}{e.Message})
}
