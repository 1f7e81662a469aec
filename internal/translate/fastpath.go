package translate

import (
	"bytes"
	"encoding/json"
)

// The fast path of ParseLine: one strict, typed decode of the whole line,
// messages and tools included, instead of a decode per nesting level
// (encoding/json scans a value twice per Unmarshal, and a RawMessage is
// scanned again when decoded). Anything unusual (an unknown or misspelt key,
// a duplicate key, a key with escapes, a type error) sends the line to the
// map-based slow path, which is the reference and words every error.
// TestFastPathAgrees checks that both paths give the same results.

type lineIn struct {
	CustomID json.RawMessage `json:"custom_id"`
	Method   json.RawMessage `json:"method"`
	URL      json.RawMessage `json:"url"`
	Body     *bodyIn         `json:"body"`
}

// bodyIn has a field for every parameter of chat completions and embeddings.
type bodyIn struct {
	Model               json.RawMessage  `json:"model"`
	Messages            *[]chatMessageIn `json:"messages"`
	Audio               json.RawMessage  `json:"audio"`
	FrequencyPenalty    json.RawMessage  `json:"frequency_penalty"`
	FunctionCall        json.RawMessage  `json:"function_call"`
	Functions           json.RawMessage  `json:"functions"`
	LogitBias           json.RawMessage  `json:"logit_bias"`
	Logprobs            json.RawMessage  `json:"logprobs"`
	MaxCompletionTokens json.RawMessage  `json:"max_completion_tokens"`
	MaxTokens           json.RawMessage  `json:"max_tokens"`
	Metadata            json.RawMessage  `json:"metadata"`
	Modalities          json.RawMessage  `json:"modalities"`
	N                   json.RawMessage  `json:"n"`
	ParallelToolCalls   json.RawMessage  `json:"parallel_tool_calls"`
	Prediction          json.RawMessage  `json:"prediction"`
	PresencePenalty     json.RawMessage  `json:"presence_penalty"`
	PromptCacheKey      json.RawMessage  `json:"prompt_cache_key"`
	ReasoningEffort     json.RawMessage  `json:"reasoning_effort"`
	ResponseFormat      json.RawMessage  `json:"response_format"`
	SafetyIdentifier    json.RawMessage  `json:"safety_identifier"`
	Seed                json.RawMessage  `json:"seed"`
	ServiceTier         json.RawMessage  `json:"service_tier"`
	Stop                json.RawMessage  `json:"stop"`
	Store               json.RawMessage  `json:"store"`
	Stream              json.RawMessage  `json:"stream"`
	StreamOptions       json.RawMessage  `json:"stream_options"`
	Temperature         json.RawMessage  `json:"temperature"`
	ToolChoice          json.RawMessage  `json:"tool_choice"`
	Tools               *[]toolIn        `json:"tools"`
	TopLogprobs         json.RawMessage  `json:"top_logprobs"`
	TopP                json.RawMessage  `json:"top_p"`
	User                json.RawMessage  `json:"user"`
	Verbosity           json.RawMessage  `json:"verbosity"`
	WebSearchOptions    json.RawMessage  `json:"web_search_options"`
	TopK                json.RawMessage  `json:"top_k"`
	Thinking            json.RawMessage  `json:"thinking"`
	Input               json.RawMessage  `json:"input"`
	Dimensions          json.RawMessage  `json:"dimensions"`
	EncodingFormat      json.RawMessage  `json:"encoding_format"`
}

// object returns the parameters as raw values, as the slow path has them;
// messages and tools are left to the typed fields.
func (b *bodyIn) object() object {
	o := object{}
	add := func(k string, v json.RawMessage) {
		if v != nil {
			o[k] = v
		}
	}
	add("model", b.Model)
	add("audio", b.Audio)
	add("frequency_penalty", b.FrequencyPenalty)
	add("function_call", b.FunctionCall)
	add("functions", b.Functions)
	add("logit_bias", b.LogitBias)
	add("logprobs", b.Logprobs)
	add("max_completion_tokens", b.MaxCompletionTokens)
	add("max_tokens", b.MaxTokens)
	add("metadata", b.Metadata)
	add("modalities", b.Modalities)
	add("n", b.N)
	add("parallel_tool_calls", b.ParallelToolCalls)
	add("prediction", b.Prediction)
	add("presence_penalty", b.PresencePenalty)
	add("prompt_cache_key", b.PromptCacheKey)
	add("reasoning_effort", b.ReasoningEffort)
	add("response_format", b.ResponseFormat)
	add("safety_identifier", b.SafetyIdentifier)
	add("seed", b.Seed)
	add("service_tier", b.ServiceTier)
	add("stop", b.Stop)
	add("store", b.Store)
	add("stream", b.Stream)
	add("stream_options", b.StreamOptions)
	add("temperature", b.Temperature)
	add("tool_choice", b.ToolChoice)
	add("top_logprobs", b.TopLogprobs)
	add("top_p", b.TopP)
	add("user", b.User)
	add("verbosity", b.Verbosity)
	add("web_search_options", b.WebSearchOptions)
	add("top_k", b.TopK)
	add("thinking", b.Thinking)
	add("input", b.Input)
	add("dimensions", b.Dimensions)
	add("encoding_format", b.EncodingFormat)
	if b.Messages != nil {
		o["messages"] = nil
	}
	if b.Tools != nil {
		o["tools"] = nil
	}
	return o
}

var bodyKeys = func() map[string]bool {
	m := map[string]bool{}
	for k := range chatParams {
		m[k] = true
	}
	for k := range embeddingParams {
		m[k] = true
	}
	return m
}()

// parseLineFast returns ok=false when the line needs the slow path.
func parseLineFast(raw []byte) (Request, *LineError, bool) {
	var l lineIn
	body, ok := scanLine(raw, &l)
	if !ok {
		l = lineIn{}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil || len(bytes.TrimSpace(raw[dec.InputOffset():])) > 0 || l.Body == nil {
			return Request{}, nil, false
		}
		// encoding/json matches keys case-insensitively and keeps the last of
		// duplicates; require exact, unique keys so both paths see the same line.
		if !exactKeys(raw, envelopeKeys, func(k string, v []byte) {
			if k == "body" {
				body = v
			}
		}) || !exactKeys(body, bodyKeys, nil) {
			return Request{}, nil, false
		}
	}
	env := object{"body": body}
	for k, v := range map[string]json.RawMessage{"custom_id": l.CustomID, "method": l.Method, "url": l.URL} {
		if v != nil {
			env[k] = v
		}
	}
	parsed := l.Body.object()
	req, lerr := checkEnvelope(env, parsed)
	if lerr != nil {
		return Request{}, lerr, true
	}
	if req.URL == EndpointResponses || req.URL == EndpointCompletions {
		return Request{}, nil, false // bodyIn is chat's and embeddings' shape
	}
	req.Body = body     // refers to raw, as the decoded values do
	req.parsed = parsed // ToBedrock would decode the body again without it
	req.pre = l.Body
	return req, nil, true
}

// exactKeys walks the members of a JSON object that encoding/json has
// already validated. It reports false if a key is not in known, appears
// twice, or has escapes.
func exactKeys(data []byte, known map[string]bool, fn func(key string, val []byte)) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	seen := make(map[string]bool, 8)
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return true
	}
	for i < len(data) {
		if data[i] != '"' {
			return false
		}
		end := stringEnd(data, i)
		if end < 0 {
			return false
		}
		key := data[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 || !known[string(key)] || seen[string(key)] {
			return false
		}
		seen[string(key)] = true
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = skipSpace(data, i+1)
		vend := valueEnd(data, i)
		if vend < 0 {
			return false
		}
		if fn != nil {
			fn(string(key), data[i:vend])
		}
		i = skipSpace(data, vend)
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return true
		default:
			return false
		}
	}
	return false
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the string starting at data[i] ('"'):
// the first quote preceded by an even run of backslashes.
func stringEnd(data []byte, i int) int {
	for j := i + 1; j < len(data); {
		k := bytes.IndexByte(data[j:], '"')
		if k < 0 {
			return -1
		}
		q := j + k
		n := 0
		for p := q - 1; p > i && data[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
	return -1
}

// valueEnd returns the index after the JSON value starting at data[i].
func valueEnd(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		return stringEnd(data, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				end := stringEnd(data, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(data) && bytes.IndexByte([]byte(",}] \t\r\n"), data[j]) < 0 {
		j++
	}
	return j
}
