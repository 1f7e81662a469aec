package bedrockmodel

import (
	"fmt"
	"slices"
	"strings"
)

// Which models can run Bedrock batch inference jobs in which regions.
//
// Source: AWS, "Supported Regions and models for batch inference",
// https://docs.aws.amazon.com/bedrock/latest/userguide/batch-inference-supported.html,
// read on 2026-12-05 from stored copies of the page (English, and the
// Japanese, Korean and Chinese translations, whose region codes are the
// English page's). Only the beginning of the page's table could be read:
//
//   - Verified in full: Nova Lite, Nova Micro, Nova Pro, Nova Premier and
//     Titan Multimodal Embeddings G1 (the page's "foundation model",
//     "inference profile" and "custom model" region columns), and, from a
//     newer version of the page that has a model id column, Nova 2
//     Multimodal Embeddings (us-east-1 only, no profile).
//   - Verified in part: Titan Text Embeddings V2 (the first regions of its
//     foundation-model column) and Nova 2 Lite (no foundation-model
//     support; the first regions of its profile column). A region beyond
//     the part read is not known either way.
//   - Not read from this page: every other model. For Claude 3.7 Sonnet,
//     Sonnet 4, Sonnet 4.5, Haiku 4.5 and Opus 4.5 the rows below record
//     only that batch inference needs an inference profile, as AWS's
//     "Model support by feature" page
//     (https://docs.aws.amazon.com/bedrock/latest/userguide/models-features.html,
//     a copy dated 2026-01-25) says: "Batch inference" is No for the
//     single-region foundation model and Yes for the cross-region profile.
//   - Provisioned models: "Batch inference isn't supported for provisioned
//     models" (AWS, batch-inference.html).
//
// Models not in the table are Unlisted: batchgate warns and lets Bedrock
// decide. The emulator (bedrocksim) keeps its own, independent table.

// regions is one column of a row: the regions listed, and whether the list
// is the whole column (a region not in a complete list is not supported).
type regions struct {
	list     []string
	complete bool
}

func all(r ...string) regions     { return regions{list: r, complete: true} }
func partial(r ...string) regions { return regions{list: r} }

var (
	none    = regions{complete: true} // the page says N/A
	unknown = regions{}               // not read
)

// has reports whether region is listed, and whether the answer is known.
func (r regions) has(region string) (yes, known bool) {
	if slices.Contains(r.list, region) {
		return true, true
	}
	return false, r.complete
}

func (r regions) String() string { return strings.Join(r.list, ", ") }

type batchRow struct {
	name                        string // AWS's name for the model
	foundation, profile, custom regions
}

// novaV1Profile is the inference-profile column of Nova Lite, Micro and Pro.
var novaV1Profile = all("us-east-1", "us-east-2", "us-west-2", "ap-northeast-1", "ap-northeast-2", "ap-south-1",
	"ap-southeast-1", "ap-southeast-2", "eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3")

// profileOnly: batch jobs need a cross-region inference profile (regions not read).
var profileOnly = batchRow{foundation: none, profile: unknown, custom: unknown}

func named(name string, r batchRow) batchRow { r.name = name; return r }

// batchTable is keyed by foundation model id (see ID.Foundation).
var batchTable = map[string]batchRow{
	"amazon.nova-lite-v1:0":    {name: "Amazon Nova Lite", foundation: all("us-east-1", "us-gov-west-1"), profile: novaV1Profile, custom: none},
	"amazon.nova-micro-v1:0":   {name: "Amazon Nova Micro", foundation: all("us-east-1", "us-gov-west-1"), profile: novaV1Profile, custom: none},
	"amazon.nova-pro-v1:0":     {name: "Amazon Nova Pro", foundation: all("us-east-1", "us-gov-west-1"), profile: novaV1Profile, custom: none},
	"amazon.nova-premier-v1:0": {name: "Amazon Nova Premier", foundation: none, profile: all("us-east-1", "us-east-2", "us-west-2"), custom: none},
	"amazon.titan-embed-image-v1": {name: "Amazon Titan Multimodal Embeddings G1",
		foundation: all("us-east-1", "us-west-2", "ap-northeast-2", "ap-south-1", "ap-southeast-2", "ca-central-1",
			"eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1"),
		profile: none, custom: all("us-east-1", "us-west-2")},
	"amazon.titan-embed-text-v2:0": {name: "Amazon Titan Text Embeddings V2",
		foundation: partial("us-east-1", "us-west-2", "ap-northeast-1", "ap-northeast-2", "ca-central-1"), profile: unknown, custom: unknown},
	"amazon.nova-2-multimodal-embeddings-v1:0": {name: "Amazon Nova 2 Multimodal Embeddings", foundation: all("us-east-1"), profile: none, custom: unknown},
	"amazon.nova-2-lite-v1:0": {name: "Amazon Nova 2 Lite", foundation: none,
		profile: partial("ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1"), custom: unknown},

	"anthropic.claude-3-7-sonnet-20250219-v1:0": named("Claude 3.7 Sonnet", profileOnly),
	"anthropic.claude-sonnet-4-20250514-v1:0":   named("Claude Sonnet 4", profileOnly),
	"anthropic.claude-sonnet-4-5-20250929-v1:0": named("Claude Sonnet 4.5", profileOnly),
	"anthropic.claude-haiku-4-5-20251001-v1:0":  named("Claude Haiku 4.5", profileOnly),
	"anthropic.claude-opus-4-5-20251101-v1:0":   named("Claude Opus 4.5", profileOnly),
}

// Verdict is BatchSupport's answer.
type Verdict int

const (
	// Unlisted: the table does not say; Bedrock decides when a job is created.
	Unlisted Verdict = iota
	// Supported: AWS lists the model for batch inference in the region.
	Supported
	// Unsupported: AWS's table rules it out (wrong region, or the model
	// needs, or cannot use, an inference profile).
	Unsupported
)

func (v Verdict) String() string {
	switch v {
	case Supported:
		return "supported"
	case Unsupported:
		return "unsupported"
	}
	return "unlisted"
}

// BatchSupport says whether a deployment's model can run Bedrock batch
// jobs in region, by AWS's table above. modelID is the deployment's model
// (litellm_params.model, with or without "bedrock/" and a route), baseModel
// its model_info.base_model ("" when unset), region the region its jobs run
// in ("" for the ARN's region). The message says why, naming the model and
// the region, and what to use instead when the table knows.
func BatchSupport(modelID, baseModel, region string) (Verdict, string) {
	id := Parse(modelID)
	region = strings.ToLower(strings.TrimSpace(region))
	if region == "" {
		region = id.Region
	}
	shown := id.ModelID
	switch id.Kind {
	case Provisioned:
		return Unsupported, fmt.Sprintf("%s is a provisioned model: Bedrock batch inference does not run provisioned models; use the foundation model id or an inference profile id", shown)
	case Other:
		return Unlisted, fmt.Sprintf("%s is not a Bedrock model ARN batchgate knows; Bedrock decides whether it can run batch jobs", shown)
	}
	base := Base(modelID, baseModel)
	row, ok := batchTable[base]
	if !ok {
		what := shown
		if base != "" && base != strings.ToLower(shown) {
			what = fmt.Sprintf("%s (%s)", shown, base)
		}
		return Unlisted, fmt.Sprintf("%s is not in batchgate's table of models that can run Bedrock batch jobs (%s); Bedrock decides whether it can in %s", what, SourceURL, orUnknown(region))
	}
	if region == "" {
		if id.Kind == Foundation && row.foundation.complete && len(row.foundation.list) == 0 {
			return Unsupported, fmt.Sprintf("%s (%s) can run batch jobs only through a cross-region inference profile: use its inference profile id, e.g. us.%s", shown, row.name, base)
		}
		return Unlisted, fmt.Sprintf("no region is known for %s: batchgate cannot check where it can run batch jobs", shown)
	}
	switch id.Kind {
	case Foundation:
		return foundationVerdict(shown, base, region, row)
	case SystemProfile:
		yes, known := row.profile.has(region)
		switch {
		case yes:
			return Supported, fmt.Sprintf("%s can run batch jobs in %s (%s through an inference profile)", shown, region, row.name)
		case !known:
			return Unlisted, notKnown(shown, row, region)
		case len(row.profile.list) == 0:
			msg := fmt.Sprintf("%s cannot run batch jobs in %s: %s runs batch jobs without an inference profile only", shown, region, row.name)
			if fy, _ := row.foundation.has(region); fy {
				msg += "; use the foundation model id " + base
			}
			return Unsupported, msg
		}
		msg := fmt.Sprintf("%s cannot run batch jobs in %s: AWS lists %s through an inference profile in %s only", shown, region, row.name, row.profile)
		if fy, _ := row.foundation.has(region); fy {
			msg += "; in " + region + " use the foundation model id " + base
		}
		return Unsupported, msg
	case Custom:
		yes, known := row.custom.has(region)
		switch {
		case yes:
			return Supported, fmt.Sprintf("%s can run batch jobs in %s (a custom %s)", shown, region, row.name)
		case known:
			return Unsupported, fmt.Sprintf("%s cannot run batch jobs in %s: AWS lists custom %s models for batch inference in %s", shown, region, row.name, orNone(row.custom))
		}
		return Unlisted, notKnown(shown, row, region)
	}
	// An application inference profile copies a foundation model or a
	// cross-region profile: either may be behind it.
	fy, fk := row.foundation.has(region)
	py, pk := row.profile.has(region)
	switch {
	case fy || py:
		return Supported, fmt.Sprintf("%s can run batch jobs in %s (%s)", shown, region, row.name)
	case fk && pk:
		return Unsupported, fmt.Sprintf("%s cannot run batch jobs in %s: AWS lists %s for batch inference in no form there", shown, region, row.name)
	}
	return Unlisted, notKnown(shown, row, region)
}

func foundationVerdict(shown, base, region string, row batchRow) (Verdict, string) {
	yes, known := row.foundation.has(region)
	switch {
	case yes:
		return Supported, fmt.Sprintf("%s can run batch jobs in %s (%s)", shown, region, row.name)
	case !known:
		return Unlisted, notKnown(shown, row, region)
	}
	profileID := geographyFor(region) + "." + base
	py, pk := row.profile.has(region)
	if len(row.foundation.list) == 0 {
		msg := fmt.Sprintf("%s cannot run batch jobs in %s: %s runs batch jobs only through a cross-region inference profile", shown, region, row.name)
		if pk && !py {
			return Unsupported, msg + ", which AWS lists for batch inference in " + orNone(row.profile) + " only"
		}
		return Unsupported, msg + "; use the inference profile id " + profileID
	}
	msg := fmt.Sprintf("%s cannot run batch jobs in %s: AWS lists %s as a foundation model for batch inference in %s only", shown, region, row.name, row.foundation)
	if py {
		msg += "; in " + region + " use the inference profile id " + profileID
	}
	return Unsupported, msg
}

func notKnown(shown string, row batchRow, region string) string {
	return fmt.Sprintf("batchgate's copy of AWS's batch inference table does not say whether %s (%s) can run batch jobs in %s; Bedrock decides", shown, row.name, region)
}

// geographyFor is the cross-region profile prefix of a region's geography.
func geographyFor(region string) string {
	switch {
	case strings.HasPrefix(region, "us-gov-"):
		return "us-gov"
	case strings.HasPrefix(region, "eu-"):
		return "eu"
	case strings.HasPrefix(region, "ap-"):
		return "apac"
	}
	return "us"
}

func orNone(r regions) string {
	if len(r.list) == 0 {
		return "no region"
	}
	return r.String()
}

func orUnknown(region string) string {
	if region == "" {
		return "its region"
	}
	return region
}

// SourceURL is the AWS page the batch table was read from.
const SourceURL = "https://docs.aws.amazon.com/bedrock/latest/userguide/batch-inference-supported.html"
