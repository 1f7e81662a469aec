// Package bedrockmodel reads Bedrock model ids as a LiteLLM config writes
// them, in one place: config (the id sent to Bedrock, the route), translate
// (the model family), cost (the price) and deploy (where batch jobs can run)
// all see the same model. It also holds AWS's table of which models can run
// batch jobs in which regions (see BatchSupport).
package bedrockmodel

import "strings"

// Kind is what a model id names.
type Kind int

const (
	// Foundation is a foundation model, by id or foundation-model ARN.
	Foundation Kind = iota
	// SystemProfile is a cross-region (system-defined) inference profile: an
	// id with a geography prefix (us.anthropic…) or an inference-profile ARN.
	SystemProfile
	// ApplicationProfile is an application inference profile ARN; the model
	// behind it can't be known from the id (model_info.base_model tells).
	ApplicationProfile
	// Custom is a custom or imported model ARN.
	Custom
	// Provisioned is a provisioned model (Provisioned Throughput) ARN.
	Provisioned
	// Other is an ARN of a kind not listed above.
	Other
)

func (k Kind) String() string {
	switch k {
	case Foundation:
		return "foundation model"
	case SystemProfile:
		return "cross-region inference profile"
	case ApplicationProfile:
		return "application inference profile"
	case Custom:
		return "custom model"
	case Provisioned:
		return "provisioned model"
	}
	return "unknown model ARN"
}

// ID is a parsed model id.
type ID struct {
	// Route is LiteLLM's route: "converse", "invoke", or "" for none.
	Route string
	// ModelID is the id sent to Bedrock: the input without "bedrock/" and
	// the route, as written otherwise (Bedrock ids are case-sensitive).
	ModelID string
	// Foundation is the foundation model id, lower-cased, without a
	// geography prefix, e.g. "anthropic.claude-3-5-haiku-20241022-v1:0";
	// "" when the id does not tell (application profiles, custom and
	// provisioned models).
	Foundation string
	// Geography is a cross-region profile's prefix without its dot ("us",
	// "eu", "apac", "jp", "au", "ca", "us-gov", "global"), else "".
	Geography string
	// Region is an ARN's region, else "".
	Region string
	// Kind is what the id names.
	Kind Kind
	// ARN reports whether the id is an ARN.
	ARN bool
}

// Geographies are the cross-region inference profile prefixes, longest
// first where one is a prefix of another.
var Geographies = []string{"us-gov", "us", "eu", "apac", "jp", "au", "ca", "global"}

// Parse reads a model id: "bedrock/[converse/|invoke/]" followed by a
// foundation model id, a cross-region profile id or a Bedrock ARN. Each
// part is optional; surrounding spaces are ignored.
func Parse(s string) ID {
	s = strings.TrimSpace(s)
	if len(s) >= len("bedrock/") && strings.EqualFold(s[:len("bedrock/")], "bedrock/") {
		s = s[len("bedrock/"):]
	}
	var id ID
	for _, r := range []string{"converse", "invoke"} {
		if len(s) > len(r) && s[len(r)] == '/' && strings.EqualFold(s[:len(r)], r) {
			id.Route, s = r, s[len(r)+1:]
			break
		}
	}
	id.ModelID = s
	lower := strings.ToLower(s)
	if strings.HasPrefix(lower, "arn:") {
		id.ARN = true
		// arn:PARTITION:bedrock:REGION:ACCOUNT:TYPE/ID; ids contain ':' too.
		parts := strings.SplitN(lower, ":", 6)
		if len(parts) < 6 {
			id.Kind = Other
			return id
		}
		id.Region = parts[3]
		typ, rest, _ := strings.Cut(parts[5], "/")
		switch typ {
		case "foundation-model":
			id.Kind = Foundation
		case "inference-profile", "system-defined-inference-profile":
			id.Kind = SystemProfile
		case "application-inference-profile":
			id.Kind = ApplicationProfile
			return id
		case "custom-model", "imported-model":
			id.Kind = Custom
			return id
		case "provisioned-model":
			id.Kind = Provisioned
			return id
		default:
			id.Kind = Other
			return id
		}
		lower = rest
	}
	id.Geography, id.Foundation = splitGeography(lower)
	if id.Geography != "" {
		id.Kind = SystemProfile
	}
	return id
}

// splitGeography cuts a cross-region profile's geography off a lower-cased id.
func splitGeography(s string) (geo, rest string) {
	for _, g := range Geographies {
		if r, ok := strings.CutPrefix(s, g+"."); ok && strings.Contains(r, ".") {
			return g, r
		}
	}
	return "", s
}

// Base is the foundation model of a deployment: that of baseModel
// (model_info.base_model, for ids that don't name one) when it names one,
// else that of modelID; "" when neither does.
func Base(modelID, baseModel string) string {
	if f := Parse(baseModel).Foundation; f != "" {
		return f
	}
	return Parse(modelID).Foundation
}
