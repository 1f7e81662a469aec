package translate

// Support is what a model accepts in a batch line, as ToBedrock checks it:
// the capabilities GET /model_group/info shows come from here, so that a
// flag is true exactly when an upload using it is accepted.
type Support struct {
	Embeddings bool // an embeddings model: none of the chat fields apply

	Tools          bool // tools and tool_choice
	ParallelFalse  bool // parallel_tool_calls false
	Images         bool
	PDF            bool
	ResponseFormat bool
	Reasoning      bool     // reasoning_effort
	Efforts        []string // the reasoning_effort values taken besides none; nil without Reasoning
	Stop           bool
	// MaxOutputTokens is the largest max_tokens accepted; 0 when batchgate
	// checks no limit for the model.
	MaxOutputTokens int64
	// Params are the OpenAI request parameters that have an effect.
	Params []string
}

// effortOrder lists reasoning_effort's values from least to most.
var effortOrder = []string{"minimal", "low", "medium", "high", "xhigh"}

// Support reports what the options' model accepts. It fails as Check does.
func (o Options) Support() (Support, error) {
	r, err := o.resolve()
	if err != nil {
		return Support{}, err
	}
	if r.family == TitanEmbed {
		return Support{Embeddings: true, Params: []string{"input", "dimensions", "encoding_format"}}, nil
	}
	k := capsFor(r)
	s := Support{
		Tools: k.tools, ParallelFalse: k.parallelFalse, Images: k.images, PDF: k.pdf, ResponseFormat: k.responseFormat,
		Reasoning: k.reasoning, Stop: k.stop, MaxOutputTokens: k.maxTokensMax,
		Params: []string{"messages", "max_tokens", "max_completion_tokens", "temperature", "top_p"},
	}
	if k.stop {
		s.Params = append(s.Params, "stop")
	}
	if k.tools {
		s.Params = append(s.Params, "tools", "tool_choice")
	}
	if k.parallelFalse {
		s.Params = append(s.Params, "parallel_tool_calls")
	}
	if k.responseFormat {
		s.Params = append(s.Params, "response_format")
	}
	if k.reasoning {
		s.Params = append(s.Params, "reasoning_effort")
		for _, e := range effortOrder {
			if k.reasoningLevels == nil || k.reasoningLevels[e] {
				s.Efforts = append(s.Efforts, e)
			}
		}
	}
	return s, nil
}
