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
	"github.com/batchgate/batchgate/internal/translate"
)

// Config is the whole file.
type Config struct {
	ModelList       []Model         `yaml:"model_list"`
	GeneralSettings GeneralSettings `yaml:"general_settings"`
	// BatchgateSettings is batchgate's own section: metrics and webhooks.
	BatchgateSettings BatchgateSettings `yaml:"batchgate_settings,omitempty"`

	// EnvironmentVariables is LiteLLM's environment_variables section,
	// resolved: serve sets them in the process environment, as LiteLLM's
	// proxy does, and they were applied before os.environ/ references.
	EnvironmentVariables map[string]string `yaml:"-"`

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

	// realtime marks an entry left out because it cannot serve batches
	// (another provider, or a bedrock/ model without batch settings).
	realtime bool
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

	// The key prefixes split off s3_bucket_name and s3_output_bucket_name
	// ("bucket/prefix", newer LiteLLM) by Parse: "" or "prefix/".
	S3KeyPrefix       string `yaml:"-"`
	S3OutputKeyPrefix string `yaml:"-"`
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

// JobRegion is where the deployment's batch jobs run, for the batch table:
// aws_region_name, else the model ARN's region, else client, the Bedrock
// client's (s3_region_name, AWS_REGION, the profile's, us-east-1).
func (p LiteLLMParams) JobRegion(client string) string {
	if p.AWSRegionName != "" {
		return p.AWSRegionName
	}
	if r := bedrockmodel.Parse(p.Model).Region; r != "" {
		return r
	}
	return client
}

// KeyPrefix is where batchgate's objects go in the input bucket: "" or
// "prefix/" (s3_bucket_name "bucket/prefix").
func (p LiteLLMParams) KeyPrefix() string { return p.S3KeyPrefix }

// OutputKeyPrefix is where the jobs' output goes in OutputBucket: the
// prefix of s3_output_bucket_name when set, else KeyPrefix.
func (p LiteLLMParams) OutputKeyPrefix() string {
	if p.S3OutputBucketName != "" {
		return p.S3OutputKeyPrefix
	}
	return p.S3KeyPrefix
}

// splitBucket splits LiteLLM's "bucket/prefix" as its
// split_configured_cloud_bucket_name does: no scheme, query or control
// characters; the prefix loses its outer slashes and may hold no empty,
// "." or ".." segment. The prefix is returned with a trailing "/".
func splitBucket(v string) (bucket, prefix, problem string) {
	v = strings.TrimSpace(v)
	if strings.Contains(v, "://") || strings.ContainsAny(v, "?#") {
		return "", "", "must be a bucket name, or bucket/prefix, without a URI scheme or query"
	}
	for _, r := range v {
		if r < 32 || r == 127 {
			return "", "", "contains control characters"
		}
	}
	bucket, prefix, _ = strings.Cut(v, "/")
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return bucket, "", ""
	}
	for _, seg := range strings.Split(prefix, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", "", fmt.Sprintf("prefix %q has an empty, \".\" or \"..\" segment", prefix)
		}
	}
	return bucket, prefix + "/", ""
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
	vars := environmentVariables(root.Content[0], getenv)
	if len(vars) > 0 {
		// Set before anything else is resolved, and winning over the
		// process's environment (LiteLLM sets os.environ from them).
		outer := getenv
		getenv = func(k string) string {
			if v, ok := vars[k]; ok {
				return v
			}
			return outer(k)
		}
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
	cfg.EnvironmentVariables = vars
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

// environmentVariables reads LiteLLM's environment_variables section as its
// proxy applies it (ProxyConfig._load_environment_variables): a value
// "os.environ/NAME" takes NAME's value and sets nothing when NAME is unset;
// any other scalar is set as written.
func environmentVariables(root *yaml.Node, getenv func(string) string) map[string]string {
	var sec *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "environment_variables" {
			sec = root.Content[i+1]
		}
	}
	if sec == nil || sec.Kind != yaml.MappingNode {
		return nil
	}
	vars := map[string]string{}
	for i := 0; i+1 < len(sec.Content); i += 2 {
		k, v := sec.Content[i].Value, sec.Content[i+1]
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			continue
		}
		if name, ok := strings.CutPrefix(v.Value, "os.environ/"); ok {
			if val := getenv(name); val != "" {
				vars[k] = val
			}
			continue
		}
		vars[k] = v.Value
	}
	return vars
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
		} else if k != "model_list" && k != "general_settings" && k != "batchgate_settings" && k != "environment_variables" {
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
	seen := map[string]Model{}  // model_name -> its first deployment
	ids := map[[2]string]bool{} // {model_name, model_info.id} of the deployments so far
	batch := 0
	var skipped error // why the first bedrock/ model left out cannot serve batches
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
		declared := m.ModelInfo.Mode == "batch"
		if !strings.HasPrefix(p.Model, "bedrock/") {
			if declared {
				return &Error{Field: lp + ".model", Message: fmt.Sprintf("%q is mode: batch, but batchgate runs batches on Bedrock only (bedrock/<model id>)", p.Model)}
			}
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s.model %q (%s) is not a bedrock/ model: not served for batches", lp, p.Model, m.ModelName))
			c.ModelList[i].realtime = true
			continue
		}
		if !declared && (p.S3BucketName == "" || p.AWSBatchRoleARN == "") {
			// A real-time Bedrock model of a LiteLLM config: no batch settings.
			if skipped == nil {
				if skipped = req(lp+".s3_bucket_name", p.S3BucketName); skipped != nil {
					skipped.(*Error).Message += " (or set AWS_S3_BUCKET_NAME)"
				} else {
					skipped = req(lp+".aws_batch_role_arn", p.AWSBatchRoleARN)
					skipped.(*Error).Message += " (or set AWS_BATCH_ROLE_ARN): Bedrock batch jobs run with this IAM role"
				}
			}
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s.model %q (%s) has no s3_bucket_name or aws_batch_role_arn: not served for batches", lp, p.Model, m.ModelName))
			c.ModelList[i].realtime = true
			continue
		}
		if m.ModelInfo.Mode != "" && !declared {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s.model_info.mode is %q: batchgate serves it for batches anyway", at, m.ModelInfo.Mode))
		}
		batch++
		// A model_name listed again is another deployment of its group (as
		// in LiteLLM). A group's files are translated once, for its first
		// deployment: the others must take the same requests.
		if id := m.ModelInfo.ID; id != "" {
			if ids[[2]string{m.ModelName, id}] {
				return &Error{Field: at + ".model_info.id", Message: fmt.Sprintf("%q is the id of an earlier deployment of %q: each deployment of a group needs its own", id, m.ModelName)}
			}
			ids[[2]string{m.ModelName, id}] = true
		}
		if first, ok := seen[m.ModelName]; ok {
			if err := sameTranslation(first, m); err != "" {
				return &Error{Field: at + ".litellm_params.model", Message: err + ": the deployments of one model_name must share a model family and invocation type (give this one another model_name)"}
			}
		} else {
			seen[m.ModelName] = m
		}
		if p.BedrockModelID() == "" {
			return &Error{Field: lp + ".model", Message: "names no Bedrock model id after bedrock/"}
		}
		if err := req(lp+".s3_bucket_name", p.S3BucketName); err != nil {
			err.(*Error).Message += " (or set AWS_S3_BUCKET_NAME)"
			return err
		}
		for _, b := range []struct {
			field          string
			bucket, prefix *string
		}{{"s3_bucket_name", &c.ModelList[i].LiteLLMParams.S3BucketName, &c.ModelList[i].LiteLLMParams.S3KeyPrefix},
			{"s3_output_bucket_name", &c.ModelList[i].LiteLLMParams.S3OutputBucketName, &c.ModelList[i].LiteLLMParams.S3OutputKeyPrefix}} {
			if *b.bucket == "" {
				continue
			}
			bucket, prefix, problem := splitBucket(*b.bucket)
			if problem != "" {
				return &Error{Field: lp + "." + b.field, Message: fmt.Sprintf("%q %s", *b.bucket, problem)}
			}
			if !bucketName.MatchString(bucket) {
				return &Error{Field: lp + "." + b.field, Message: fmt.Sprintf("%q is not a valid S3 bucket name (or bucket/prefix)", *b.bucket)}
			}
			*b.bucket, *b.prefix = bucket, prefix
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
	if batch == 0 && skipped != nil {
		// Only bedrock/ models, none with its batch settings: the admin
		// meant batches, name what is missing.
		return skipped
	}
	if batch == 0 {
		return &Error{Field: "model_list", Message: "has no bedrock/ model batchgate can serve for batches: add an entry with litellm_params.model: bedrock/<model id>, s3_bucket_name and aws_batch_role_arn (model_info.mode: batch)"}
	}
	if c.GeneralSettings.MaxBatchFileSizeMB < 0 {
		return &Error{Field: "general_settings.max_batch_file_size_mb", Message: "must not be negative"}
	}
	if c.GeneralSettings.MasterKey != "" && !strings.HasPrefix(c.GeneralSettings.MasterKey, "sk-") {
		return &Error{Field: "general_settings.master_key", Message: "must start with sk- (as LiteLLM requires)"}
	}
	return nil
}

// sameTranslation says how m's requests differ from those of first, the
// first deployment of its group: another model family or invocation type
// ("" when they do not).
func sameTranslation(first, m Model) string {
	family := func(m Model) translate.Family {
		return translate.FamilyOf(bedrockmodel.Base(m.LiteLLMParams.Model, m.ModelInfo.BaseModel))
	}
	if f, g := family(first), family(m); f != g {
		return fmt.Sprintf("%q is of the %s family, the first deployment of %q of the %s family", m.LiteLLMParams.Model, g, m.ModelName, f)
	}
	if a, b := first.LiteLLMParams.Invocation(), m.LiteLLMParams.Invocation(); a != b {
		return fmt.Sprintf("%q runs with invocation type %s, the first deployment of %q with %s", m.LiteLLMParams.Model, orDefault(b), m.ModelName, orDefault(a))
	}
	return ""
}

func orDefault(inv string) string {
	if inv == "" {
		return "InvokeModel"
	}
	return inv
}

// BatchModels returns the bedrock/ deployments batchgate serves: not the
// real-time entries of a LiteLLM config (see Warnings).
func (c *Config) BatchModels() []Model {
	var out []Model
	for _, m := range c.ModelList {
		if strings.HasPrefix(m.LiteLLMParams.Model, "bedrock/") && !m.realtime {
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
