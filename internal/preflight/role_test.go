package preflight

import (
	"net/url"
	"strings"
	"testing"
)

// TestTrustPolicy: the shapes IAM trust policies come in, and the
// confused-deputy conditions AWS recommends for Bedrock's role.
func TestTrustPolicy(t *testing.T) {
	const job = "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/preflight"
	for _, tc := range []struct {
		name, doc string
		want      string // substring of the problem; "" for none
	}{
		{"ServiceString", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, ""},
		{"ServiceList", `{"Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","bedrock.amazonaws.com"]},"Action":["sts:AssumeRole"]}]}`, ""},
		{"OneStatementObject", `{"Statement":{"Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"sts:*"}}`, ""},
		{"AnyPrincipal", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`, ""},
		{"URLEncoded", url.QueryEscape(`{"Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"sts:AssumeRole"}]}`), ""},
		{"OnlyEC2", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
			"role r trusts ec2.amazonaws.com but not bedrock.amazonaws.com: add bedrock.amazonaws.com"},
		{"Deny", `{"Statement":[{"Effect":"Deny","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
			"lets no AWS service assume it"},
		{"OtherAction", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"sts:TagSession"}]}`,
			"lets no AWS service assume it"},
		{"AccountPrincipalOnly", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`,
			"lets no AWS service assume it"},
		{"SourceAccountMatches", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"sts:AssumeRole",
			"Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"},"ArnEquals":{"aws:SourceArn":"arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/*"}}}]}`, ""},
		{"SourceArnWildcardRegion", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"sts:AssumeRole",
			"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:bedrock:*:123456789012:*"}}}]}`, ""},
		{"SourceAccountOther", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"sts:AssumeRole",
			"Condition":{"StringEquals":{"aws:SourceAccount":"999999999999"}}}]}`,
			"only under a condition a job here does not meet (StringEquals aws:SourceAccount [999999999999], but a job here has 123456789012)"},
		{"SourceArnOtherRegion", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"sts:AssumeRole",
			"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:bedrock:eu-west-1:123456789012:model-invocation-job/*"}}}]}`,
			"but a job here has " + job},
		{"OtherConditionsIgnored", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"sts:AssumeRole",
			"Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := decodePolicy(tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			got := trustProblem(doc, "r", "123456789012", job)
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("problem %q, want %q", got, tc.want)
			}
		})
	}
}
