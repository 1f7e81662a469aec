package translate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Codes of LineError, used as OpenAI errors.data[].code values.
const (
	CodeInvalidJSON          = "invalid_json_line"          // the line is not a JSON object
	CodeMissingParameter     = "missing_required_parameter" // a required field is absent or null
	CodeInvalidType          = "invalid_type"               // a field has the wrong JSON type
	CodeInvalidValue         = "invalid_value"              // a field's value is out of range or malformed
	CodeUnknownParameter     = "unknown_parameter"          // not an OpenAI parameter at all
	CodeUnsupportedParameter = "unsupported_parameter"      // an OpenAI parameter the model family cannot honour
	CodeUnsupportedValue     = "unsupported_value"          // a value of a parameter the model family cannot honour
	CodeUnsupportedModel     = "unsupported_model"          // the deployment's model cannot be translated for
	CodeRecordTooLarge       = "record_too_large"           // the translated record exceeds Bedrock's size limit
)

// OpenAI endpoints a batch line may name.
const (
	EndpointChatCompletions = "/v1/chat/completions"
	EndpointEmbeddings      = "/v1/embeddings"
	EndpointResponses       = "/v1/responses"
	EndpointCompletions     = "/v1/completions"
)

// Request is one parsed line of an OpenAI batch input file.
type Request struct {
	CustomID string
	Method   string // always "POST"
	URL      string // one of the Endpoint constants
	Model    string // body.model, as written
	Body     json.RawMessage

	parsed object  // Body decoded by ParseLine, reused by ToBedrock
	pre    *bodyIn // Body decoded by ParseLine's fast path
}

// LineError is a problem with one input line. Its fields map to OpenAI's
// errors.data item {code, message, param, line}.
type LineError struct {
	Line    int    // 1-based line number in the input file; 0 if unknown
	Code    string // one of the Code constants
	Param   string // the offending field, e.g. "messages[2].content[0].image_url.url"; "" if none
	Message string // human-readable; safe to show the client
}

func (e *LineError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

func lerrf(code, param, format string, args ...any) *LineError {
	return &LineError{Code: code, Param: param, Message: fmt.Sprintf(format, args...)}
}

var envelopeKeys = map[string]bool{"custom_id": true, "method": true, "url": true, "body": true}

// ParseLine checks the envelope of one input line: a JSON object with
// custom_id a non-empty string, method "POST", url one of
// /v1/chat/completions, /v1/responses, /v1/completions or /v1/embeddings
// (also accepted without the /v1 prefix, and normalised to it), and body an object whose model is a
// non-empty string. Unknown envelope keys are rejected. It does not check
// custom_id uniqueness (the caller does) nor the body's parameters
// (ToBedrock does). Leading and trailing white space is ignored; a blank
// line is an error, so callers skip blank lines they want to tolerate.
//
// The Request may refer to raw (its Body, and what ParseLine decoded for
// ToBedrock) rather than copy it: raw must not change while the Request is
// in use. The upload translates each line straight after parsing it.
func ParseLine(lineNo int, raw []byte) (Request, *LineError) {
	req, lerr := parseLine(raw)
	if lerr != nil {
		lerr.Line = lineNo
	}
	return req, lerr
}

func parseLine(raw []byte) (Request, *LineError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return Request{}, lerrf(CodeInvalidJSON, "", "the line is empty")
	}
	if lerr := checkText(raw); lerr != nil {
		return Request{}, lerr
	}
	if req, lerr, ok := parseLineFast(raw); ok {
		return req, lerr
	}
	return parseLineSlow(raw)
}

// checkText refuses a line that is not valid UTF-8, or whose \u escapes
// are not valid UTF-16 (a lone surrogate). encoding/json would replace
// either with U+FFFD: a custom_id would then no longer be the user's, and a
// prompt would silently change. JSON text must be UTF-8 (RFC 8259 §8.1).
func checkText(raw []byte) *LineError {
	if !utf8.Valid(raw) {
		n := 0
		for n < len(raw) {
			r, size := utf8.DecodeRune(raw[n:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			n += size
		}
		return lerrf(CodeInvalidJSON, "", "the line is not valid UTF-8 (byte %d): save the file as UTF-8", n+1)
	}
	// Escapes: a backslash outside a string is invalid JSON anyway, so every
	// backslash starts an escape, and \\ is one escape (not the start of the next).
	for i := bytes.IndexByte(raw, '\\'); i >= 0 && i+1 < len(raw); {
		next := 2
		if raw[i+1] == 'u' {
			switch r := hex4(raw[i+2:]); {
			case r >= 0xD800 && r <= 0xDBFF: // high surrogate: a low one must follow
				if len(raw) < i+12 || raw[i+6] != '\\' || raw[i+7] != 'u' {
					return loneSurrogate(raw[i : i+6])
				}
				if lo := hex4(raw[i+8:]); lo < 0xDC00 || lo > 0xDFFF {
					return loneSurrogate(raw[i : i+6])
				}
				next = 12
			case r >= 0xDC00 && r <= 0xDFFF:
				return loneSurrogate(raw[i : i+6])
			default:
				next = 6
			}
		}
		if i+next >= len(raw) {
			break
		}
		k := bytes.IndexByte(raw[i+next:], '\\')
		if k < 0 {
			break
		}
		i += next + k
	}
	return nil
}

// hex4 decodes the four hex digits at the start of s; -1 if there are none.
func hex4(s []byte) rune {
	if len(s) < 4 {
		return -1
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return -1
		}
	}
	return r
}

func loneSurrogate(esc []byte) *LineError {
	return lerrf(CodeInvalidJSON, "", "the line is not valid UTF-8: the escape %s is half of a UTF-16 surrogate pair", esc)
}

// invalidJSON says where a line that is not JSON breaks, so that the user
// can find the spot in a long line: the column is the byte at which the
// decoder gave up, counted from 1.
func invalidJSON(raw []byte) *LineError {
	var v any
	err := json.Unmarshal(raw, &v)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return lerrf(CodeInvalidJSON, "", "the line is not valid JSON")
	}
	if se.Offset >= int64(len(raw)) {
		return lerrf(CodeInvalidJSON, "", "the line is not valid JSON: it ends at column %d before its JSON is complete", len(raw))
	}
	return lerrf(CodeInvalidJSON, "", "the line is not valid JSON at column %d: %s", se.Offset, se.Error())
}

// parseLineSlow decodes the envelope and the body as maps of raw values.
// It is the reference path, and checks the text itself as ParseLine does.
func parseLineSlow(raw []byte) (Request, *LineError) {
	if lerr := checkText(raw); lerr != nil {
		return Request{}, lerr
	}
	env, ok := asObject(raw)
	if !ok {
		if json.Valid(raw) {
			return Request{}, lerrf(CodeInvalidJSON, "", "the line must be a JSON object")
		}
		return Request{}, invalidJSON(raw)
	}
	if k := unknownKey(env, envelopeKeys); k != "" {
		return Request{}, lerrf(CodeUnknownParameter, k, "unknown field %q: a line has custom_id, method, url and body", k)
	}
	var body object
	if raw, ok := env.present("body"); ok {
		body, _ = asObject(raw)
	}
	req, lerr := checkEnvelope(env, body)
	if lerr != nil {
		return Request{}, lerr
	}
	req.Body = env["body"]
	req.parsed = body
	return req, nil
}

// checkEnvelope checks the envelope fields; body is the decoded body, nil
// if it is not an object.
func checkEnvelope(env, body object) (Request, *LineError) {
	var req Request
	var lerr *LineError
	if req.CustomID, lerr = requiredString(env, "custom_id", "custom_id"); lerr != nil {
		return Request{}, lerr
	}
	method, lerr := requiredString(env, "method", "method")
	if lerr != nil {
		return Request{}, lerr
	}
	if !strings.EqualFold(method, "POST") {
		return Request{}, lerrf(CodeInvalidValue, "method", "method must be POST, not %q", method)
	}
	req.Method = "POST"
	url, lerr := requiredString(env, "url", "url")
	if lerr != nil {
		return Request{}, lerr
	}
	var ok bool
	if req.URL, ok = normalizeURL(url); !ok {
		if strings.TrimPrefix(url, "/v1") == "/moderations" {
			return Request{}, lerrf(CodeUnsupportedValue, "url", "url %q is not supported: batchgate runs /v1/chat/completions, /v1/responses, /v1/completions and /v1/embeddings batches", url)
		}
		return Request{}, lerrf(CodeInvalidValue, "url", "url must be /v1/chat/completions, /v1/responses, /v1/completions or /v1/embeddings, not %q", url)
	}
	if _, present := env.present("body"); !present {
		return Request{}, lerrf(CodeMissingParameter, "body", "body is required")
	}
	if body == nil {
		return Request{}, lerrf(CodeInvalidType, "body", "body must be a JSON object")
	}
	if req.Model, lerr = requiredString(body, "model", "body.model"); lerr != nil {
		return Request{}, lerr
	}
	return req, nil
}

// normalizeURL maps the accepted spellings of a batch endpoint to its /v1 form.
func normalizeURL(u string) (string, bool) {
	switch u {
	case EndpointChatCompletions, "/chat/completions":
		return EndpointChatCompletions, true
	case EndpointEmbeddings, "/embeddings":
		return EndpointEmbeddings, true
	case EndpointResponses, "/responses":
		return EndpointResponses, true
	case EndpointCompletions, "/completions":
		return EndpointCompletions, true
	}
	return "", false
}

// requiredString returns o[key], which must be a non-empty string.
func requiredString(o object, key, param string) (string, *LineError) {
	raw, ok := o[key]
	if !ok || isNull(raw) {
		return "", lerrf(CodeMissingParameter, param, "%s is required", param)
	}
	s, ok := asString(raw)
	if !ok {
		return "", lerrf(CodeInvalidType, param, "%s must be a string", param)
	}
	if s == "" {
		return "", lerrf(CodeInvalidValue, param, "%s must not be empty", param)
	}
	return s, nil
}

// unknownKey returns the first key of o (in sorted order, so errors are
// deterministic) that is not in known, or "".
func unknownKey(o object, known map[string]bool) string {
	var bad []string
	for k := range o {
		if !known[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return ""
	}
	sort.Strings(bad)
	return bad[0]
}
