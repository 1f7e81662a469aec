package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

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

// encode writes v as JSON with status.
func encode(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// maxJSONBody bounds a JSON request body.
const maxJSONBody = 1 << 20

// decode reads a JSON object body into v; an unreadable body is a 400 naming
// the problem, one over maxJSONBody a 413. Messages name JSON types and the
// request's field names, never Go's.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxJSONBody))
	var raw json.RawMessage
	err := dec.Decode(&raw)
	if err == nil {
		// One JSON value, then nothing but white space.
		if _, terr := dec.Token(); terr != io.EOF {
			err = errTrailing
			if errors.As(terr, new(*http.MaxBytesError)) {
				err = terr
			}
		}
	}
	if err == nil && (len(raw) == 0 || raw[0] != '{') {
		return &batchgate.Error{Code: batchgate.EINVALID, Message: "The request body must be a JSON object."}
	}
	if err == nil {
		err = json.Unmarshal(raw, v)
	}
	if err == nil {
		return refuseUnsupported(raw, reflect.TypeOf(v))
	}
	var mbe *http.MaxBytesError
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &mbe):
		return &batchgate.Error{Code: batchgate.ETOOLARGE, Message: fmt.Sprintf("The request body is larger than %d bytes.", mbe.Limit)}
	case errors.Is(err, io.EOF):
		return &batchgate.Error{Code: batchgate.EINVALID, Message: "The request body is empty; it must be a JSON object."}
	case err == errTrailing:
		return &batchgate.Error{Code: batchgate.EINVALID, Message: "The request body must be one JSON object, with nothing after it."}
	case errors.As(err, &te):
		field := jsonFieldPath(reflect.TypeOf(v), te.Field)
		if field == "" {
			return &batchgate.Error{Code: batchgate.EINVALID, Message: "The request body must be a JSON object."}
		}
		return &batchgate.Error{Code: batchgate.EINVALID, Param: field, Message: fmt.Sprintf("%s must be %s, not %s", field, jsonTypeName(te.Type), te.Value)}
	case errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF):
		return &batchgate.Error{Code: batchgate.EINVALID, Message: "The request body is not valid JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
	}
	return &batchgate.Error{Code: batchgate.EINVALID, Message: "The request body could not be read as JSON.", Err: err}
}

var errTrailing = errors.New("trailing data after the JSON object")

// refuseUnsupported answers 400 for a member of the body that the request
// type has no field for and that is set to something (LiteLLM's rpm_limit,
// tags, ... which batchgate cannot honour): a limit an admin believes in must
// not be dropped in silence. Members that are null, false, 0, "" or empty
// say nothing and pass, so clients that send every field still work.
func refuseUnsupported(raw json.RawMessage, t reflect.Type) error {
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil {
		return nil // not an object of members: the typed decode has judged it
	}
	known := jsonNames(t)
	var unknown []string
	for k, v := range members {
		// encoding/json matches member names case-insensitively too.
		if !known[strings.ToLower(k)] && !emptyJSON(v) && !harmless(k, v) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	return &batchgate.Error{Code: batchgate.EINVALID, Param: unknown[0], Message: fmt.Sprintf(
		"%s is not supported by batchgate: it cannot honour it, so it refuses it rather than ignore it. Remove it from the request.",
		strings.Join(unknown, ", "))}
}

// harmless reports whether an unknown member's value changes nothing in
// batchgate: values LiteLLM clients send as a matter of course.
func harmless(member string, v json.RawMessage) bool {
	var s string
	_ = json.Unmarshal(v, &s)
	switch member {
	case "user_role": // LiteLLM's default roles; a role that grants more is refused
		return s == "internal_user" || s == "internal_user_viewer"
	case "send_invite_email": // batchgate sends no email either way
		var b bool
		return json.Unmarshal(v, &b) == nil
	case "custom_llm_provider": // every batchgate model is a Bedrock one
		return s == "bedrock"
	}
	return false
}

// jsonNames returns the member names a struct type decodes, lower-cased
// (embedded structs' included); nil for other types.
func jsonNames(t reflect.Type) map[string]bool {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	names := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case tag == "-":
		case f.Anonymous && tag == "":
			for n := range jsonNames(f.Type) {
				names[n] = true
			}
		case tag != "":
			names[strings.ToLower(tag)] = true
		case f.IsExported():
			names[strings.ToLower(f.Name)] = true
		}
	}
	return names
}

// emptyJSON reports whether v is null, false, 0, "", [] or {}.
func emptyJSON(v json.RawMessage) bool {
	var x any
	if json.Unmarshal(v, &x) != nil {
		return false
	}
	switch x := x.(type) {
	case nil:
		return true
	case bool:
		return !x
	case string:
		return x == ""
	case float64:
		return x == 0
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// jsonFieldPath turns encoding/json's dotted Go path (which names embedded
// structs by their Go type, as in "budgetRequest.max_budget") into the
// request's own field names ("max_budget").
func jsonFieldPath(t reflect.Type, path string) string {
	if path == "" {
		return ""
	}
	var out []string
	for _, seg := range strings.Split(path, ".") {
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
			t = t.Elem()
		}
		if t == nil || t.Kind() != reflect.Struct {
			out, t = append(out, seg), nil
			continue
		}
		if f, ok := t.FieldByName(seg); ok && f.Anonymous && f.Tag.Get("json") == "" {
			t = f.Type // an embedded struct: its fields are the parent's
			continue
		}
		out = append(out, seg)
		var next reflect.Type
		for i := range t.NumField() {
			f := t.Field(i)
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name == seg || (name == "" && strings.EqualFold(f.Name, seg)) {
				next = f.Type
				break
			}
		}
		t = next
	}
	return strings.Join(out, ".")
}

// jsonTypeName names a Go type as a JSON type.
func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another JSON type"
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
		e = &batchgate.Error{Code: batchgate.EINTERNAL, Message: "Internal error (request id " + requestID(r.Context()) + ")."}
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

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyLogger
	keyCaller
)

func requestID(ctx context.Context) string { s, _ := ctx.Value(keyRequestID).(string); return s }

func logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(keyLogger).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(s int) { w.status = s; w.ResponseWriter.WriteHeader(s) }
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// logRequests gives each request an id (echoed as x-request-id) and logs it.
// Headers are never logged: they carry keys.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id := "req_" + hex.EncodeToString(b[:])
		l := s.Log.With("request_id", id)
		ctx := context.WithValue(context.WithValue(r.Context(), keyRequestID, id), keyLogger, l)
		ctx = logctx.WithRequestID(ctx, id) // gateway logs written with ctx name the request
		w.Header().Set("x-request-id", id)
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		// A handler that aborts the response (panic(http.ErrAbortHandler), as
		// an interrupted file download does) is logged too, with the status
		// it had sent and aborted=true; then the panic goes on to net/http,
		// which breaks the connection.
		defer func() {
			if p := recover(); p != nil {
				attrs := []any{"method", r.Method, "path", r.URL.Path, "status", sw.status, "bytes", sw.bytes, "ms", time.Since(start).Milliseconds(), "aborted", true}
				if p != http.ErrAbortHandler {
					attrs = append(attrs, "panic", fmt.Sprint(p))
				}
				l.Warn("http", attrs...)
				panic(p)
			}
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
		l.Info("http", "method", r.Method, "path", r.URL.Path, "status", sw.status, "bytes", sw.bytes, "ms", time.Since(start).Milliseconds())
	})
}
