package translate

import (
	"strconv"
	"unicode/utf8"
)

// A hand-written encoder for the records that carry most of a batch's bytes
// (the Claude, Nova, Converse, Llama and Mistral prompt bodies): the prompt
// text is escaped eight bytes at a time where encoding/json goes byte by
// byte (its string escaping was the largest cost of an upload). The output
// is byte for byte what marshal gives (FuzzToBedrock checks it for every
// family); fields that are rare or not plain text go through marshal.

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, exactly as encoding/json encodes
// it without HTML escaping: \" \\ \n \r \t \b \f, \u00XX for the other
// control characters, \ufffd for invalid UTF-8, and \u2028 \u2029 escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start, i := 0, 0
	for i < len(s) {
		// Eight bytes at a time while none is a control character, a quote,
		// a backslash or a non-ASCII byte.
		for i+8 <= len(s) {
			x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			ctl := (x - 0x20*lows) &^ x
			q := x ^ ('"' * lows)
			bs := x ^ ('\\' * lows)
			if (ctl|(q-lows)&^q|(bs-lows)&^bs|x)&highs != 0 {
				break
			}
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendMarshal appends v as marshal encodes it.
func appendMarshal(dst []byte, v any) ([]byte, error) {
	b, err := marshal(v)
	return append(dst, b...), err
}

// handEncoded is a modelInput that appends itself as marshal would encode
// it; appendRecord uses it instead of encoding/json.
type handEncoded interface {
	appendJSON(dst []byte) ([]byte, error)
}

// jsonField is one member of an object appendObject writes, in the order
// and with the omitempty of the struct's tags: a string by appendString
// (str), an integer (num), a value by hand (enc), or else by marshal (v).
type jsonField struct {
	key  string
	omit bool
	str  *string
	num  *int64
	enc  func([]byte) ([]byte, error)
	v    any
}

func appendObject(dst []byte, fields ...jsonField) ([]byte, error) {
	dst = append(dst, '{')
	n := 0
	for i := range fields {
		f := &fields[i]
		if f.omit {
			continue
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = append(appendString(dst, f.key), ':')
		var err error
		switch {
		case f.str != nil:
			dst = appendString(dst, *f.str)
		case f.num != nil:
			dst = strconv.AppendInt(dst, *f.num, 10)
		case f.enc != nil:
			dst, err = f.enc(dst)
		default:
			dst, err = appendMarshal(dst, f.v)
		}
		if err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// appendList appends a JSON array of n elements, or null when isNil (a nil
// slice, as encoding/json writes it).
func appendList(dst []byte, n int, isNil bool, elem func(dst []byte, i int) ([]byte, error)) ([]byte, error) {
	if isNil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, '[')
	for i := range n {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = elem(dst, i); err != nil {
			return nil, err
		}
	}
	return append(dst, ']'), nil
}

// Anthropic Claude (claude.go).

func (b *claudeBody) appendJSON(dst []byte) ([]byte, error) {
	return appendObject(dst,
		jsonField{key: "anthropic_version", str: &b.AnthropicVersion},
		jsonField{key: "max_tokens", num: &b.MaxTokens},
		jsonField{key: "system", omit: len(b.System) == 0, enc: func(d []byte) ([]byte, error) { return appendClaudeBlocks(d, b.System) }},
		jsonField{key: "messages", enc: func(d []byte) ([]byte, error) {
			return appendList(d, len(b.Messages), b.Messages == nil, func(d []byte, i int) ([]byte, error) {
				m := &b.Messages[i]
				return appendObject(d,
					jsonField{key: "role", str: &m.Role},
					jsonField{key: "content", enc: func(d []byte) ([]byte, error) { return appendClaudeBlocks(d, m.Content) }})
			})
		}},
		// The rest are rare, small, or not text: as marshal has them.
		jsonField{key: "temperature", omit: b.Temperature == nil, v: b.Temperature},
		jsonField{key: "top_p", omit: b.TopP == nil, v: b.TopP},
		jsonField{key: "top_k", omit: b.TopK == nil, num: b.TopK},
		jsonField{key: "stop_sequences", omit: len(b.StopSequences) == 0, v: b.StopSequences},
		jsonField{key: "tools", omit: len(b.Tools) == 0, v: b.Tools},
		jsonField{key: "tool_choice", omit: b.ToolChoice == nil, v: b.ToolChoice},
		jsonField{key: "thinking", omit: b.Thinking == nil, v: b.Thinking},
	)
}

// appendClaudeBlocks appends a list of content blocks: text blocks by hand,
// the others (images, documents, tool use and results) by marshal.
func appendClaudeBlocks(dst []byte, blocks []claudeBlock) ([]byte, error) {
	return appendList(dst, len(blocks), blocks == nil, func(dst []byte, i int) ([]byte, error) {
		bl := &blocks[i]
		if bl.Type != "text" || bl.Text == nil || bl.Source != nil || bl.Title != "" || bl.ID != "" ||
			bl.Name != "" || len(bl.Input) > 0 || bl.ToolUseID != "" || bl.Content != nil {
			return appendMarshal(dst, bl)
		}
		dst = append(dst, `{"type":"text","text":`...)
		return append(appendString(dst, *bl.Text), '}'), nil
	})
}

// textBytes estimates the encoded size of a body's text, to size the
// record's buffer once.
func (b *claudeBody) textBytes() int {
	n := 0
	add := func(blocks []claudeBlock) {
		for i := range blocks {
			n += 32
			if t := blocks[i].Text; t != nil {
				n += len(*t)
			}
		}
	}
	add(b.System)
	for i := range b.Messages {
		n += 32
		add(b.Messages[i].Content)
	}
	return n
}

// Amazon Nova and the Converse body (nova.go).

func (b *novaBody) appendJSON(dst []byte) ([]byte, error) {
	return appendObject(dst,
		jsonField{key: "schemaVersion", str: &b.SchemaVersion},
		jsonField{key: "system", omit: len(b.System) == 0, enc: func(d []byte) ([]byte, error) { return appendNovaBlocks(d, b.System) }},
		jsonField{key: "messages", enc: func(d []byte) ([]byte, error) { return appendNovaMessages(d, b.Messages) }},
		jsonField{key: "inferenceConfig", omit: b.InferenceConfig == nil, v: b.InferenceConfig},
		jsonField{key: "toolConfig", omit: b.ToolConfig == nil, v: b.ToolConfig},
	)
}

func (b *converseBody) appendJSON(dst []byte) ([]byte, error) {
	return appendObject(dst,
		jsonField{key: "messages", enc: func(d []byte) ([]byte, error) { return appendNovaMessages(d, b.Messages) }},
		jsonField{key: "system", omit: len(b.System) == 0, enc: func(d []byte) ([]byte, error) { return appendNovaBlocks(d, b.System) }},
		jsonField{key: "inferenceConfig", omit: b.InferenceConfig == nil, v: b.InferenceConfig},
		jsonField{key: "additionalModelRequestFields", omit: len(b.AdditionalModelRequestFields) == 0, v: b.AdditionalModelRequestFields},
	)
}

func appendNovaMessages(dst []byte, msgs []novaMessage) ([]byte, error) {
	return appendList(dst, len(msgs), msgs == nil, func(d []byte, i int) ([]byte, error) {
		m := &msgs[i]
		return appendObject(d,
			jsonField{key: "role", str: &m.Role},
			jsonField{key: "content", enc: func(d []byte) ([]byte, error) { return appendNovaBlocks(d, m.Content) }})
	})
}

// appendNovaBlocks appends content blocks: text by hand, the others
// (images, tool use and results) by marshal.
func appendNovaBlocks(dst []byte, blocks []novaBlock) ([]byte, error) {
	return appendList(dst, len(blocks), blocks == nil, func(dst []byte, i int) ([]byte, error) {
		bl := &blocks[i]
		if bl.Text == nil || bl.Image != nil || bl.ToolUse != nil || bl.ToolResult != nil {
			return appendMarshal(dst, bl)
		}
		return append(appendString(append(dst, `{"text":`...), *bl.Text), '}'), nil
	})
}

// Meta Llama and Mistral's prompt models (llama.go, mistral.go): one long
// prompt string.

func (b *llamaBody) appendJSON(dst []byte) ([]byte, error) {
	return appendObject(dst,
		jsonField{key: "prompt", str: &b.Prompt},
		jsonField{key: "temperature", omit: b.Temperature == nil, v: b.Temperature},
		jsonField{key: "top_p", omit: b.TopP == nil, v: b.TopP},
		jsonField{key: "max_gen_len", omit: b.MaxGenLen == nil, num: b.MaxGenLen},
		jsonField{key: "images", omit: len(b.Images) == 0, v: b.Images},
	)
}

func (b *mistralTextBody) appendJSON(dst []byte) ([]byte, error) {
	return appendObject(dst,
		jsonField{key: "prompt", str: &b.Prompt},
		jsonField{key: "max_tokens", omit: b.MaxTokens == nil, num: b.MaxTokens},
		jsonField{key: "stop", omit: len(b.Stop) == 0, v: b.Stop},
		jsonField{key: "temperature", omit: b.Temperature == nil, v: b.Temperature},
		jsonField{key: "top_p", omit: b.TopP == nil, v: b.TopP},
		jsonField{key: "top_k", omit: b.TopK == nil, num: b.TopK},
	)
}
