package bedrocksim

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"slices"
)

// titanEmbedFamily is Amazon Titan Text Embeddings V2
// (model-parameters-titan-embed-text). Embedding models have no Converse API.
var titanEmbedFamily = &family{name: "titan-embed", invoke: invokeTitanEmbed}

type titanEmbedResponse struct {
	Embedding           []float32       `json:"embedding"`
	InputTextTokenCount int64           `json:"inputTextTokenCount"`
	EmbeddingsByType    titanEmbeddings `json:"embeddingsByType"`
}

type titanEmbeddings struct {
	Float  []float32 `json:"float,omitempty"`
	Binary []int     `json:"binary,omitempty"`
}

// titanMaxChars is Titan V2's input limit: 8,192 tokens or 50,000 characters.
const titanMaxChars = 50_000

func invokeTitanEmbed(c *modelCall) (any, usage, error) {
	in := obj{m: c.input, path: "#"}
	if err := in.allow("inputText", "dimensions", "normalize", "embeddingTypes"); err != nil {
		return nil, usage{}, malformed(err)
	}
	text, _, err := in.nonEmpty("inputText", true)
	if err != nil {
		return nil, usage{}, malformed(err)
	}
	if len([]rune(text)) > titanMaxChars {
		return nil, usage{}, malformed(fmt.Errorf("#/inputText: expected maxLength: %d, actual: %d", titanMaxChars, len([]rune(text))))
	}
	dims := int64(1024)
	if _, ok := c.input["dimensions"]; ok {
		if dims, _, err = in.integer("dimensions", true, 0, 1<<31); err != nil {
			return nil, usage{}, malformed(err)
		}
		if dims != 256 && dims != 512 && dims != 1024 {
			return nil, usage{}, malformed(fmt.Errorf("#/dimensions: %d is not a valid enum value", dims))
		}
	}
	if err := in.boolean("normalize"); err != nil {
		return nil, usage{}, malformed(err)
	}
	normalize := c.input["normalize"] != false
	types := []string{"float"}
	if _, ok := c.input["embeddingTypes"]; ok {
		types, err = in.strings("embeddingTypes", 2)
		if err != nil {
			return nil, usage{}, malformed(err)
		}
		if len(types) == 0 {
			return nil, usage{}, malformed(fmt.Errorf("#/embeddingTypes: expected minimum item count: 1, found: 0"))
		}
		for i, t := range types {
			if t != "float" && t != "binary" {
				return nil, usage{}, malformed(fmt.Errorf("#/embeddingTypes/%d: %s is not a valid enum value", i, t))
			}
		}
	}
	vec := embed(text, int(dims), normalize)
	resp := titanEmbedResponse{Embedding: vec, InputTextTokenCount: inputTokens(text)}
	if slices.Contains(types, "float") {
		resp.EmbeddingsByType.Float = vec
	}
	if slices.Contains(types, "binary") {
		resp.EmbeddingsByType.Binary = make([]int, len(vec))
		for i, x := range vec {
			if x > 0 {
				resp.EmbeddingsByType.Binary[i] = 1
			}
		}
	}
	return resp, usage{resp.InputTextTokenCount, 0}, nil
}

// embed derives a deterministic vector from text; equal texts embed equally.
func embed(text string, dims int, normalize bool) []float32 {
	seed, _ := hex.DecodeString(digest(text)[:32])
	rng := mrand.New(mrand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
	v := make([]float64, dims)
	var norm float64
	for i := range v {
		v[i] = rng.Float64()*2 - 1
		norm += v[i] * v[i]
	}
	norm = math.Sqrt(norm)
	out := make([]float32, dims)
	for i, x := range v {
		if normalize {
			x /= norm
		}
		out[i] = float32(x)
	}
	return out
}
