package bedrocksim

import (
	"slices"
	"strings"
)

// Which models run batch jobs in which regions.
//
// Source: "Supported Regions and models for batch inference",
// https://docs.aws.amazon.com/bedrock/latest/userguide/batch-inference-supported.html,
// as stored copies of the page read on 2026-12-05. Only the page's first rows
// (Amazon Nova) could be read in full; they are the table below. The rest of
// the page could not be read, so the models it lists further down (Anthropic,
// Meta, Mistral, OpenAI, Qwen, DeepSeek, Titan embeddings, ...) are not
// checked: a model missing here runs in any region. A 2025 third-party copy
// of the page showed, for instance, Claude 3.5 Sonnet v2 and Mistral Large
// (24.07) as foundation models in us-west-2 only, but the page has changed
// since (Nova has gained regions), so those rows are not enforced.
var batchRegions = map[string]batchSupport{
	"amazon.nova-lite-v1:0":    novaBatch,
	"amazon.nova-micro-v1:0":   novaBatch,
	"amazon.nova-pro-v1:0":     novaBatch,
	"amazon.nova-premier-v1:0": {profile: []string{"us-east-1", "us-east-2", "us-west-2"}},
}

var novaBatch = batchSupport{
	foundation: []string{"us-east-1", "us-gov-west-1"},
	profile: []string{"us-east-1", "us-east-2", "us-west-2", "ap-northeast-1", "ap-northeast-2", "ap-south-1",
		"ap-southeast-1", "ap-southeast-2", "eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3"},
}

// batchSupport is one row of the page: the regions where a job may name the
// foundation model itself, and those where it may name a cross-region
// inference profile of it. A model with no foundation regions runs only
// through an inference profile.
type batchSupport struct {
	foundation, profile []string
}

// profileGeographies are the source regions of the geographic cross-region
// inference profiles: a us. profile is called from a US region, and so on.
// Profiles of other prefixes (global., jp., au., ca.) are not checked.
var profileGeographies = map[string]func(region string) bool{
	"us":     func(r string) bool { return strings.HasPrefix(r, "us-") && !strings.HasPrefix(r, "us-gov-") },
	"us-gov": func(r string) bool { return strings.HasPrefix(r, "us-gov-") },
	"eu":     func(r string) bool { return strings.HasPrefix(r, "eu-") },
	"apac":   func(r string) bool { return strings.HasPrefix(r, "ap-") },
}

// checkBatchRegion refuses a model a batch job cannot use in region: a
// foundation model that runs only through an inference profile, a model or
// profile outside its regions, a geographic profile called from another
// geography. id is the model id as given at create (an id or ARN).
func checkBatchRegion(id string, m model, region string) *apiError {
	name := id
	if i := strings.LastIndexByte(id, '/'); strings.HasPrefix(id, "arn:") && i >= 0 {
		name = id[i+1:]
	}
	notSupported := errorf(ValidationException, "The model %s is not supported for batch inference in %s.", name, region)
	geo, _, _ := strings.Cut(name, ".")
	inGeo, isProfile := profileGeographies[geo]
	if !isProfile && slices.Contains(geoPrefixes, geo) {
		isProfile, inGeo = true, func(string) bool { return true }
	}
	if isProfile && !inGeo(region) {
		return notSupported
	}
	row, ok := batchRegions[m.base]
	switch {
	case !ok:
		return nil
	case isProfile:
		if !slices.Contains(row.profile, region) {
			return notSupported
		}
	case len(row.foundation) == 0:
		// Bedrock's wording for a model that needs an inference profile.
		return errorf(ValidationException, "Invocation of model ID %s with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model.", name)
	case !slices.Contains(row.foundation, region):
		return notSupported
	}
	return nil
}
