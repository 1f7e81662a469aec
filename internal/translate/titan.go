package translate

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"unicode/utf8"
)

// Amazon Titan Text Embeddings V2 from /v1/embeddings lines.
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html
//
// encoding_format base64 is OpenAI's base64 of little-endian float32 values,
// computed from Titan's float output; it is not Titan's "binary" embedding
// type (one bit per dimension). The request records it as
// "embeddingTypes":["float"], which Titan accepts and which changes nothing
// in its output, so that OutputLine can read it back from modelInput.

type titanBody struct {
	InputText      string   `json:"inputText"`
	Dimensions     *int64   `json:"dimensions,omitempty"`
	Normalize      bool     `json:"normalize"`
	EmbeddingTypes []string `json:"embeddingTypes,omitempty"`
}

var embeddingParams = map[string]bool{"input": true, "model": true, "dimensions": true, "encoding_format": true, "user": true}

// titanMaxChars is Titan V2's input limit (50,000 characters; 8,192 tokens).
const titanMaxChars = 50_000

func titanRequest(body object) (any, *LineError) {
	if k := unknownKey(body, embeddingParams); k != "" {
		return nil, lerrf(CodeUnknownParameter, k, "unknown parameter %q", k)
	}
	raw, ok := body.present("input")
	if !ok {
		return nil, lerrf(CodeMissingParameter, "input", "input is required")
	}
	text, ok := asString(raw)
	if !ok {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, lerrf(CodeInvalidType, "input", "input must be a string or an array of strings")
		}
		if len(list) == 0 {
			return nil, lerrf(CodeInvalidValue, "input", "input must not be empty")
		}
		if text, ok = asString(list[0]); !ok {
			return nil, lerrf(CodeUnsupportedValue, "input", "token arrays are not supported: Titan Text Embeddings take text")
		}
		if len(list) > 1 {
			return nil, lerrf(CodeUnsupportedValue, "input", "Titan Text Embeddings V2 embeds one input per request: write one line per input instead of an array of %d", len(list))
		}
	}
	if text == "" {
		return nil, lerrf(CodeInvalidValue, "input", "input must not be empty")
	}
	if n := utf8.RuneCountInString(text); n > titanMaxChars {
		return nil, lerrf(CodeInvalidValue, "input", "input is %d characters; Titan Text Embeddings V2 takes at most %d", n, titanMaxChars)
	}
	b := &titanBody{InputText: text, Normalize: true}
	if raw, ok := body.present("dimensions"); ok {
		n, ok := asInt(raw)
		if !ok {
			return nil, lerrf(CodeInvalidType, "dimensions", "dimensions must be an integer")
		}
		if n != 256 && n != 512 && n != 1024 {
			return nil, lerrf(CodeUnsupportedValue, "dimensions", "Titan Text Embeddings V2 supports dimensions 256, 512 or 1024, not %d", n)
		}
		b.Dimensions = &n
	}
	if raw, ok := body.present("encoding_format"); ok {
		s, _ := asString(raw)
		switch s {
		case "float":
		case "base64":
			b.EmbeddingTypes = []string{"float"}
		default:
			return nil, lerrf(CodeInvalidValue, "encoding_format", "encoding_format must be float or base64")
		}
	}
	if raw, ok := body.present("user"); ok {
		if _, ok := asString(raw); !ok {
			return nil, lerrf(CodeInvalidType, "user", "user must be a string")
		}
	}
	return b, nil
}

type embeddingList struct {
	Object string         `json:"object"`
	Data   []embedding    `json:"data"`
	Model  string         `json:"model"`
	Usage  embeddingUsage `json:"usage"`
}

type embedding struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"`
}

type embeddingUsage struct {
	PromptTokens int64 `json:"prompt_tokens"`
	TotalTokens  int64 `json:"total_tokens"`
}

func titanEmbeddings(input, output json.RawMessage, model string) (any, Usage, error) {
	var o struct {
		Embedding           json.RawMessage `json:"embedding"`
		InputTextTokenCount int64           `json:"inputTextTokenCount"`
		EmbeddingsByType    *struct {
			Float json.RawMessage `json:"float"`
		} `json:"embeddingsByType"`
	}
	if err := json.Unmarshal(output, &o); err != nil {
		return nil, Usage{}, err
	}
	vec := o.Embedding
	if (len(vec) == 0 || isNull(vec)) && o.EmbeddingsByType != nil {
		vec = o.EmbeddingsByType.Float
	}
	if len(vec) == 0 || isNull(vec) {
		return nil, Usage{}, errors.New("the output has no float embedding")
	}
	var in struct {
		EmbeddingTypes []string `json:"embeddingTypes"`
	}
	_ = json.Unmarshal(input, &in)
	var emb any = vec
	if len(in.EmbeddingTypes) == 1 && in.EmbeddingTypes[0] == "float" {
		var fs []float64
		if err := json.Unmarshal(vec, &fs); err != nil {
			return nil, Usage{}, err
		}
		buf := make([]byte, 4*len(fs))
		for i, f := range fs {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(float32(f)))
		}
		emb = base64.StdEncoding.EncodeToString(buf)
	} else if b := bytes.TrimSpace(vec); b[0] != '[' {
		return nil, Usage{}, errors.New("the embedding is not an array")
	}
	n := o.InputTextTokenCount
	return embeddingList{
		Object: "list",
		Data:   []embedding{{Object: "embedding", Index: 0, Embedding: emb}},
		Model:  model,
		Usage:  embeddingUsage{PromptTokens: n, TotalTokens: n},
	}, Usage{InputTokens: n}, nil
}
