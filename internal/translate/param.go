package translate

import "encoding/json"

// Param returns the body parameter key as written, or nil when the body does
// not have it. It reuses the body ParseLine decoded, so callers that need one
// parameter (the gateway reads max_tokens for budgets) do not scan the body
// again.
func (r Request) Param(key string) json.RawMessage {
	body := r.parsed
	if body == nil {
		var ok bool
		if body, ok = asObject(r.Body); !ok {
			return nil
		}
	}
	return body[key]
}
