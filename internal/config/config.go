// Package config loads batchgate's LiteLLM-compatible config.yaml: model_list
// entries with litellm_params and model_info, and general_settings. Any string
// value may be "os.environ/NAME". Sections batchgate does not use
// (litellm_settings, router_settings, ...) are accepted so that an admin can
// switch from LiteLLM by swapping the binary.
package config

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/batchgate/batchgate/internal/bedrockmodel"
)

// Config is the whole file.
type Config struct {
	ModelList       []Model         `yaml:"model_list"`
	GeneralSettings GeneralSettings `yaml:"general_settings"`
	// BatchgateSettings is batchgate's own section: metrics and webhooks.
	BatchgateSettings BatchgateSettings `yaml:"batchgate_settings,omitempty"`

	// Warnings lists things that were accepted but ignored, for the log.
	Warnings []string `yaml:"-"`
}

// GeneralSettings is LiteLLM's general_settings section.
type GeneralSettings struct {
	MasterKey   string `yaml:"master_key"`
	DatabaseURL string `yaml:"database_url"`
	// MaxBatchFileSizeMB bounds an upload to POST /v1/files (LiteLLM's
	// name; 413 above it). 0: DefaultMaxBatchFileSizeMB.
	MaxBatchFileSizeMB int64 `yaml:"max_batch_file_size_mb"`
}

// DefaultMaxBatchFileSizeMB is the default upload bound: Bedrock takes 1 GB
// per input file, and an OpenAI line is a little larger than its record.
const DefaultMaxBatchFileSizeMB = 1280

// MaxUploadBytes is the upload bound in bytes (MB as MiB).
func (g GeneralSettings) MaxUploadBytes() int64 {
	if g.MaxBatchFileSizeMB > 0 {
		return g.MaxBatchFileSizeMB << 20
	}
	return DefaultMaxBatchFileSizeMB << 20
}

// Model is one model_list entry: a deployment of a model group.
type Model struct {
	ModelName     string        `yaml:"model_name"`
	LiteLLMParams LiteLLMParams `yaml:"litellm_params"`
	ModelInfo     ModelInfo     `yaml:"model_info"`
}

// LiteLLMParams are the deployment's parameters, with LiteLLM's names.
type LiteLLMParams struct {
	Model string `yaml:"model"` // bedrock/<model id>

	S3BucketName       string `yaml:"s3_bucket_name"`
	S3OutputBucketName string `yaml:"s3_output_bucket_name"`
	S3RegionName       string `yaml:"s3_region_name"`
	S3AccessKeyID      string `yaml:"s3_access_key_id"`
	S3SecretAccessKey  string `yaml:"s3_secret_access_key"`
	S3SessionToken     string `yaml:"s3_session_token"`
	S3EndpointURL      string `yaml:"s3_endpoint_url"`
	S3EncryptionKeyID  string `yaml:"s3_encryption_key_id"`

	AWSBatchRoleARN    string `yaml:"aws_batch_role_arn"`
	AWSRegionName      string `yaml:"aws_region_name"`
	AWSAccessKeyID     string `yaml:"aws_access_key_id"`
	AWSSecretAccessKey string `yaml:"aws_secret_access_key"`
	AWSSessionToken    string `yaml:"aws_session_token"`
	AWSProfileName     string `yaml:"aws_profile_name"`

	// batchgate extensions.
	BedrockEndpointURL string `yaml:"bedrock_endpoint_url"` // control-plane endpoint override (also AWS_ENDPOINT_URL_BEDROCK)
	InvocationType     string `yaml:"invocation_type"`      // "InvokeModel" (default) or "Converse"
	MinRecordsPerJob   *int   `yaml:"min_records_per_job"`  // Bedrock's minimum, refused at batch creation (default 100)
}

// ModelInfo is the deployment's model_info.
type ModelInfo struct {
	Mode string `yaml:"mode"`
	// BaseModel is the foundation model behind an id that does not name
	// one (an application inference profile or provisioned model ARN), as
	// LiteLLM's model_info.base_model: it picks the translation and price.
	BaseModel                 string   `yaml:"base_model"`
	InputCostPerToken         *float64 `yaml:"input_cost_per_token"`
	OutputCostPerToken        *float64 `yaml:"output_cost_per_token"`
	InputCostPerTokenBatches  *float64 `yaml:"input_cost_per_token_batches"`
	OutputCostPerTokenBatches *float64 `yaml:"output_cost_per_token_batches"`
	MaxInputTokens            *int     `yaml:"max_input_tokens"`
	MaxOutputTokens           *int     `yaml:"max_output_tokens"`
	SupportsVision            *bool    `yaml:"supports_vision"`
	SupportsFunctionCalling   *bool    `yaml:"supports_function_calling"`
	SupportsReasoning         *bool    `yaml:"supports_reasoning"`
	ID                        string   `yaml:"id"`

	// batchgate: Bedrock's batch quotas for this model (see Quotas).
	BatchMinRecords        *int   `yaml:"batch_min_records"`
	BatchMaxRecordsPerJob  *int   `yaml:"batch_max_records_per_job"`
	BatchMaxBytesPerFile   *int64 `yaml:"batch_max_bytes_per_file"`
	BatchMaxBytesPerJob    *int64 `yaml:"batch_max_bytes_per_job"`
	BatchMaxConcurrentJobs *int   `yaml:"batch_max_concurrent_jobs"`
	// batchgate: a batch below the minimum records per job is refused
	// ("refuse", the default) or runs "on_demand" through the runtime API,
	// batch_on_demand_concurrency requests at a time (see ondemand.go).
	BatchBelowMinimum        string `yaml:"batch_below_minimum"`
	BatchOnDemandConcurrency *int   `yaml:"batch_on_demand_concurrency"`
}

// DefaultMinRecordsPerJob is Bedrock's minimum number of records per batch job
// (bedrock-batch-spec §2.6).
const DefaultMinRecordsPerJob = 100

// BedrockModelID returns the deployment's Bedrock model id: model without
// the "bedrock/" prefix and LiteLLM's "converse/" or "invoke/" route.
func (p LiteLLMParams) BedrockModelID() string { return bedrockmodel.Parse(p.Model).ModelID }

// route is LiteLLM's route in model: "converse", "invoke" or "".
func (p LiteLLMParams) route() string { return bedrockmodel.Parse(p.Model).Route }

// Invocation is the batch job's modelInvocationType: invocation_type when
// set, else Converse for a "bedrock/converse/..." model (LiteLLM's route),
// else InvokeModel ("").
func (p LiteLLMParams) Invocation() string {
	if p.InvocationType != "" {
		return p.InvocationType
	}
	if p.route() == "converse" {
		return "Converse"
	}
	return ""
}

// MinRecords returns the minimum number of records per job for the deployment.
func (p LiteLLMParams) MinRecords() int {
	if p.MinRecordsPerJob != nil {
		return *p.MinRecordsPerJob
	}
	return DefaultMinRecordsPerJob
}

// OutputBucket returns the bucket Bedrock writes results to.
func (p LiteLLMParams) OutputBucket() string {
	if p.S3OutputBucketName != "" {
		return p.S3OutputBucketName
	}
	return p.S3BucketName
}

// Error is a config problem, naming the field.
type Error struct {
	Field   string
	Message string
}

func (e *Error) Error() string { return e.Field + ": " + e.Message }

// Load reads and validates the config at path.
func Load(path string, getenv func(string) string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f, getenv)
}

// Parse decodes and validates a config. getenv resolves os.environ/ references
// and the environment fallbacks LiteLLM honours.
func Parse(r io.Reader, getenv func(string) string) (*Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{Field: "config.yaml", Message: err.Error()}
	}
	if len(root.Content) == 0 {
		return nil, &Error{Field: "config.yaml", Message: "is empty"}
	}
	r0 := &resolver{getenv: getenv, refs: map[string]string{}}
	r0.walk(root.Content[0], "")
	if len(r0.errs) > 0 {
		return nil, r0.errs[0]
	}
	var cfg Config
	if err := root.Content[0].Decode(&cfg); err != nil {
		return nil, &Error{Field: "config.yaml", Message: cleanYAMLError(err)}
	}
	cfg.Warnings = unknownKeys(root.Content[0])
	if err := cfg.applyEnv(getenv); err != nil {
		return nil, err
	}
	if err := cfg.validate(r0.refs); err != nil {
		return nil, err
	}
	if err := cfg.BatchgateSettings.validate(r0.refs); err != nil {
		return nil, err
	}
	cfg.BatchgateSettings.applyDefaults()
	return &cfg, nil
}

// resolver replaces "os.environ/NAME" scalars by the variable's value and
// remembers which field named which variable, for error messages.
type resolver struct {
	getenv func(string) string
	refs   map[string]string // field path -> variable
	errs   []error
}

func (r *resolver) walk(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			r.walk(n.Content[i+1], join(path, n.Content[i].Value))
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			r.walk(c, fmt.Sprintf("%s[%d]", path, i))
		}
	case yaml.ScalarNode:
		name, ok := strings.CutPrefix(n.Value, "os.environ/")
		if !ok {
			return
		}
		if name == "" {
			r.errs = append(r.errs, &Error{Field: path, Message: "os.environ/ needs a variable name"})
			return
		}
		r.refs[path] = name
		n.Value = r.getenv(name)
		n.Tag = "!!str"
		n.Style = yaml.DoubleQuotedStyle
		if v := n.Value; v != "" {
			// Let numbers and booleans from the environment decode into typed fields.
			if _, err := strconv.ParseFloat(v, 64); err == nil {
				n.Tag, n.Style = "", 0
			} else if _, err := strconv.ParseBool(v); err == nil {
				n.Tag, n.Style = "", 0
			}
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var known = map[string]map[string]bool{
	"": {"model_list": true, "general_settings": true, "batchgate_settings": true, "litellm_settings": true, "router_settings": true,
		"environment_variables": true, "callback_settings": true, "guardrails": true, "credential_list": true},
}

// unknownKeys returns top-level sections batchgate ignores.
func unknownKeys(n *yaml.Node) []string {
	var out []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if !known[""][k] {
			out = append(out, fmt.Sprintf("unknown top-level section %q ignored", k))
		} else if k != "model_list" && k != "general_settings" && k != "batchgate_settings" {
			out = append(out, fmt.Sprintf("section %q is LiteLLM-only and ignored", k))
		}
	}
	sort.Strings(out)
	return out
}

var yamlLine = regexp.MustCompile(`^yaml: (unmarshal errors:\n\s*)?`)

func cleanYAMLError(err error) string {
	return strings.TrimSpace(yamlLine.ReplaceAllString(err.Error(), ""))
}

// applyEnv fills fields LiteLLM reads from the environment when the config leaves them out.
func (c *Config) applyEnv(getenv func(string) string) error {
	for i := range c.ModelList {
		p := &c.ModelList[i].LiteLLMParams
		fill(&p.S3BucketName, getenv("AWS_S3_BUCKET_NAME"))
		fill(&p.S3OutputBucketName, getenv("AWS_S3_OUTPUT_BUCKET_NAME"))
		fill(&p.AWSBatchRoleARN, getenv("AWS_BATCH_ROLE_ARN"))
		fill(&p.S3EncryptionKeyID, getenv("AWS_S3_ENCRYPTION_KEY_ID"))
	}
	if c.GeneralSettings.MasterKey == "" {
		c.GeneralSettings.MasterKey = getenv("LITELLM_MASTER_KEY")
	}
	if c.GeneralSettings.DatabaseURL == "" {
		c.GeneralSettings.DatabaseURL = getenv("DATABASE_URL")
	}
	return nil
}

func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

var (
	roleARN    = regexp.MustCompile(`^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+$`)
	bucketName = regexp.MustCompile(`^[a-z0-9][-.a-z0-9]{1,61}[a-z0-9]$`)
)

// validate checks every field batchgate uses, naming the field on failure.
func (c *Config) validate(refs map[string]string) error {
	seen := map[string]bool{}
	batch := 0
	for i, m := range c.ModelList {
		at := fmt.Sprintf("model_list[%d]", i)
		req := func(field, v string) error {
			if v != "" {
				return nil
			}
			msg := "is required"
			if name, ok := refs[field]; ok {
				msg = fmt.Sprintf("is required, but environment variable %s is not set", name)
			}
			return &Error{Field: field, Message: msg}
		}
		if err := req(at+".model_name", m.ModelName); err != nil {
			return err
		}
		p := m.LiteLLMParams
		lp := at + ".litellm_params"
		if err := req(lp+".model", p.Model); err != nil {
			return err
		}
		if !strings.HasPrefix(p.Model, "bedrock/") {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s.model %q is not a bedrock/ model: batchgate ignores it", lp, p.Model))
			continue
		}
		if m.ModelInfo.Mode != "" && m.ModelInfo.Mode != "batch" {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s.model_info.mode is %q: batchgate serves it for batches anyway", at, m.ModelInfo.Mode))
		}
		batch++
		if seen[m.ModelName] {
			return &Error{Field: at + ".model_name", Message: fmt.Sprintf("%q is used by an earlier entry; batchgate runs one deployment per model name", m.ModelName)}
		}
		seen[m.ModelName] = true
		if p.BedrockModelID() == "" {
			return &Error{Field: lp + ".model", Message: "names no Bedrock model id after bedrock/"}
		}
		if err := req(lp+".s3_bucket_name", p.S3BucketName); err != nil {
			err.(*Error).Message += " (or set AWS_S3_BUCKET_NAME)"
			return err
		}
		for _, b := range []struct{ field, v string }{{"s3_bucket_name", p.S3BucketName}, {"s3_output_bucket_name", p.S3OutputBucketName}} {
			if b.v != "" && !bucketName.MatchString(b.v) {
				return &Error{Field: lp + "." + b.field, Message: fmt.Sprintf("%q is not a valid S3 bucket name", b.v)}
			}
		}
		if err := req(lp+".aws_batch_role_arn", p.AWSBatchRoleARN); err != nil {
			err.(*Error).Message += " (or set AWS_BATCH_ROLE_ARN): Bedrock batch jobs run with this IAM role"
			return err
		}
		if !roleARN.MatchString(p.AWSBatchRoleARN) {
			return &Error{Field: lp + ".aws_batch_role_arn", Message: fmt.Sprintf("%q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", p.AWSBatchRoleARN)}
		}
		if (p.S3AccessKeyID == "") != (p.S3SecretAccessKey == "") {
			return &Error{Field: lp + ".s3_secret_access_key", Message: "s3_access_key_id and s3_secret_access_key must be set together"}
		}
		if (p.AWSAccessKeyID == "") != (p.AWSSecretAccessKey == "") {
			return &Error{Field: lp + ".aws_secret_access_key", Message: "aws_access_key_id and aws_secret_access_key must be set together"}
		}
		switch p.InvocationType {
		case "", "InvokeModel", "Converse":
		default:
			return &Error{Field: lp + ".invocation_type", Message: fmt.Sprintf("%q must be InvokeModel or Converse", p.InvocationType)}
		}
		if r := p.route(); (r == "converse" && p.InvocationType == "InvokeModel") || (r == "invoke" && p.InvocationType == "Converse") {
			return &Error{Field: lp + ".invocation_type", Message: fmt.Sprintf("%q contradicts the model's bedrock/%s/ route", p.InvocationType, r)}
		}
		if p.MinRecordsPerJob != nil && *p.MinRecordsPerJob < 0 {
			return &Error{Field: lp + ".min_records_per_job", Message: "must not be negative"}
		}
		if err := m.checkOnDemand(at + ".model_info"); err != nil {
			return err
		}
		if err := m.checkQuotas(at + ".model_info"); err != nil {
			return err
		}
		for _, u := range []struct{ field, v string }{{"s3_endpoint_url", p.S3EndpointURL}, {"bedrock_endpoint_url", p.BedrockEndpointURL}} {
			if u.v != "" && !strings.HasPrefix(u.v, "http://") && !strings.HasPrefix(u.v, "https://") {
				return &Error{Field: lp + "." + u.field, Message: fmt.Sprintf("%q must be an http:// or https:// URL", u.v)}
			}
		}
		for _, f := range []struct {
			field string
			v     *float64
		}{
			{"input_cost_per_token", m.ModelInfo.InputCostPerToken}, {"output_cost_per_token", m.ModelInfo.OutputCostPerToken},
			{"input_cost_per_token_batches", m.ModelInfo.InputCostPerTokenBatches}, {"output_cost_per_token_batches", m.ModelInfo.OutputCostPerTokenBatches},
		} {
			if f.v != nil && *f.v < 0 {
				return &Error{Field: at + ".model_info." + f.field, Message: "must not be negative"}
			}
		}
	}
	if batch == 0 {
		return &Error{Field: "model_list", Message: "has no bedrock/ model: add at least one entry with litellm_params.model: bedrock/<model id>"}
	}
	if c.GeneralSettings.MaxBatchFileSizeMB < 0 {
		return &Error{Field: "general_settings.max_batch_file_size_mb", Message: "must not be negative"}
	}
	if c.GeneralSettings.MasterKey != "" && !strings.HasPrefix(c.GeneralSettings.MasterKey, "sk-") {
		return &Error{Field: "general_settings.master_key", Message: "must start with sk- (as LiteLLM requires)"}
	}
	return nil
}

// BatchModels returns the bedrock/ deployments batchgate serves.
func (c *Config) BatchModels() []Model {
	var out []Model
	for _, m := range c.ModelList {
		if strings.HasPrefix(m.LiteLLMParams.Model, "bedrock/") {
			out = append(out, m)
		}
	}
	return out
}

// Marshal renders the config as YAML (used to write the embedded default's config).
func Marshal(c *Config) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
