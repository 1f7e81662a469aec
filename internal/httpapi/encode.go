package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/batchgate/batchgate"
)

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
