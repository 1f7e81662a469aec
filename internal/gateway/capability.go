package gateway

import (
	"github.com/batchgate/batchgate/internal/bedrockmodel"
	"github.com/batchgate/batchgate/internal/translate"
)

// Capabilities is what a deployment's model accepts in an upload, for
// /model_group/info: the translator's own checks (translate.Support), so
// that a capability shown is one an upload may use.
type Capabilities struct {
	translate.Support
	// MaxInputTokens and MaxOutputTokens are the model's limits (0:
	// unknown): the output limit the translator checks, else the built-in
	// model table's (bedrockmodel.Limits).
	MaxInputTokens, MaxOutputTokens int64
}

// Capabilities reports what the deployment's model accepts. A deployment
// that passed Check always has them; otherwise they are all false.
func (d *Deployment) Capabilities() Capabilities {
	s, err := d.translateOptions().Support()
	if err != nil {
		return Capabilities{}
	}
	c := Capabilities{Support: s, MaxOutputTokens: s.MaxOutputTokens}
	if l, ok := bedrockmodel.LimitsOf(d.baseModelID()); ok {
		c.MaxInputTokens = l.MaxInputTokens
		if c.MaxOutputTokens == 0 {
			c.MaxOutputTokens = l.MaxOutputTokens
		}
	}
	return c
}

// SupportedParams lists the OpenAI parameters batchgate translates for the deployment.
func (d *Deployment) SupportedParams() []string { return d.Capabilities().Params }
