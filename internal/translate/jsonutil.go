package translate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// object is a JSON object whose values are kept raw.
type object map[string]json.RawMessage

// asObject decodes raw if it is a JSON object.
func asObject(raw []byte) (object, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	var o object
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, false
	}
	if o == nil {
		o = object{}
	}
	return o, true
}

// present returns o[key] unless it is absent or JSON null.
func (o object) present(key string) (json.RawMessage, bool) {
	raw, ok := o[key]
	if !ok || isNull(raw) {
		return nil, false
	}
	return raw, true
}

func isNull(raw []byte) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// asString decodes a JSON string. Valid UTF-8 strings without escapes are
// sliced, not re-scanned (base64 image data is large); the others go through
// encoding/json, which replaces invalid UTF-8 with U+FFFD as the encoder
// would.
func asString(raw []byte) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && bytes.IndexByte(inner, '"') < 0 && utf8.Valid(inner) {
		return string(inner), true
	}
	if stringEnd(raw, 0) == len(raw) && validStringBody(inner) {
		if s, ok := unquoteFast(inner); ok {
			return s, true
		}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

func asFloat(raw []byte) (float64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// asInt decodes a JSON number with an integral value (100 and 100.0 alike).
func asInt(raw []byte) (int64, bool) {
	f, ok := asFloat(raw)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

func asBool(raw []byte) (bool, bool) {
	switch string(bytes.TrimSpace(raw)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// strictUnmarshal decodes raw into v, rejecting unknown fields.
func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if len(bytes.TrimSpace(raw[dec.InputOffset():])) > 0 {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// decodeArray decodes a JSON array of T strictly. On failure it finds the
// element at fault, so the error names param[i].
func decodeArray[T any](raw []byte, param string) ([]T, *LineError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		return nil, lerrf(CodeInvalidType, param, "%s must be an array", param)
	}
	var out []T
	if err := strictUnmarshal(raw, &out); err == nil {
		return out, nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, lerrf(CodeInvalidType, param, "%s must be an array", param)
	}
	out = make([]T, len(elems))
	for i, e := range elems {
		p := fmt.Sprintf("%s[%d]", param, i)
		if e = bytes.TrimSpace(e); len(e) == 0 || e[0] != '{' {
			return nil, lerrf(CodeInvalidType, p, "%s must be an object", p)
		}
		if err := strictUnmarshal(e, &out[i]); err != nil {
			return nil, jsonError(p, err)
		}
	}
	return out, nil
}

// decodeStruct decodes a JSON object into v strictly.
func decodeStruct(raw []byte, param string, v any) *LineError {
	if raw = bytes.TrimSpace(raw); len(raw) == 0 || raw[0] != '{' {
		return lerrf(CodeInvalidType, param, "%s must be an object", param)
	}
	if err := strictUnmarshal(raw, v); err != nil {
		return jsonError(param, err)
	}
	return nil
}

// jsonError turns an encoding/json error for the value at param into a LineError.
func jsonError(param string, err error) *LineError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		p := param
		if te.Field != "" {
			p = param + "." + te.Field
		}
		return lerrf(CodeInvalidType, p, "%s must be %s, not a JSON %s", p, typeName(te.Type.Kind().String()), te.Value)
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return lerrf(CodeUnknownParameter, param+"."+f, "unknown field %q in %s", f, param)
	}
	return lerrf(CodeInvalidValue, param, "%s is malformed: %s", param, strings.TrimPrefix(msg, "json: "))
}

func typeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	case "bool":
		return "a boolean"
	case "int", "int64", "float64":
		return "a number"
	}
	return "another type"
}
