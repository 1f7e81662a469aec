package bedrocksim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Patterns of the Bedrock service model (botocore bedrock/2023-04-20). The
// model's patterns are unanchored; AWS applies them as full matches (spec §1.5).
const (
	patJobName      = `[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\+\-\.]){0,63}`
	patRoleARN      = `arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+`
	patToken        = `[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}`
	patModelID      = `(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:(([0-9]{12}:custom-model/[a-z0-9-]{1,63}[.]{1}[a-z0-9-:]{1,63}/[a-z0-9]{12}$)|(:foundation-model/([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2})|(([0-9a-zA-Z][_-]?)+)$)|([0-9]{12}:(inference-profile|application-inference-profile)/[a-zA-Z0-9-:.]+$)))|([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2})|(([0-9a-zA-Z][_-]?)+)`
	patS3URI        = `s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?`
	patAccountID    = `[0-9]{12}`
	patKMSKeyID     = `(arn:aws(-[^:]+)?:kms:[a-zA-Z0-9-]*:[0-9]{12}:((key/[a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+)))|([a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+)`
	patVPCID        = `[-0-9a-zA-Z]+`
	patTag          = `[a-zA-Z0-9\s._:/=+@-]*`
	patJobID        = `((arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-invocation-job/)?[a-z0-9]{12})`
	patPaginationTk = `\S*`
)

var regexps = map[string]*regexp.Regexp{}

func init() {
	for _, p := range []string{patJobName, patRoleARN, patToken, patModelID, patS3URI, patAccountID,
		patKMSKeyID, patVPCID, patTag, patJobID, patPaginationTk} {
		regexps[p] = regexp.MustCompile(`^(?:` + p + `)$`)
	}
}

// violations collects constraint failures and renders them the way Coral
// services do: "2 validation errors detected: Value 'x' at 'a' failed to
// satisfy constraint: …; Value …" (spec §1.6).
type violations []string

func (v *violations) add(value *string, path, constraint string) {
	val := "null"
	if value != nil {
		val = "'" + *value + "'"
	}
	*v = append(*v, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", val, path, constraint))
}

func (v violations) err() *apiError {
	switch len(v) {
	case 0:
		return nil
	case 1:
		return errorf(ValidationException, "1 validation error detected: %s", v[0])
	}
	return errorf(ValidationException, "%d validation errors detected: %s", len(v), strings.Join(v, "; "))
}

// required reports a null member.
func (v *violations) required(present bool, path string) bool {
	if !present {
		v.add(nil, path, "Member must not be null")
	}
	return present
}

// str checks length (in characters) and pattern of a string member.
func (v *violations) str(s *string, path string, minLen, maxLen int, pattern string) {
	if s == nil {
		return
	}
	n := utf8.RuneCountInString(*s)
	switch {
	case n < minLen:
		v.add(s, path, fmt.Sprintf("Member must have length greater than or equal to %d", minLen))
	case maxLen > 0 && n > maxLen:
		v.add(s, path, fmt.Sprintf("Member must have length less than or equal to %d", maxLen))
	}
	if pattern != "" && !regexps[pattern].MatchString(*s) {
		v.add(s, path, "Member must satisfy regular expression pattern: "+pattern)
	}
}

func (v *violations) enum(s *string, path string, values ...string) {
	if s == nil {
		return
	}
	for _, x := range values {
		if *s == x {
			return
		}
	}
	v.add(s, path, "Member must satisfy enum value set: ["+strings.Join(values, ", ")+"]")
}

func (v *violations) intRange(n *int, path string, minV, maxV int) {
	if n == nil {
		return
	}
	s := strconv.Itoa(*n)
	if *n < minV {
		v.add(&s, path, fmt.Sprintf("Member must have value greater than or equal to %d", minV))
	}
	if *n > maxV {
		v.add(&s, path, fmt.Sprintf("Member must have value less than or equal to %d", maxV))
	}
}

func (v *violations) listLen(n int, list any, path string, minLen, maxLen int) {
	b, _ := json.Marshal(list)
	s := string(b)
	if n < minLen {
		v.add(&s, path, fmt.Sprintf("Member must have length greater than or equal to %d", minLen))
	}
	if n > maxLen {
		v.add(&s, path, fmt.Sprintf("Member must have length less than or equal to %d", maxLen))
	}
}

// Wire shapes of CreateModelInvocationJob (spec §1.4). Pointers tell a null
// member from an empty one.
type createRequest struct {
	JobName                *string           `json:"jobName"`
	RoleARN                *string           `json:"roleArn"`
	ClientRequestToken     *string           `json:"clientRequestToken"`
	ModelID                *string           `json:"modelId"`
	InputDataConfig        *inputDataConfig  `json:"inputDataConfig"`
	OutputDataConfig       *outputDataConfig `json:"outputDataConfig"`
	VPCConfig              *vpcConfig        `json:"vpcConfig"`
	TimeoutDurationInHours *int              `json:"timeoutDurationInHours"`
	Tags                   *[]tag            `json:"tags"`
	ModelInvocationType    *string           `json:"modelInvocationType"`
}

type inputDataConfig struct {
	S3InputDataConfig *s3InputDataConfig `json:"s3InputDataConfig,omitempty"`
}

type s3InputDataConfig struct {
	S3InputFormat *string `json:"s3InputFormat,omitempty"`
	S3URI         *string `json:"s3Uri,omitempty"`
	S3BucketOwner *string `json:"s3BucketOwner,omitempty"`
}

type outputDataConfig struct {
	S3OutputDataConfig *s3OutputDataConfig `json:"s3OutputDataConfig,omitempty"`
}

type s3OutputDataConfig struct {
	S3URI             *string `json:"s3Uri,omitempty"`
	S3EncryptionKeyID *string `json:"s3EncryptionKeyId,omitempty"`
	S3BucketOwner     *string `json:"s3BucketOwner,omitempty"`
}

type vpcConfig struct {
	SubnetIDs        *[]string `json:"subnetIds,omitempty"`
	SecurityGroupIDs *[]string `json:"securityGroupIds,omitempty"`
}

type tag struct {
	Key   *string `json:"key,omitempty"`
	Value *string `json:"value,omitempty"`
}

// validate checks every constraint of the service model, in member order.
func (r *createRequest) validate() *apiError {
	var v violations
	if v.required(r.JobName != nil, "jobName") {
		v.str(r.JobName, "jobName", 1, 63, patJobName)
	}
	if v.required(r.RoleARN != nil, "roleArn") {
		v.str(r.RoleARN, "roleArn", 0, 2048, patRoleARN)
	}
	v.str(r.ClientRequestToken, "clientRequestToken", 1, 256, patToken)
	if v.required(r.ModelID != nil, "modelId") {
		v.str(r.ModelID, "modelId", 1, 2048, patModelID)
	}
	if v.required(r.InputDataConfig != nil, "inputDataConfig") {
		// A union with a single member: that member must be set.
		in := r.InputDataConfig.S3InputDataConfig
		if v.required(in != nil, "inputDataConfig.s3InputDataConfig") {
			v.enum(in.S3InputFormat, "inputDataConfig.s3InputDataConfig.s3InputFormat", "JSONL")
			if v.required(in.S3URI != nil, "inputDataConfig.s3InputDataConfig.s3Uri") {
				v.str(in.S3URI, "inputDataConfig.s3InputDataConfig.s3Uri", 1, 1024, patS3URI)
			}
			v.str(in.S3BucketOwner, "inputDataConfig.s3InputDataConfig.s3BucketOwner", 0, 0, patAccountID)
		}
	}
	if v.required(r.OutputDataConfig != nil, "outputDataConfig") {
		out := r.OutputDataConfig.S3OutputDataConfig
		if v.required(out != nil, "outputDataConfig.s3OutputDataConfig") {
			if v.required(out.S3URI != nil, "outputDataConfig.s3OutputDataConfig.s3Uri") {
				v.str(out.S3URI, "outputDataConfig.s3OutputDataConfig.s3Uri", 1, 1024, patS3URI)
			}
			v.str(out.S3EncryptionKeyID, "outputDataConfig.s3OutputDataConfig.s3EncryptionKeyId", 1, 2048, patKMSKeyID)
			v.str(out.S3BucketOwner, "outputDataConfig.s3OutputDataConfig.s3BucketOwner", 0, 0, patAccountID)
		}
	}
	if c := r.VPCConfig; c != nil {
		for _, l := range []struct {
			ids    *[]string
			path   string
			maxLen int
		}{{c.SubnetIDs, "vpcConfig.subnetIds", 16}, {c.SecurityGroupIDs, "vpcConfig.securityGroupIds", 5}} {
			if !v.required(l.ids != nil, l.path) {
				continue
			}
			v.listLen(len(*l.ids), *l.ids, l.path, 1, l.maxLen)
			for i := range *l.ids {
				v.str(&(*l.ids)[i], fmt.Sprintf("%s.%d.member", l.path, i+1), 0, 32, patVPCID)
			}
		}
	}
	v.intRange(r.TimeoutDurationInHours, "timeoutDurationInHours", 24, 168)
	if r.Tags != nil {
		v.listLen(len(*r.Tags), *r.Tags, "tags", 0, 200)
		for i, t := range *r.Tags {
			p := fmt.Sprintf("tags.%d.member", i+1)
			if v.required(t.Key != nil, p+".key") {
				v.str(t.Key, p+".key", 1, 128, patTag)
			}
			if v.required(t.Value != nil, p+".value") {
				v.str(t.Value, p+".value", 0, 256, patTag)
			}
		}
	}
	v.enum(r.ModelInvocationType, "modelInvocationType", invocationInvokeModel, invocationConverse)
	return v.err()
}

// jobIdentifier checks a Get/Stop path label and returns the job id in it, or
// "" when it is an ARN of another region or account.
func (s *Server) jobIdentifier(ident string) (string, *apiError) {
	var v violations
	v.str(&ident, "jobIdentifier", 0, 1011, patJobID)
	if e := v.err(); e != nil {
		return "", e
	}
	if strings.HasPrefix(ident, "arn:") && !strings.HasPrefix(ident, s.arnPrefix()) {
		return "", nil
	}
	return jobIDOf(ident), nil
}

func jobIDOf(ident string) string {
	return ident[strings.LastIndexByte(ident, '/')+1:]
}

// listRequest is a parsed ListModelInvocationJobs query.
type listRequest struct {
	after, before time.Time
	status        Status
	nameContains  string
	maxResults    int
	next          *pageKey
	ascending     bool
}

// pageKey is the position after which the next page starts: the last job of
// the previous page. It survives jobs created between calls.
type pageKey struct {
	SubmitTime int64  `json:"t"`
	ID         string `json:"id"`
}

// defaultMaxResults is the page size when maxResults is absent; AWS does not
// document its own (spec §1.4), so this is a guess kept small enough that
// clients must paginate.
const defaultMaxResults = 100

func parseListRequest(q map[string][]string) (*listRequest, *apiError) {
	get := func(k string) *string {
		if vs, ok := q[k]; ok && len(vs) > 0 {
			return &vs[0]
		}
		return nil
	}
	var v violations
	req := &listRequest{maxResults: defaultMaxResults}
	for _, k := range []string{"submitTimeAfter", "submitTimeBefore"} {
		s := get(k)
		if s == nil {
			continue
		}
		t, err := parseTimestamp(*s)
		if err != nil {
			v.add(s, k, "Member must be a timestamp in ISO 8601 format")
			continue
		}
		if k == "submitTimeAfter" {
			req.after = t
		} else {
			req.before = t
		}
	}
	if s := get("statusEquals"); s != nil {
		v.enum(s, "statusEquals", statusNames()...)
		req.status = Status(*s)
	}
	if s := get("nameContains"); s != nil {
		v.str(s, "nameContains", 1, 63, patJobName)
		req.nameContains = *s
	}
	if s := get("maxResults"); s != nil {
		n, err := strconv.Atoi(*s)
		if err != nil {
			v.add(s, "maxResults", "Member must be an integer")
		} else {
			v.intRange(&n, "maxResults", 1, 1000)
			req.maxResults = n
		}
	}
	if s := get("nextToken"); s != nil {
		v.str(s, "nextToken", 1, 2048, patPaginationTk)
		if len(*s) > 0 {
			req.next = decodePageKey(*s)
			if req.next == nil {
				v.add(s, "nextToken", "Member must be a pagination token returned by a previous call")
			}
		}
	}
	v.enum(get("sortBy"), "sortBy", "CreationTime")
	if s := get("sortOrder"); s != nil {
		v.enum(s, "sortOrder", "Ascending", "Descending")
		req.ascending = *s == "Ascending"
	}
	if e := v.err(); e != nil {
		return nil, e
	}
	return req, nil
}

// parseTimestamp accepts what SDKs send for an iso8601 query member: RFC 3339
// with or without fractional seconds, and epoch seconds.
func parseTimestamp(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("bad timestamp %q", s)
}

func encodePageKey(k pageKey) string {
	b, _ := json.Marshal(k)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePageKey(s string) *pageKey {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil
	}
	var k pageKey
	if json.Unmarshal(b, &k) != nil || k.ID == "" {
		return nil
	}
	return &k
}
