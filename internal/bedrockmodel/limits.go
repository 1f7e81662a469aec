package bedrockmodel

// Limits are a model's token limits: its context window (input) and the
// most tokens it generates in one response. 0: not known.
type Limits struct {
	MaxInputTokens  int64
	MaxOutputTokens int64
}

// limits is keyed by foundation model id (ID.Foundation), for
// /model_group/info's max_input_tokens and max_output_tokens. Models not
// listed have no known limits (the fields stay null) rather than a guess.
//
// Sources (the vendors' published figures, written down from their pages,
// not read again from stored copies; LiteLLM's
// model_prices_and_context_window.json gives the same figures):
//   - Anthropic, "Models overview" (docs.anthropic.com/en/docs/about-claude/models):
//     200K context for every Claude 3 and later model; max output 4,096
//     (Claude 3), 8,192 (Claude 3.5 Sonnet v2, 3.5 Haiku), 64,000 (3.7
//     Sonnet, Sonnet 4/4.5, Haiku 4.5, Opus 4.5), 32,000 (Opus 4/4.1).
//     Claude 3.5 Sonnet (June 2024) generates 4,096 on Bedrock.
//   - AWS, Amazon Nova User Guide, model specifications: context 128K
//     (Micro), 300K (Lite, Pro), 1M (Premier); 5K output (Micro, Lite,
//     Pro), 32K (Premier).
//   - Meta's Llama 3.1/3.2/3.3 model cards: 128K context; AWS's "Meta Llama
//     models" parameters page: max_gen_len at most 2,048 on Bedrock.
//   - Mistral AI's model pages: 32K context (Mistral 7B, Mixtral 8x7B,
//     Mistral Large and Small 24.02), 128K (Mistral Large 24.07, Pixtral
//     Large); output as AWS's "Mistral AI" parameters pages (8,192; 4,096
//     for Mixtral 8x7B).
//   - OpenAI, gpt-oss model card: 128K context (output not stated).
//   - AWS, Titan Text Embeddings V2: 8,192 input tokens.
//
// Where the translator checks a smaller output limit (translate's caps),
// that one is shown: it is what an upload accepts.
var limits = map[string]Limits{
	"anthropic.claude-3-haiku-20240307-v1:0":    {200_000, 4_096},
	"anthropic.claude-3-sonnet-20240229-v1:0":   {200_000, 4_096},
	"anthropic.claude-3-opus-20240229-v1:0":     {200_000, 4_096},
	"anthropic.claude-3-5-sonnet-20240620-v1:0": {200_000, 4_096},
	"anthropic.claude-3-5-sonnet-20241022-v2:0": {200_000, 8_192},
	"anthropic.claude-3-5-haiku-20241022-v1:0":  {200_000, 8_192},
	"anthropic.claude-3-7-sonnet-20250219-v1:0": {200_000, 64_000},
	"anthropic.claude-sonnet-4-20250514-v1:0":   {200_000, 64_000},
	"anthropic.claude-sonnet-4-5-20250929-v1:0": {200_000, 64_000},
	"anthropic.claude-opus-4-20250514-v1:0":     {200_000, 32_000},
	"anthropic.claude-opus-4-1-20250805-v1:0":   {200_000, 32_000},
	"anthropic.claude-opus-4-5-20251101-v1:0":   {200_000, 64_000},
	"anthropic.claude-haiku-4-5-20251001-v1:0":  {200_000, 64_000},
	"amazon.nova-micro-v1:0":                    {128_000, 5_000},
	"amazon.nova-lite-v1:0":                     {300_000, 5_000},
	"amazon.nova-pro-v1:0":                      {300_000, 5_000},
	"amazon.nova-premier-v1:0":                  {1_000_000, 32_000},
	"amazon.titan-embed-text-v2:0":              {8_192, 0},
	"meta.llama3-1-8b-instruct-v1:0":            {128_000, 2_048},
	"meta.llama3-1-70b-instruct-v1:0":           {128_000, 2_048},
	"meta.llama3-1-405b-instruct-v1:0":          {128_000, 2_048},
	"meta.llama3-2-1b-instruct-v1:0":            {128_000, 2_048},
	"meta.llama3-2-3b-instruct-v1:0":            {128_000, 2_048},
	"meta.llama3-2-11b-instruct-v1:0":           {128_000, 2_048},
	"meta.llama3-2-90b-instruct-v1:0":           {128_000, 2_048},
	"meta.llama3-3-70b-instruct-v1:0":           {128_000, 2_048},
	"mistral.mistral-7b-instruct-v0:2":          {32_000, 8_192},
	"mistral.mixtral-8x7b-instruct-v0:1":        {32_000, 4_096},
	"mistral.mistral-small-2402-v1:0":           {32_000, 8_192},
	"mistral.mistral-large-2402-v1:0":           {32_000, 8_192},
	"mistral.mistral-large-2407-v1:0":           {128_000, 8_192},
	"mistral.pixtral-large-2502-v1:0":           {128_000, 8_192},
	"openai.gpt-oss-20b-1:0":                    {128_000, 0},
	"openai.gpt-oss-120b-1:0":                   {128_000, 0},
}

// LimitsOf returns the token limits of a foundation model id (as
// ID.Foundation gives it), and whether the table knows the model.
func LimitsOf(foundation string) (Limits, bool) {
	l, ok := limits[foundation]
	return l, ok
}
