package translate

import (
	"fmt"
	"strings"
)

// Conversations for the families with content blocks (Claude, Nova,
// Converse): strictly alternating user and assistant turns, tool results in
// user turns, consecutive same-role messages merged.

type blockKind int

const (
	blockText blockKind = iota
	blockImage
	blockPDF
	blockToolUse
	blockToolResult
)

type block struct {
	kind     blockKind
	part     *part     // text, image, PDF
	call     *toolCall // tool use
	resultID string    // tool result: the tool call id
	result   []string  // tool result: text parts
	param    string    // where the block came from, for errors
}

type turn struct {
	role   string // user or assistant
	blocks []block
	first  int // index of the first message merged into the turn
}

// buildTurns turns OpenAI messages into alternating turns. System and
// developer messages are left out (they become the system prompt).
// White-space-only text parts are left out: they carry nothing and the
// block families reject them. With trimPrefill, trailing white space of a
// final assistant (prefill) turn is trimmed, as Claude requires.
func buildTurns(c *chatRequest, modelName string, trimPrefill bool) ([]turn, *LineError) {
	var turns []turn
	for i := range c.messages {
		m := &c.messages[i]
		role := m.role
		var blocks []block
		switch role {
		case "system", "developer":
			continue
		case "user", "assistant":
			for j := range m.parts {
				p := &m.parts[j]
				switch p.kind {
				case partText:
					if strings.TrimSpace(p.text) == "" {
						continue
					}
					blocks = append(blocks, block{kind: blockText, part: p, param: p.param})
				case partImage:
					blocks = append(blocks, block{kind: blockImage, part: p, param: p.param})
				case partPDF:
					blocks = append(blocks, block{kind: blockPDF, part: p, param: p.param})
				}
			}
			for j := range m.toolCalls {
				if !c.toolsAsText && !validName(m.toolCalls[j].ID) {
					return nil, lerrf(CodeInvalidValue, fmt.Sprintf("%s.tool_calls[%d].id", m.param(), j), "tool call ids must be 1 to 64 letters, digits, underscores or dashes for %s", modelName)
				}
				blocks = append(blocks, block{kind: blockToolUse, call: &m.toolCalls[j], param: fmt.Sprintf("%s.tool_calls[%d]", m.param(), j)})
			}
		case "tool":
			role = "user"
			if !c.toolsAsText && !validName(m.toolCallID) {
				return nil, lerrf(CodeInvalidValue, m.param()+".tool_call_id", "tool call ids must be 1 to 64 letters, digits, underscores or dashes for %s", modelName)
			}
			var texts []string
			for _, p := range m.parts {
				if p.text != "" {
					texts = append(texts, p.text)
				}
			}
			blocks = append(blocks, block{kind: blockToolResult, resultID: m.toolCallID, result: texts, param: m.param()})
		}
		if len(blocks) == 0 {
			if role == "assistant" && i == len(c.messages)-1 {
				continue // an empty final assistant message asks for nothing
			}
			return nil, lerrf(CodeInvalidValue, m.param()+".content", "%s has no content: %s reject empty messages", m.param(), modelName)
		}
		if n := len(turns); n > 0 && turns[n-1].role == role {
			turns[n-1].blocks = append(turns[n-1].blocks, blocks...)
		} else {
			turns = append(turns, turn{role: role, blocks: blocks, first: i})
		}
	}
	if len(turns) == 0 {
		return nil, lerrf(CodeInvalidValue, "messages", "messages must contain a user message")
	}
	if turns[0].role != "user" {
		return nil, lerrf(CodeInvalidValue, fmt.Sprintf("messages[%d]", turns[0].first), "the first message after the system messages must be a user message for %s", modelName)
	}
	// Tool results that answer nothing are reported before tool calls left
	// unanswered: a wrong tool_call_id causes both.
	for _, role := range []string{"user", "assistant"} {
		for i := range turns {
			if turns[i].role != role {
				continue
			}
			if role == "user" {
				toolResultsFirst(&turns[i])
			}
			if lerr := checkToolPairs(turns, i, modelName); lerr != nil {
				return nil, lerr
			}
		}
	}
	if c.toolsAsText {
		toolBlocksAsText(turns)
	}
	if last := &turns[len(turns)-1]; trimPrefill && last.role == "assistant" {
		b := &last.blocks[len(last.blocks)-1]
		if b.kind == blockText {
			p := *b.part
			p.text = strings.TrimRight(p.text, " \t\r\n")
			b.part = &p
		}
	}
	return turns, nil
}

// toolResultsFirst moves tool results ahead of other blocks in a user turn
// (Claude requires it; the order of the results themselves is kept).
func toolResultsFirst(t *turn) {
	sorted := true
	seenOther := false
	for _, b := range t.blocks {
		if b.kind != blockToolResult {
			seenOther = true
		} else if seenOther {
			sorted = false
			break
		}
	}
	if sorted {
		return
	}
	out := make([]block, 0, len(t.blocks))
	for _, b := range t.blocks {
		if b.kind == blockToolResult {
			out = append(out, b)
		}
	}
	for _, b := range t.blocks {
		if b.kind != blockToolResult {
			out = append(out, b)
		}
	}
	t.blocks = out
}

// checkToolPairs checks that the tool calls of turn i (assistant) are all
// answered by the next turn, and that the tool results of turn i (user)
// answer calls of the turn before, as the block families require.
func checkToolPairs(turns []turn, i int, modelName string) *LineError {
	t := &turns[i]
	switch t.role {
	case "assistant":
		var pending []block
		for _, b := range t.blocks {
			if b.kind == blockToolUse {
				pending = append(pending, b)
			}
		}
		if len(pending) == 0 {
			return nil
		}
		if i == len(turns)-1 {
			return lerrf(CodeInvalidValue, pending[0].param, "the conversation ends with tool calls: add a tool message with the result of each")
		}
		answered := map[string]bool{}
		for _, b := range turns[i+1].blocks {
			if b.kind == blockToolResult {
				answered[b.resultID] = true
			}
		}
		for _, b := range pending {
			if !answered[b.call.ID] {
				return lerrf(CodeInvalidValue, b.param, "tool call %q has no tool message answering it right after the assistant message; %s require one", b.call.ID, modelName)
			}
		}
	case "user":
		calls := map[string]bool{}
		if i > 0 {
			for _, b := range turns[i-1].blocks {
				if b.kind == blockToolUse {
					calls[b.call.ID] = true
				}
			}
		}
		seen := map[string]bool{}
		for _, b := range t.blocks {
			if b.kind != blockToolResult {
				continue
			}
			if !calls[b.resultID] {
				return lerrf(CodeInvalidValue, b.param+".tool_call_id", "tool_call_id %q does not match a tool call of the assistant message just before it", b.resultID)
			}
			if seen[b.resultID] {
				return lerrf(CodeInvalidValue, b.param+".tool_call_id", "tool_call_id %q is answered twice", b.resultID)
			}
			seen[b.resultID] = true
		}
	}
	return nil
}

// toolBlocksAsText turns tool calls and results into text blocks, for a
// request sent without tools (see caps.dropTools).
func toolBlocksAsText(turns []turn) {
	for i := range turns {
		for j := range turns[i].blocks {
			b := &turns[i].blocks[j]
			var text string
			switch b.kind {
			case blockToolUse:
				text = "[tool call " + b.call.ID + "] " + b.call.Name + "(" + compactJSON(b.call.Arguments) + ")"
			case blockToolResult:
				text = "[tool result " + b.resultID + "]"
				if r := strings.Join(b.result, "\n"); r != "" {
					text += " " + r
				}
			default:
				continue
			}
			*b = block{kind: blockText, part: &part{kind: partText, param: b.param, text: text}, param: b.param}
		}
	}
}
