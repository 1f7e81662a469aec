package translate

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// scanLine is the fastest path of ParseLine, for the shape nearly every
// batch line has: exact, unique keys, and messages whose fields are plain
// strings or raw values. It fills l like the typed decode in parseLineFast
// would, but walks the line once: long string values (the prompts) are
// checked with word-at-a-time scans instead of encoding/json's byte-by-byte
// state machine, which costs several times more. Small values are still
// checked by encoding/json. Anything else (a misspelt or duplicate key,
// an escaped key, a message that is not an object, a non-string role, ...)
// returns ok=false and goes to parseLineFast's typed decode, whose results
// it must equal (FuzzToBedrock and TestFastPathAgrees compare the paths).
func scanLine(raw []byte, l *lineIn) (body []byte, ok bool) {
	end, ok := walkObject(raw, 0, func(key string, v []byte) bool {
		switch key {
		case "custom_id":
			return setRaw(&l.CustomID, v)
		case "method":
			return setRaw(&l.Method, v)
		case "url":
			return setRaw(&l.URL, v)
		case "body":
			if len(v) == 0 || v[0] != '{' {
				return false
			}
			l.Body = &bodyIn{}
			body = v
			return scanBody(v, l.Body)
		}
		return false
	})
	if !ok || len(bytes.TrimSpace(raw[end:])) > 0 || l.Body == nil {
		return nil, false
	}
	return body, true
}

// setRaw stores a value after checking it is JSON, as a json.RawMessage
// field gets it from encoding/json, but without a copy: it refers to the
// line (see ParseLine).
func setRaw(dst *json.RawMessage, v []byte) bool {
	if !validValue(v) {
		return false
	}
	*dst = v
	return true
}

// validValue checks one JSON value; strings take the fast scan.
func validValue(v []byte) bool {
	if len(v) > 0 && v[0] == '"' {
		return stringEnd(v, 0) == len(v) && validStringBody(v[1:len(v)-1])
	}
	return json.Valid(v)
}

func scanBody(data []byte, b *bodyIn) bool {
	end, ok := walkObject(data, 0, func(key string, v []byte) bool {
		switch key {
		case "messages":
			return scanMessages(v, b)
		case "tools":
			// Small and deeply typed: encoding/json, with the typed decode's rules.
			var tools *[]toolIn
			if strictUnmarshal(v, &tools) != nil {
				return false
			}
			b.Tools = tools
			return true
		}
		dst := b.field(key)
		return dst != nil && setRaw(dst, v)
	})
	return ok && end == len(data)
}

func scanMessages(v []byte, b *bodyIn) bool {
	if string(v) == "null" {
		return true
	}
	if len(v) == 0 || v[0] != '[' {
		return false
	}
	msgs := []chatMessageIn{}
	i := skipSpace(v, 1)
	if i < len(v) && v[i] == ']' {
		b.Messages = &msgs
		return i+1 == len(v)
	}
	for i < len(v) {
		if v[i] != '{' {
			return false
		}
		var m chatMessageIn
		end, ok := walkObject(v, i, func(key string, val []byte) bool { return m.set(key, val) })
		if !ok {
			return false
		}
		msgs = append(msgs, m)
		i = skipSpace(v, end)
		if i >= len(v) {
			return false
		}
		switch v[i] {
		case ',':
			i = skipSpace(v, i+1)
		case ']':
			b.Messages = &msgs
			return i+1 == len(v)
		default:
			return false
		}
	}
	return false
}

// set stores one member of a message; false sends the line to the typed decode.
func (m *chatMessageIn) set(key string, v []byte) bool {
	switch key {
	case "role":
		s, ok := plainString(v)
		m.Role = s
		return ok
	case "content":
		return setRaw(&m.Content, v)
	case "name":
		return setStringPtr(&m.Name, v)
	case "tool_call_id":
		return setStringPtr(&m.ToolCallID, v)
	case "refusal":
		return setStringPtr(&m.Refusal, v)
	case "tool_calls":
		return setRaw(&m.ToolCalls, v)
	case "audio":
		return setRaw(&m.Audio, v)
	case "function_call":
		return setRaw(&m.FunctionCall, v)
	}
	return false
}

func setStringPtr(dst **string, v []byte) bool {
	if string(v) == "null" {
		*dst = nil
		return true
	}
	s, ok := plainString(v)
	*dst = &s
	return ok
}

// plainString decodes a JSON string literal, or reports false.
func plainString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || !validValue(v) {
		return "", false
	}
	return asString(v)
}

// field returns the RawMessage field of a body parameter, nil if unknown.
func (b *bodyIn) field(key string) *json.RawMessage {
	switch key {
	case "model":
		return &b.Model
	case "audio":
		return &b.Audio
	case "frequency_penalty":
		return &b.FrequencyPenalty
	case "function_call":
		return &b.FunctionCall
	case "functions":
		return &b.Functions
	case "logit_bias":
		return &b.LogitBias
	case "logprobs":
		return &b.Logprobs
	case "max_completion_tokens":
		return &b.MaxCompletionTokens
	case "max_tokens":
		return &b.MaxTokens
	case "metadata":
		return &b.Metadata
	case "modalities":
		return &b.Modalities
	case "n":
		return &b.N
	case "parallel_tool_calls":
		return &b.ParallelToolCalls
	case "prediction":
		return &b.Prediction
	case "presence_penalty":
		return &b.PresencePenalty
	case "prompt_cache_key":
		return &b.PromptCacheKey
	case "reasoning_effort":
		return &b.ReasoningEffort
	case "response_format":
		return &b.ResponseFormat
	case "safety_identifier":
		return &b.SafetyIdentifier
	case "seed":
		return &b.Seed
	case "service_tier":
		return &b.ServiceTier
	case "stop":
		return &b.Stop
	case "store":
		return &b.Store
	case "stream":
		return &b.Stream
	case "stream_options":
		return &b.StreamOptions
	case "temperature":
		return &b.Temperature
	case "tool_choice":
		return &b.ToolChoice
	case "top_logprobs":
		return &b.TopLogprobs
	case "top_p":
		return &b.TopP
	case "user":
		return &b.User
	case "verbosity":
		return &b.Verbosity
	case "web_search_options":
		return &b.WebSearchOptions
	case "top_k":
		return &b.TopK
	case "thinking":
		return &b.Thinking
	case "input":
		return &b.Input
	case "dimensions":
		return &b.Dimensions
	case "encoding_format":
		return &b.EncodingFormat
	}
	return nil
}

// walkObject walks the object starting at data[i] and returns the index
// after it. Keys must be unique and free of escapes; fn checks each value
// (found, not yet validated) and may refuse it.
func walkObject(data []byte, i int, fn func(key string, val []byte) bool) (int, bool) {
	if i >= len(data) || data[i] != '{' {
		return 0, false
	}
	var seen []string
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return i + 1, true
	}
	for i < len(data) {
		if data[i] != '"' {
			return 0, false
		}
		end := stringEnd(data, i)
		if end < 0 {
			return 0, false
		}
		kb := data[i+1 : end-1]
		if bytes.IndexByte(kb, '\\') >= 0 || !validStringBody(kb) {
			return 0, false
		}
		key := string(kb)
		for _, s := range seen {
			if s == key {
				return 0, false
			}
		}
		seen = append(seen, key)
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return 0, false
		}
		i = skipSpace(data, i+1)
		vend := valueEnd(data, i)
		if vend < 0 || !fn(key, data[i:vend]) {
			return 0, false
		}
		i = skipSpace(data, vend)
		if i >= len(data) {
			return 0, false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return i + 1, true
		default:
			return 0, false
		}
	}
	return 0, false
}

const (
	lows  = 0x0101010101010101
	highs = 0x8080808080808080
)

// validStringBody reports whether s, the inside of a string literal that
// stringEnd delimited, is valid JSON: no control characters and only valid
// escapes. Eight bytes at a time while there is neither.
func validStringBody(s []byte) bool {
	i := 0
	for i < len(s) {
		for i+8 <= len(s) {
			x := binary.LittleEndian.Uint64(s[i:])
			ctl := (x - 0x20*lows) &^ x & highs
			y := x ^ ('\\' * lows)
			bs := (y - lows) &^ y & highs
			if ctl|bs != 0 {
				break
			}
			i += 8
		}
		if i >= len(s) {
			break
		}
		switch c := s[i]; {
		case c < 0x20:
			return false
		case c == '\\':
			n := escapeLen(s[i:])
			if n == 0 {
				return false
			}
			i += n
		default:
			i++
		}
	}
	return true
}

// escapeLen returns the length of the valid escape at the start of s, or 0.
func escapeLen(s []byte) int {
	if len(s) < 2 {
		return 0
	}
	switch s[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		if len(s) < 6 {
			return 0
		}
		for _, c := range s[2:6] {
			if !isHex(c) {
				return 0
			}
		}
		return 6
	}
	return 0
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// unquoteFast decodes the inside of a valid string literal with escapes.
// It reports false for what it leaves to encoding/json: \u escapes of
// surrogates and invalid UTF-8, which are replaced by U+FFFD there.
func unquoteFast(s []byte) (string, bool) {
	if !utf8.Valid(s) {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		k := bytes.IndexByte(s, '\\')
		if k < 0 {
			b.Write(s)
			break
		}
		b.Write(s[:k])
		s = s[k:]
		if len(s) < 2 {
			return "", false
		}
		switch c := s[1]; c {
		case '"', '\\', '/':
			b.WriteByte(c)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			if len(s) < 6 {
				return "", false
			}
			var r rune
			for _, h := range s[2:6] {
				switch {
				case h >= '0' && h <= '9':
					r = r<<4 | rune(h-'0')
				case h >= 'a' && h <= 'f':
					r = r<<4 | rune(h-'a'+10)
				case h >= 'A' && h <= 'F':
					r = r<<4 | rune(h-'A'+10)
				default:
					return "", false
				}
			}
			if utf8.RuneLen(r) < 0 || r >= 0xD800 && r <= 0xDFFF {
				return "", false
			}
			b.WriteRune(r)
			s = s[6:]
			continue
		default:
			return "", false
		}
		s = s[2:]
	}
	return b.String(), true
}

// validJSON reports whether v is exactly one JSON value (surrounding white
// space allowed), like json.Valid, with the fast string scan: long strings
// (prompts, base64 media) dominate Bedrock records.
func validJSON(v []byte) bool {
	i := skipSpace(v, 0)
	end, ok := validAt(v, i, 0)
	return ok && skipSpace(v, end) == len(v)
}

// validAt checks the value at data[i] and returns the index after it.
func validAt(data []byte, i, depth int) (int, bool) {
	if i >= len(data) || depth > 10000 {
		return 0, false
	}
	switch data[i] {
	case '"':
		end := stringEnd(data, i)
		if end < 0 || !validStringBody(data[i+1:end-1]) {
			return 0, false
		}
		return end, true
	case '{', '[':
		closer := byte('}')
		if data[i] == '[' {
			closer = ']'
		}
		obj := data[i] == '{'
		i = skipSpace(data, i+1)
		if i < len(data) && data[i] == closer {
			return i + 1, true
		}
		for {
			if obj {
				if i >= len(data) || data[i] != '"' {
					return 0, false
				}
				end, ok := validAt(data, i, depth+1)
				if !ok {
					return 0, false
				}
				i = skipSpace(data, end)
				if i >= len(data) || data[i] != ':' {
					return 0, false
				}
				i = skipSpace(data, i+1)
			}
			end, ok := validAt(data, i, depth+1)
			if !ok {
				return 0, false
			}
			i = skipSpace(data, end)
			if i >= len(data) {
				return 0, false
			}
			switch data[i] {
			case ',':
				i = skipSpace(data, i+1)
			case closer:
				return i + 1, true
			default:
				return 0, false
			}
		}
	}
	// A number or a literal: small, checked by encoding/json.
	end := valueEnd(data, i)
	if end <= i || !json.Valid(data[i:end]) {
		return 0, false
	}
	return end, true
}

// scanRecord is the fast path of OutputLine's decode: exact, unique keys and
// valid JSON, found without copying or decoding modelInput (the prompt,
// which OutputLine does not need except for embeddings, where it is small).
// ok=false leaves the line to json.Unmarshal.
func scanRecord(raw []byte, rec *bedrockRecord) bool {
	i := skipSpace(raw, 0)
	end, ok := walkObject(raw, i, func(key string, v []byte) bool {
		if !validJSON(v) {
			return false
		}
		switch key {
		case "recordId":
			if string(v) == "null" {
				rec.RecordID = nil
				return true
			}
			s, ok := plainString(v)
			rec.RecordID = &s
			return ok
		case "modelInput":
			rec.ModelInput = v
		case "modelOutput":
			rec.ModelOutput = v
		case "error":
			rec.Error = v
		default:
			// encoding/json matches keys case-insensitively.
			for _, k := range []string{"recordId", "modelInput", "modelOutput", "error"} {
				if strings.EqualFold(k, key) {
					return false
				}
			}
		}
		return true
	})
	return ok && skipSpace(raw, end) == len(raw)
}
