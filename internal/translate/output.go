package translate

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Usage is the token usage of one output record.
type Usage struct {
	InputTokens  int64 // prompt tokens, cache reads and writes included
	OutputTokens int64
}

// OpenAI batch output line:
// {"id":"batch_req_…","custom_id":…,"response":{"status_code":200,"request_id":…,"body":{…}},"error":null}
type outputLine struct {
	ID       string          `json:"id"`
	CustomID string          `json:"custom_id"`
	Response *outputResponse `json:"response"`
	Error    *lineFailure    `json:"error"`
}

type outputResponse struct {
	StatusCode int    `json:"status_code"`
	RequestID  string `json:"request_id"`
	Body       any    `json:"body"`
}

type lineFailure struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    string  `json:"code"`
}

// chat.completion
type chatCompletion struct {
	ID      string     `json:"id"`
	Object  string     `json:"object"`
	Created int64      `json:"created"`
	Model   string     `json:"model"`
	Choices []choice   `json:"choices"`
	Usage   *chatUsage `json:"usage"`
}

type choice struct {
	Index        int        `json:"index"`
	Message      outMessage `json:"message"`
	Logprobs     *struct{}  `json:"logprobs"`
	FinishReason string     `json:"finish_reason"`
}

type outMessage struct {
	Role             string        `json:"role"`
	Content          *string       `json:"content"`
	Refusal          *string       `json:"refusal"`
	ToolCalls        []outToolCall `json:"tool_calls,omitempty"`
	ReasoningContent string        `json:"reasoning_content,omitempty"`
}

type outToolCall struct {
	ID       string      `json:"id"`
	Type     string      `json:"type"`
	Function outFunction `json:"function"`
}

type outFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type chatUsage struct {
	PromptTokens        int64          `json:"prompt_tokens"`
	CompletionTokens    int64          `json:"completion_tokens"`
	TotalTokens         int64          `json:"total_tokens"`
	PromptTokensDetails *tokensDetails `json:"prompt_tokens_details,omitempty"`
}

type tokensDetails struct {
	CachedTokens int64 `json:"cached_tokens"`
}

// completion is one assistant answer, gathered from a family's output.
type completion struct {
	id           string // without prefix; "" to derive one
	text         strings.Builder
	hasText      bool
	reasoning    string
	toolCalls    []outToolCall
	finish       string
	usage        Usage
	cachedTokens int64
}

func (c *completion) addText(s string) {
	c.text.WriteString(s)
	c.hasText = true
}

func (c *completion) addToolCall(id, name string, input json.RawMessage) {
	args := compactJSON(input)
	if args == "" || args == "null" {
		args = "{}"
	}
	c.toolCalls = append(c.toolCalls, outToolCall{ID: id, Type: "function", Function: outFunction{Name: name, Arguments: args}})
}

func (c *completion) body(model string, created int64, hash string) chatCompletion {
	id := c.id
	if id == "" {
		id = hash
	}
	msg := outMessage{Role: "assistant", ToolCalls: c.toolCalls, ReasoningContent: c.reasoning}
	if c.hasText || len(c.toolCalls) == 0 {
		s := c.text.String()
		msg.Content = &s
	}
	u := &chatUsage{PromptTokens: c.usage.InputTokens, CompletionTokens: c.usage.OutputTokens, TotalTokens: c.usage.InputTokens + c.usage.OutputTokens}
	if c.cachedTokens > 0 {
		u.PromptTokensDetails = &tokensDetails{CachedTokens: c.cachedTokens}
	}
	finish := c.finish
	if finish == "" {
		finish = "stop"
	}
	return chatCompletion{
		ID:      "chatcmpl-" + id,
		Object:  "chat.completion",
		Created: created,
		Model:   model,
		Choices: []choice{{Index: 0, Message: msg, FinishReason: finish}},
		Usage:   u,
	}
}

// compactJSON returns raw as compact JSON text ("" if it is not JSON).
func compactJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return ""
	}
	return b.String()
}

type bedrockRecord struct {
	RecordID    *string         `json:"recordId"`
	ModelInput  json.RawMessage `json:"modelInput"`
	ModelOutput json.RawMessage `json:"modelOutput"`
	Error       json.RawMessage `json:"error"`
}

// OutputLine converts one line of a Bedrock output file
// ({recordId, modelInput, modelOutput | error}) into an OpenAI batch output
// line, without a trailing newline. ok is false for an error line, which
// belongs in the error file: a Bedrock error record, or a modelOutput that
// is not the family's response shape. The line's body is a chat.completion,
// a Response or a text_completion as opts.Endpoint says (an embeddings list
// for Titan). model is the model name to report
// (the user's), created the Unix time for "created".
//
// err is set only when the line cannot be attributed to a request at all
// (not JSON, or no recordId).
//
// Ids are derived from a hash of the record's id and output (not the echoed
// modelInput, which is most of the line's bytes), so converting the same
// file twice gives the same output.
func OutputLine(opts Options, raw []byte, model string, created int64) (line []byte, ok bool, usage Usage, err error) {
	r, err := opts.resolve()
	if err != nil {
		return nil, false, Usage{}, err
	}
	var rec bedrockRecord
	if !scanRecord(raw, &rec) {
		rec = bedrockRecord{}
		if err := json.Unmarshal(raw, &rec); err != nil {
			return nil, false, Usage{}, fmt.Errorf("not a Bedrock output record: %w", err)
		}
	}
	if rec.RecordID == nil {
		return nil, false, Usage{}, errors.New("the Bedrock output record has no recordId")
	}
	hash := recordHash(*rec.RecordID, rec.ModelOutput, rec.Error)
	if len(rec.Error) > 0 && !isNull(rec.Error) {
		status, msg := bedrockError(rec.Error)
		return errorLine(*rec.RecordID, hash, status, "", msg), false, Usage{}, nil
	}
	if len(rec.ModelOutput) == 0 || isNull(rec.ModelOutput) {
		return errorLine(*rec.RecordID, hash, 500, "missing_output", "Bedrock returned neither modelOutput nor error for this record"), false, Usage{}, nil
	}
	body, usage, cerr := convertOutput(r, opts.Endpoint, rec.ModelInput, rec.ModelOutput, model, created, hash)
	if cerr != nil {
		return errorLine(*rec.RecordID, hash, 500, "invalid_model_output", "the model output could not be read: "+describe(cerr)), false, Usage{}, nil
	}
	line, err = marshal(outputLine{
		ID:       "batch_req_" + hash,
		CustomID: *rec.RecordID,
		Response: &outputResponse{StatusCode: 200, RequestID: "req_" + hash, Body: body},
	})
	if err != nil {
		return nil, false, Usage{}, err
	}
	return line, true, usage, nil
}

func convertOutput(r resolved, endpoint string, input, output json.RawMessage, model string, created int64, hash string) (any, Usage, error) {
	if r.family == TitanEmbed {
		return titanEmbeddings(input, output, model)
	}
	var c *completion
	var err error
	switch {
	case r.converse || r.family == Nova:
		c, err = converseCompletion(output)
	case r.family == Anthropic:
		c, err = claudeCompletion(output)
	case r.family == Llama:
		c, err = llamaCompletion(output)
	case r.family == Mistral:
		c, err = mistralCompletion(output)
	case r.family == OpenAI:
		c, err = openAICompletion(output)
	}
	if err != nil {
		return nil, Usage{}, err
	}
	switch u, _ := normalizeURL(endpoint); u {
	case EndpointResponses:
		return c.response(model, created, hash), c.usage, nil
	case EndpointCompletions:
		return c.textCompletion(model, created, hash), c.usage, nil
	}
	return c.body(model, created, hash), c.usage, nil
}

// bedrockError reads {"errorCode": 400, "errorMessage": "..."}.
func bedrockError(raw json.RawMessage) (int, string) {
	var e struct {
		ErrorCode    json.RawMessage `json:"errorCode"`
		ErrorMessage string          `json:"errorMessage"`
	}
	_ = json.Unmarshal(raw, &e)
	status := 0
	if n, ok := asInt(e.ErrorCode); ok {
		status = int(n)
	} else if s, ok := asString(e.ErrorCode); ok {
		status, _ = strconv.Atoi(s)
	}
	if status < 100 || status > 599 {
		status = 500
	}
	if e.ErrorMessage == "" {
		e.ErrorMessage = "Bedrock reported an error for this record"
		if len(raw) > 0 {
			e.ErrorMessage += ": " + compactJSON(raw)
		}
	}
	return status, e.ErrorMessage
}

// errorType maps an HTTP status to OpenAI's error type and a code.
func errorType(status int) (typ, code string) {
	switch {
	case status == 408:
		return "server_error", "timeout"
	case status == 424:
		return "server_error", "model_error"
	case status == 429:
		return "server_error", "rate_limit_exceeded"
	case status == 401:
		return "invalid_request_error", "unauthorized"
	case status == 403:
		return "invalid_request_error", "access_denied"
	case status == 404:
		return "invalid_request_error", "not_found"
	case status == 413:
		return "invalid_request_error", "request_too_large"
	case status >= 400 && status < 500:
		return "invalid_request_error", "invalid_request"
	}
	return "server_error", "server_error"
}

func errorLine(customID, hash string, status int, code, message string) []byte {
	typ, c := errorType(status)
	if code == "" {
		code = c
	}
	l := outputLine{ID: "batch_req_" + hash, CustomID: customID, Error: &lineFailure{Code: code, Message: message}}
	if status > 0 {
		l.Response = &outputResponse{StatusCode: status, RequestID: "req_" + hash, Body: errorBody{Error: errorDetail{Message: message, Type: typ, Code: code}}}
	}
	b, _ := marshal(l) // strings only: cannot fail
	return b
}

// ErrorLine returns an OpenAI batch error line for a request that has no
// Bedrock output record, e.g. one left unprocessed by an expired or stopped
// job (code "batch_expired", "batch_cancelled"). With statusCode 0 the
// response is null, as OpenAI writes for requests that never ran.
func ErrorLine(customID string, statusCode int, code, message string) []byte {
	return errorLine(customID, lineHash([]byte(customID+"\x00"+code)), statusCode, code, message)
}

// describe words a decoding error without Go type names.
func describe(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("modelOutput.%s has the wrong type (a JSON %s)", te.Field, te.Value)
		}
		return fmt.Sprintf("modelOutput has the wrong type (a JSON %s)", te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "modelOutput is not valid JSON"
	}
	return err.Error()
}

func recordHash(recordID string, output, errField []byte) string {
	h := sha256.New()
	h.Write([]byte(recordID))
	h.Write([]byte{0})
	h.Write(output)
	h.Write([]byte{0})
	h.Write(errField)
	return hex.EncodeToString(h.Sum(nil)[:12])
}

func lineHash(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:12])
}
