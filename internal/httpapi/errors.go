package httpapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/batchgate/batchgate"
	"github.com/batchgate/batchgate/internal/logctx"
	"github.com/batchgate/batchgate/internal/openai"
)

// handle adapts a handler that returns an error; every error goes through writeError.
type handle func(w http.ResponseWriter, r *http.Request) error

func (h handle) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h(w, r); err != nil {
		writeError(w, r, err)
	}
}

// errorKinds maps error codes to HTTP statuses and OpenAI error types.
var errorKinds = map[string]struct {
	status int
	typ    string
}{
	batchgate.EINVALID:      {http.StatusBadRequest, "invalid_request_error"},
	batchgate.EUNAUTHORIZED: {http.StatusUnauthorized, "authentication_error"},
	batchgate.EFORBIDDEN:    {http.StatusForbidden, "permission_denied"},
	batchgate.ENOTFOUND:     {http.StatusNotFound, "not_found_error"},
	batchgate.ECONFLICT:     {http.StatusConflict, "invalid_request_error"},
	batchgate.ETOOLARGE:     {http.StatusRequestEntityTooLarge, "invalid_request_error"},
	batchgate.ETIMEOUT:      {http.StatusRequestTimeout, "timeout_error"},
	batchgate.ERATELIMIT:    {http.StatusTooManyRequests, "rate_limit_error"},
	batchgate.EBUDGET:       {http.StatusBadRequest, "budget_exceeded"},
	batchgate.EUNAVAILABLE:  {http.StatusServiceUnavailable, "service_unavailable"},
	batchgate.EINTERNAL:     {http.StatusInternalServerError, "server_error"},
}

type notFoundRoute struct{ method, path string }

func (e *notFoundRoute) Error() string { return e.method + " " + e.path + " is not a batchgate route" }

// writeError renders err as OpenAI's error envelope. Errors that are not
// *batchgate.Error are logged with the request id and shown as a bare 500.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var nr *notFoundRoute
	if errors.As(err, &nr) {
		err = &batchgate.Error{Code: batchgate.ENOTFOUND, Message: nr.Error()}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = &batchgate.Error{Code: batchgate.ETOOLARGE, Param: "file", Message: fmt.Sprintf("The upload is larger than %d bytes.", mbe.Limit)}
	}
	var e *batchgate.Error
	if !errors.As(err, &e) {
		e = &batchgate.Error{Code: batchgate.EINTERNAL, Message: "Internal error (request id " + logctx.RequestID(r.Context()) + ")."}
		logger(r.Context()).Error("request failed", "err", err)
	} else if e.Err != nil {
		logger(r.Context()).Warn("request refused", "code", e.Code, "err", e.Err)
	}
	kind, ok := errorKinds[e.Code]
	if !ok {
		kind = errorKinds[batchgate.EINVALID]
	}
	d := openai.ErrorDetail{Message: e.Message, Type: kind.typ, Param: optional(e.Param), Code: optional(codeName(e))}
	if e.Line > 0 {
		d.Line = &e.Line
	}
	for _, p := range e.Data {
		be := openai.BatchError{Code: p.Code, Message: p.Message, Param: optional(p.Param)}
		if p.Line > 0 {
			be.Line = &p.Line
		}
		d.Data = append(d.Data, be)
	}
	_ = encode(w, kind.status, openai.ErrorBody{Error: d})
}

// codeName is the OpenAI "code": the problem's own code for line problems.
func codeName(e *batchgate.Error) string {
	if e.Code == batchgate.EINVALID && len(e.Data) > 0 {
		return "invalid_file"
	}
	if _, std := errorKinds[e.Code]; !std {
		return e.Code
	}
	if e.Code == batchgate.EINVALID || e.Code == batchgate.EINTERNAL {
		return ""
	}
	return e.Code
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
