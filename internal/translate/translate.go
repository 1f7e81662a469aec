// Package translate converts OpenAI batch input lines into Amazon Bedrock
// batch inference records, and Bedrock batch output records back into OpenAI
// batch output lines.
//
// The package is pure: no AWS SDK, no network, no clock. The record format
// is chosen by the deployment's model id (see FamilyOf), never by what the
// user wrote in body.model.
//
// Rules followed by every translator:
//   - An OpenAI parameter the target family cannot honour is rejected with a
//     *LineError naming it (Param), or mapped faithfully. Nothing is dropped,
//     except parameters whose value is OpenAI's default (n=1, stream=false,
//     logprobs=false, presence_penalty=0, ...) and the few parameters that
//     never change the generated output (user, metadata, store,
//     safety_identifier, prompt_cache_key, service_tier auto/default).
//   - Values Bedrock would reject only after the job has run (and been paid
//     for) are checked here: ranges, image formats and sizes, tool-call ids,
//     conversation shape.
package translate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/batchgate/batchgate/internal/bedrockmodel"
)

// Family is a Bedrock model family, decided by the deployment's model id,
// never by the user's body.model.
type Family string

// Model families Bedrock batch inference supports.
const (
	Unknown    Family = "unknown"
	Anthropic  Family = "anthropic"   // Claude, Anthropic Messages API
	Nova       Family = "nova"        // Amazon Nova understanding models, messages-v1
	Llama      Family = "llama"       // Meta Llama 3.x and 4, prompt templates
	Mistral    Family = "mistral"     // Mistral text-completion and chat models
	OpenAI     Family = "openai"      // OpenAI-compatible chat bodies: gpt-oss, Qwen3, DeepSeek-V3
	TitanEmbed Family = "titan-embed" // Amazon Titan Text Embeddings V2
)

// Endpoint returns the OpenAI endpoint a batch for the family uses:
// /v1/embeddings for TitanEmbed, /v1/chat/completions otherwise, "" for Unknown.
func (f Family) Endpoint() string {
	switch f {
	case TitanEmbed:
		return EndpointEmbeddings
	case Anthropic, Nova, Llama, Mistral, OpenAI:
		return EndpointChatCompletions
	}
	return ""
}

// accepts reports whether lines of the endpoint can run on the family.
func (f Family) accepts(endpoint string) bool {
	switch f {
	case TitanEmbed:
		return endpoint == EndpointEmbeddings
	case Unknown:
		return false
	}
	return endpoint == EndpointChatCompletions || endpoint == EndpointResponses || endpoint == EndpointCompletions
}

// Invocation types of a Bedrock batch job (CreateModelInvocationJob's
// modelInvocationType).
const (
	InvokeModel = "InvokeModel"
	Converse    = "Converse"
)

// Options describe the deployment a file is translated for.
type Options struct {
	// ModelID is the deployment's Bedrock model id, as in the config:
	// "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0", a bare id, or an ARN.
	ModelID string
	// Family overrides FamilyOf(ModelID) when set.
	Family Family
	// BaseModel, when set, is the foundation model behind ModelID (for an
	// application inference profile ARN, which does not name it).
	BaseModel string
	// InvocationType is InvokeModel (the default, when empty) or Converse.
	InvocationType string
	// Endpoint is the batch's endpoint, which decides the shape of the
	// output lines (OutputLine): /v1/chat/completions when empty for chat
	// families. Input lines name their own (Request.URL).
	Endpoint string
}

// resolved is Options after defaulting and checking.
type resolved struct {
	family   Family
	base     string // foundation model id, see BaseModel
	converse bool
}

func (o Options) resolve() (resolved, error) {
	r := resolved{family: o.Family, base: bedrockmodel.Base(o.ModelID, o.BaseModel)}
	if r.family == "" {
		r.family = familyOfBase(r.base)
	}
	switch r.family {
	case Anthropic, Nova, Llama, Mistral, OpenAI, TitanEmbed:
	case Unknown:
		return r, fmt.Errorf("model %q is not a model family batchgate can translate for (Anthropic Claude, Amazon Nova, Meta Llama 3/4, Mistral, gpt-oss/Qwen3/DeepSeek-V3, Titan Text Embeddings V2)", o.ModelID)
	default:
		return r, fmt.Errorf("unknown model family %q", r.family)
	}
	switch o.InvocationType {
	case "", InvokeModel:
	case Converse:
		if r.family == TitanEmbed {
			return r, fmt.Errorf("model %q is an embeddings model: the Converse invocation type is for chat models only", o.ModelID)
		}
		r.converse = true
	default:
		return r, fmt.Errorf("invocation type %q is not InvokeModel or Converse", o.InvocationType)
	}
	return r, nil
}

// Check reports whether the options name a model family and invocation type
// that can be translated. The gateway calls it when loading the config.
func (o Options) Check() error {
	_, err := o.resolve()
	return err
}

// MaxRecordBytes is the largest modelInput accepted: the InvokeModel body
// limit (25,000,000 bytes, bedrock-runtime service model). Anthropic
// documents a lower 20 MB payload limit, applied to Claude.
const (
	MaxRecordBytes          = 25_000_000
	maxAnthropicRecordBytes = 20_000_000
)

// ToBedrock translates the request body into the Bedrock modelInput for the
// deployment and returns the full record line
// {"recordId":<custom_id>,"modelInput":{…}}, without a trailing newline.
//
// An unsupported OpenAI parameter gives a *LineError with Param set; invalid
// values (missing messages, bad roles, out-of-range numbers, http image URLs,
// ...) give a *LineError too. The error's Line is lineNo.
func ToBedrock(opts Options, lineNo int, req Request) ([]byte, *LineError) {
	return AppendBedrock(nil, opts, lineNo, req)
}

// AppendBedrock is ToBedrock appending the record to dst (which it returns
// unchanged on an error), so that an upload writes each record once.
func AppendBedrock(dst []byte, opts Options, lineNo int, req Request) ([]byte, *LineError) {
	out, lerr := appendBedrock(dst, opts, req)
	if lerr != nil {
		lerr.Line = lineNo
		return dst, lerr
	}
	return out, nil
}

func appendBedrock(dst []byte, opts Options, req Request) ([]byte, *LineError) {
	r, input, lerr := modelInput(opts, req)
	if lerr != nil {
		return dst, lerr
	}
	start := len(dst)
	out, err := appendRecord(dst, req.CustomID, input)
	if err != nil {
		// Only reachable with a bug: every value in input is marshalable.
		return dst, &LineError{Code: CodeInvalidValue, Message: "cannot encode the Bedrock record: " + err.Error()}
	}
	limit := MaxRecordBytes
	if r.family == Anthropic && !r.converse {
		limit = maxAnthropicRecordBytes
	}
	// The record wraps modelInput in ~30 bytes plus the recordId.
	if n := len(out) - start - len(req.CustomID) - 30; n > limit {
		return out[:start], lerrf(CodeRecordTooLarge, "", "the translated request is %d bytes; Bedrock accepts at most %d bytes per record for this model", n, limit)
	}
	return out, nil
}

// modelInput checks the request against the model's family and builds its
// Bedrock modelInput, a value to encode as JSON.
func modelInput(opts Options, req Request) (resolved, any, *LineError) {
	r, err := opts.resolve()
	if err != nil {
		return r, nil, &LineError{Code: CodeUnsupportedModel, Message: err.Error()}
	}
	if req.CustomID == "" {
		return r, nil, lerrf(CodeMissingParameter, "custom_id", "custom_id is required")
	}
	body := req.parsed
	if body == nil { // not from ParseLine, which checked the text
		if !utf8.ValidString(req.CustomID) {
			return r, nil, lerrf(CodeInvalidValue, "custom_id", "custom_id is not valid UTF-8")
		}
		if lerr := checkText(req.Body); lerr != nil {
			lerr.Param = "body"
			return r, nil, lerr
		}
		var ok bool
		if body, ok = asObject(req.Body); !ok {
			return r, nil, lerrf(CodeInvalidType, "body", "body must be a JSON object")
		}
	}
	url := req.URL
	if u, ok := normalizeURL(url); ok {
		url = u
	}
	if !r.family.accepts(url) {
		want := r.family.Endpoint()
		if r.family != TitanEmbed {
			want = "/v1/chat/completions, /v1/responses or /v1/completions"
		}
		return r, nil, lerrf(CodeUnsupportedValue, "url", "url %q cannot be used with model %s: its batches use %s", req.URL, opts.ModelID, want)
	}

	var input any
	var lerr *LineError
	if r.family == TitanEmbed {
		input, lerr = titanRequest(body)
	} else {
		var c *chatRequest
		switch url {
		case EndpointResponses:
			c, lerr = parseResponses(body)
		case EndpointCompletions:
			c, lerr = parseCompletions(body)
		default:
			c, lerr = parseChat(body, req.pre)
		}
		if lerr != nil {
			return r, nil, lerr
		}
		defer func() { c.rename(lerr, url) }()
		k := capsFor(r)
		k.dropTools(c)
		if lerr = k.check(c); lerr != nil {
			return r, nil, lerr
		}
		switch {
		case r.converse:
			input, lerr = converseRequest(r, k, c)
		case r.family == Anthropic:
			input, lerr = claudeRequest(r, k, c)
		case r.family == Nova:
			input, lerr = novaRequest(k, c)
		case r.family == Llama:
			input, lerr = llamaRequest(r, k, c)
		case r.family == Mistral:
			input, lerr = mistralRequest(r, k, c)
		case r.family == OpenAI:
			input, lerr = openAIRequest(r, k, c)
		}
	}
	return r, input, lerr
}

type record struct {
	RecordID   string `json:"recordId"`
	ModelInput any    `json:"modelInput"`
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// appendRecord appends the Bedrock record {"recordId":…,"modelInput":…}.
func appendRecord(dst []byte, id string, input any) ([]byte, error) {
	if b, ok := input.(handEncoded); ok { // most bytes of most batches: by hand (jsonenc.go)
		if c, ok := b.(*claudeBody); ok {
			dst = slices.Grow(dst, len(id)+c.textBytes()+256)
		}
		dst = append(appendString(append(dst, `{"recordId":`...), id), `,"modelInput":`...)
		dst, err := b.appendJSON(dst)
		return append(dst, '}'), err
	}
	return appendMarshal(dst, record{RecordID: id, ModelInput: input})
}

// marshal encodes v as compact JSON without HTML escaping (prompt templates
// are full of '<' and '>') and without a trailing newline.
func marshal(v any) ([]byte, error) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<20 {
			buf.Reset()
			bufPool.Put(buf)
		}
	}()
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return append([]byte(nil), b...), nil
}

// BaseModel returns the foundation model id behind a deployment's model id,
// lower-cased (see bedrockmodel.ID.Foundation):
// "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0" gives
// "anthropic.claude-3-5-haiku-20241022-v1:0". An application inference
// profile or provisioned model ARN gives "" (its model can't be known from
// the id).
func BaseModel(modelID string) string { return bedrockmodel.Parse(modelID).Foundation }

// FamilyOf returns the family of a deployment's model id. It accepts the
// "bedrock/" prefix, cross-region inference profile ids (us., eu., apac.,
// global., us-gov., ...) and foundation-model / inference-profile ARNs.
// Models that Bedrock cannot batch or that batchgate does not translate give
// Unknown.
func FamilyOf(modelID string) Family {
	return familyOfBase(BaseModel(modelID))
}

func familyOfBase(base string) Family {
	provider, name, ok := strings.Cut(base, ".")
	if !ok {
		return Unknown
	}
	switch provider {
	case "anthropic":
		if strings.HasPrefix(name, "claude") {
			return Anthropic
		}
	case "amazon":
		switch {
		case strings.HasPrefix(name, "titan-embed-text-v2"):
			return TitanEmbed
		case strings.HasPrefix(name, "nova-"):
			for _, not := range []string{"canvas", "reel", "sonic", "embed"} {
				if strings.Contains(name, not) {
					return Unknown
				}
			}
			return Nova
		}
	case "meta":
		if strings.HasPrefix(name, "llama3") || strings.HasPrefix(name, "llama4") {
			return Llama
		}
	case "mistral":
		for _, p := range []string{"mistral-", "mixtral-", "pixtral-", "ministral-", "magistral-"} {
			if strings.HasPrefix(name, p) {
				return Mistral
			}
		}
	case "openai":
		if strings.HasPrefix(name, "gpt-oss") {
			return OpenAI
		}
	case "qwen":
		if strings.HasPrefix(name, "qwen3") {
			return OpenAI
		}
	case "deepseek":
		// DeepSeek-R1 takes a raw prompt and is not listed for batch.
		if strings.HasPrefix(name, "v3") {
			return OpenAI
		}
	}
	return Unknown
}
