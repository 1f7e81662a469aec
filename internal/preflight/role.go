package preflight

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// BedrockService is the principal Bedrock batch jobs assume their role as.
const BedrockService = "bedrock.amazonaws.com"

// Role checks the deployment's aws_batch_role_arn: it must be in the
// account of the credentials that create the jobs (iam:PassRole passes only
// a role of one's own account), and its trust policy must let Bedrock
// assume it.
func Role(ctx context.Context, t *Target) []Result {
	roleARN := t.Model.LiteLLMParams.AWSBatchRoleARN
	a, err := arn.Parse(roleARN)
	if err != nil || !strings.HasPrefix(a.Resource, "role/") {
		return []Result{t.result(Fail, "role "+roleARN, "litellm_params.aws_batch_role_arn is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")}
	}
	name := a.Resource[strings.LastIndex(a.Resource, "/")+1:]
	var out []Result

	what := fmt.Sprintf("role %s is in the credentials' account", name)
	id, err := t.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	account := ""
	switch {
	case err != nil:
		detail := credentialsProblem(err)
		if detail == "" {
			detail = "STS GetCallerIdentity: " + errText(err)
		}
		out = append(out, t.result(Fail, what, detail))
	case a.AccountID == "":
		account = aws.ToString(id.Account)
		out = append(out, t.result(Fail, what, fmt.Sprintf("role ARN %s names no account: write it as arn:%s:iam::%s:role/%s", roleARN, a.Partition, account, name)))
	case a.AccountID != aws.ToString(id.Account):
		account = aws.ToString(id.Account)
		out = append(out, t.result(Fail, what, fmt.Sprintf("role %s is in account %s, but the credentials (%s) are account %s, which can pass only its own roles to Bedrock (iam:PassRole): use a role in account %s",
			roleARN, a.AccountID, aws.ToString(id.Arn), account, account)))
		// GetRole reads roles of the caller's account only: the trust
		// policy of this one cannot be checked from here.
		return out
	default:
		account = a.AccountID
		out = append(out, t.result(OK, what+" "+account, ""))
	}

	what = fmt.Sprintf("role %s trusts %s", name, BedrockService)
	role, err := t.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		code, status := errCode(err)
		switch {
		case code == "NoSuchEntity":
			out = append(out, t.result(Fail, what, fmt.Sprintf("role %s does not exist: create it with a trust policy that lets %s assume it, or fix litellm_params.aws_batch_role_arn", roleARN, BedrockService)))
		case code == "AccessDenied" || status == 403:
			// Reading roles is not something the gateway needs: say so
			// rather than fail.
			out = append(out, t.result(Warn, what, fmt.Sprintf("cannot read role %s (%s): grant iam:GetRole to check its trust policy here, or check by hand that it lets %s assume it", name, errText(err), BedrockService)))
		default:
			detail := credentialsProblem(err)
			if detail == "" {
				detail = "IAM GetRole: " + errText(err)
			}
			out = append(out, t.result(Warn, what, detail))
		}
		return out
	}
	doc, err := decodePolicy(aws.ToString(role.Role.AssumeRolePolicyDocument))
	if err != nil {
		return append(out, t.result(Warn, what, fmt.Sprintf("cannot read role %s's trust policy: %v", name, err)))
	}
	jobARN := fmt.Sprintf("arn:%s:bedrock:%s:%s:model-invocation-job/preflight", a.Partition, t.jobRegion(), account)
	if problem := trustProblem(doc, name, account, jobARN); problem != "" {
		return append(out, t.result(Fail, what, problem))
	}
	return append(out, t.result(OK, what, ""))
}

// policy is an IAM policy document, as far as trust is concerned. Most of
// its members may be a string or a list.
type policy struct {
	Statement many[statement]
}

type statement struct {
	Effect    string
	Principal principal
	Action    many[string]
	Condition map[string]map[string]many[string]
}

// principal is "*" or {"Service": ..., "AWS": ..., "Federated": ...}.
type principal struct {
	Any      bool
	Services []string
}

func (p *principal) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		p.Any = s == "*"
		return nil
	}
	var m map[string]many[string]
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	p.Services = m["Service"]
	return nil
}

// many is a JSON value that is one T or a list of them.
type many[T any] []T

func (m *many[T]) UnmarshalJSON(b []byte) error {
	var one T
	if json.Unmarshal(b, &one) == nil {
		*m = many[T]{one}
		return nil
	}
	var list []T
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*m = list
	return nil
}

// decodePolicy reads an AssumeRolePolicyDocument, which IAM returns
// URL-encoded.
func decodePolicy(raw string) (*policy, error) {
	s := strings.TrimSpace(raw)
	if !strings.HasPrefix(s, "{") {
		dec, err := url.QueryUnescape(s)
		if err != nil {
			return nil, err
		}
		s = dec
	}
	var p policy
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// trustProblem returns "" when the trust policy lets Bedrock assume the
// role for a job of this account and region, and otherwise what is wrong
// and the fix.
func trustProblem(doc *policy, name, account, jobARN string) string {
	others := map[string]bool{}
	conditionProblem := ""
	for _, st := range doc.Statement {
		if !strings.EqualFold(st.Effect, "Allow") || !assumes(st.Action) {
			continue
		}
		services := st.Principal.Services
		if st.Principal.Any {
			services = []string{BedrockService}
		}
		if !slices.ContainsFunc(services, func(s string) bool { return strings.EqualFold(s, BedrockService) }) {
			for _, s := range services {
				others[s] = true
			}
			continue
		}
		if p := conditionMismatch(st.Condition, account, jobARN); p != "" {
			conditionProblem = p
			continue
		}
		return ""
	}
	if conditionProblem != "" {
		return fmt.Sprintf("role %s trusts %s only under a condition a job here does not meet (%s): fix the condition in its trust policy", name, BedrockService, conditionProblem)
	}
	fix := fmt.Sprintf("add %s (Effect Allow, Action sts:AssumeRole) to its trust policy", BedrockService)
	if len(others) == 0 {
		return fmt.Sprintf("role %s's trust policy lets no AWS service assume it: %s", name, fix)
	}
	list := make([]string, 0, len(others))
	for s := range others {
		list = append(list, s)
	}
	sort.Strings(list)
	return fmt.Sprintf("role %s trusts %s but not %s: %s", name, strings.Join(list, ", "), BedrockService, fix)
}

// assumes reports whether the actions include sts:AssumeRole.
func assumes(actions []string) bool {
	for _, a := range actions {
		if glob(a).MatchString("sts:assumerole") {
			return true
		}
	}
	return false
}

// conditionMismatch checks the confused-deputy conditions AWS recommends
// for Bedrock's role (aws:SourceAccount, aws:SourceArn) against a job of
// this account and region. Other conditions are not judged.
func conditionMismatch(cond map[string]map[string]many[string], account, jobARN string) string {
	for op, keys := range cond {
		if _, rest, ok := strings.Cut(op, ":"); ok { // ForAnyValue:, ForAllValues:
			op = rest
		}
		op = strings.TrimSuffix(op, "IfExists")
		for key, values := range keys {
			var subject string
			switch strings.ToLower(key) {
			case "aws:sourceaccount":
				subject = account
			case "aws:sourcearn":
				subject = jobARN
			default:
				continue
			}
			if account == "" {
				continue // unknown: the account check has failed already
			}
			like := strings.HasSuffix(op, "Like") || strings.HasPrefix(op, "Arn") // ArnEquals takes wildcards too
			ok := slices.ContainsFunc(values, func(v string) bool {
				if like {
					return glob(v).MatchString(strings.ToLower(subject))
				}
				return v == subject
			})
			if strings.HasPrefix(op, "StringNot") || strings.HasPrefix(op, "ArnNot") {
				ok = !ok
			}
			if !ok {
				return fmt.Sprintf("%s %s %v, but a job here has %s", op, key, []string(values), subject)
			}
		}
	}
	return ""
}

// glob compiles an IAM wildcard pattern (* and ?), case-insensitively.
func glob(pattern string) *regexp.Regexp {
	q := regexp.QuoteMeta(strings.ToLower(pattern))
	q = strings.ReplaceAll(q, `\*`, ".*")
	q = strings.ReplaceAll(q, `\?`, ".")
	return regexp.MustCompile("^" + q + "$")
}
