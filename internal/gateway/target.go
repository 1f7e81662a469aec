package gateway

import (
	"fmt"
	"slices"
	"strings"
)

// Serves reports whether a model name (a request's body.model) names a
// deployment: an upload whose lines name none needs target_model_names.
func (g *Gateway) Serves(model string) bool { return g.deployment(strings.TrimSpace(model)) != nil }

// unservedLineModel is the message for a line naming a model batchgate
// does not serve, in an upload without target_model_names: LiteLLM's files
// name any model (its own fixture a Bedrock id, OpenAI's files gpt-4o-mini)
// and are uploaded with a target.
func (g *Gateway) unservedLineModel(c Caller, model string) string {
	var names []string
	for _, d := range g.Deployments {
		if c.AllowsModel(d.Name()) {
			names = append(names, d.Name())
		}
	}
	slices.Sort(names)
	served, example := "none for this key", "MODEL"
	if len(names) > 0 {
		served, example = strings.Join(names, ", "), names[0]
	}
	return fmt.Sprintf("body.model %q is not a model batchgate serves for batches (served: %s). "+
		"Pass target_model_names with the upload (-F target_model_names=%s, or extra_body={\"target_model_names\": %q}) "+
		"to run the file's requests on that model whatever they name, or name a served model in body.model.", model, served, example, example)
}
