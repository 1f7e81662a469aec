package translate

import (
	"strconv"
	"unicode/utf8"
)

// A hand-written encoder for the records that carry most of a batch's bytes
// (Claude's messages body): the prompt text is escaped eight bytes at a time
// where encoding/json goes byte by byte (its string escaping was the largest
// cost of an upload). The output is byte for byte what marshal gives
// (FuzzToBedrock checks it); fields that are rare or not plain text go
// through marshal.

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

// appendJSON appends the body as marshal would encode it.
func (b *claudeBody) appendJSON(dst []byte) ([]byte, error) {
	var err error
	dst = append(dst, `{"anthropic_version":`...)
	dst = appendString(dst, b.AnthropicVersion)
	dst = append(dst, `,"max_tokens":`...)
	dst = strconv.AppendInt(dst, b.MaxTokens, 10)
	if len(b.System) > 0 {
		dst = append(dst, `,"system":`...)
		if dst, err = appendClaudeBlocks(dst, b.System); err != nil {
			return nil, err
		}
	}
	dst = append(dst, `,"messages":`...)
	if b.Messages == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range b.Messages {
			m := &b.Messages[i]
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"role":`...)
			dst = appendString(dst, m.Role)
			dst = append(dst, `,"content":`...)
			if m.Content == nil {
				dst = append(dst, "null"...)
			} else if dst, err = appendClaudeBlocks(dst, m.Content); err != nil {
				return nil, err
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	// The rest are rare, small, or not text: as marshal has them.
	rest := []struct {
		key   string
		value any
		omit  bool
	}{
		{"temperature", b.Temperature, b.Temperature == nil},
		{"top_p", b.TopP, b.TopP == nil},
		{"top_k", b.TopK, b.TopK == nil},
		{"stop_sequences", b.StopSequences, len(b.StopSequences) == 0},
		{"tools", b.Tools, len(b.Tools) == 0},
		{"tool_choice", b.ToolChoice, b.ToolChoice == nil},
		{"thinking", b.Thinking, b.Thinking == nil},
	}
	for _, f := range rest {
		if f.omit {
			continue
		}
		dst = append(append(append(dst, ',', '"'), f.key...), '"', ':')
		if dst, err = appendMarshal(dst, f.value); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// appendClaudeBlocks appends a non-nil list of content blocks: text blocks
// by hand, the others (images, documents, tool use and results) by marshal.
func appendClaudeBlocks(dst []byte, blocks []claudeBlock) ([]byte, error) {
	dst = append(dst, '[')
	for i := range blocks {
		bl := &blocks[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		if bl.Type != "text" || bl.Text == nil || bl.Source != nil || bl.Title != "" || bl.ID != "" ||
			bl.Name != "" || len(bl.Input) > 0 || bl.ToolUseID != "" || bl.Content != nil {
			var err error
			if dst, err = appendMarshal(dst, bl); err != nil {
				return nil, err
			}
			continue
		}
		dst = append(dst, `{"type":"text","text":`...)
		dst = appendString(dst, *bl.Text)
		dst = append(dst, '}')
	}
	return append(dst, ']'), nil
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
