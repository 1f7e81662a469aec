package bedrocksim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// family is a model family: how it checks a modelInput and what InvokeModel
// would answer (spec §2.7, §4). The checks are written from the AWS model
// parameter pages, independently of any translation code, so that a client's
// translation bug shows up as an error line.
type family struct {
	name     string
	converse bool // can run Converse-type jobs
	invoke   func(call *modelCall) (any, usage, error)
}

// model is a job's model id resolved to its base model and family.
type model struct {
	base   string // e.g. anthropic.claude-3-haiku-20240307-v1:0
	family *family
}

// modelCall is one record's request to a family.
type modelCall struct {
	modelID  string // as given at create
	model    model
	recordID string
	input    map[string]any // modelInput decoded with UseNumber
	now      time.Time
}

type usage struct{ in, out int64 }

// geoPrefixes are the inference-profile prefixes in front of a base model id
// (us.anthropic…, global.anthropic…).
var geoPrefixes = []string{"us", "eu", "apac", "us-gov", "global", "jp", "au", "ca"}

// resolveModel maps a modelId (base id, inference-profile id, or a
// foundation-model or inference-profile ARN) to its family. Custom models and
// application inference profiles cannot be resolved offline, so they, like
// unknown ids, are rejected at create, as AWS rejects an id it does not know.
func resolveModel(id string) (model, bool) {
	if strings.HasPrefix(id, "arn:") {
		i := strings.Index(id, ":foundation-model/")
		j := strings.Index(id, ":inference-profile/")
		switch {
		case i >= 0:
			id = id[i+len(":foundation-model/"):]
		case j >= 0:
			id = id[j+len(":inference-profile/"):]
		default:
			return model{}, false
		}
	}
	if geo, rest, ok := strings.Cut(id, "."); ok && slices.Contains(geoPrefixes, geo) {
		id = rest
	}
	provider, name, _ := strings.Cut(id, ".")
	var f *family
	switch {
	case provider == "anthropic" && strings.HasPrefix(name, "claude"):
		f = anthropicFamily
	case provider == "amazon" && strings.HasPrefix(name, "nova-") && !isNovaNonText(name):
		f = novaFamily
	case provider == "amazon" && strings.HasPrefix(name, "titan-embed-text-v2"):
		f = titanEmbedFamily
	case provider == "meta" && strings.HasPrefix(name, "llama"):
		f = llamaFamily
	case provider == "mistral":
		f = mistralFamily
	case provider == "openai", provider == "qwen", provider == "deepseek" && strings.HasPrefix(name, "v3"):
		f = openaiFamily
	default:
		return model{}, false
	}
	return model{base: id, family: f}, true
}

func isNovaNonText(name string) bool {
	for _, p := range []string{"nova-canvas", "nova-reel", "nova-sonic"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// decodeInput decodes a modelInput object keeping numbers exact, so that
// integers and floats can be told apart.
func decodeInput(raw []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// malformed is the per-record error of an InvokeModel family. Bedrock reports
// schema violations of a native body this way, e.g. "Malformed input request:
// #: required key [max_tokens] not found, please reformat your input and try again."
func malformed(err error) error {
	return message("Malformed input request: " + err.Error() + ", please reformat your input and try again.")
}

// message is an error whose text is shown as is to the client (a job's
// message or a record's errorMessage), so it is worded as AWS words it.
type message string

func (m message) Error() string { return string(m) }

// obj checks one JSON object of a modelInput. path is its JSON pointer in the
// "#/a/0/b" form Bedrock's schema errors use.
type obj struct {
	m    map[string]any
	path string
}

func (o obj) at(key string) string { return o.path + "/" + key }

func typeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "Null"
	case string:
		return "String"
	case bool:
		return "Boolean"
	case json.Number:
		if isInteger(x) {
			return "Integer"
		}
		return "BigDecimal"
	case []any:
		return "JSONArray"
	case map[string]any:
		return "JSONObject"
	}
	return fmt.Sprintf("%T", v)
}

func isInteger(n json.Number) bool {
	r, ok := new(big.Rat).SetString(string(n))
	return ok && r.IsInt()
}

func typeErr(path, want string, v any) error {
	return fmt.Errorf("%s: expected type: %s, found: %s", path, want, typeName(v))
}

// allow rejects keys outside the schema: Bedrock's native schemas do not
// permit additional properties.
func (o obj) allow(keys ...string) error {
	var extra []string
	for k := range o.m {
		if !slices.Contains(keys, k) {
			extra = append(extra, k)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	slices.Sort(extra)
	return fmt.Errorf("%s: extraneous key [%s] is not permitted", o.path, extra[0])
}

func (o obj) get(key string, required bool) (any, bool, error) {
	v, ok := o.m[key]
	if !ok {
		if required {
			return nil, false, fmt.Errorf("%s: required key [%s] not found", o.path, key)
		}
		return nil, false, nil
	}
	return v, true, nil
}

func (o obj) str(key string, required bool) (string, bool, error) {
	v, ok, err := o.get(key, required)
	if !ok {
		return "", false, err
	}
	s, isStr := v.(string)
	if !isStr {
		return "", false, typeErr(o.at(key), "String", v)
	}
	return s, true, nil
}

// nonEmpty is str for a string that must have at least one character.
func (o obj) nonEmpty(key string, required bool) (string, bool, error) {
	s, ok, err := o.str(key, required)
	if ok && s == "" {
		return "", false, fmt.Errorf("%s: expected minLength: 1, actual: 0", o.at(key))
	}
	return s, ok, err
}

func (o obj) integer(key string, required bool, minV, maxV int64) (int64, bool, error) {
	v, ok, err := o.get(key, required)
	if !ok {
		return 0, false, err
	}
	n, isNum := v.(json.Number)
	if !isNum || !isInteger(n) {
		return 0, false, typeErr(o.at(key), "Integer", v)
	}
	i, err := n.Int64()
	if err != nil {
		return 0, false, fmt.Errorf("%s: %s is out of range", o.at(key), n)
	}
	if i < minV {
		return 0, false, fmt.Errorf("%s: %d is not greater or equal to %d", o.at(key), i, minV)
	}
	if i > maxV {
		return 0, false, fmt.Errorf("%s: %d is not less or equal to %d", o.at(key), i, maxV)
	}
	return i, true, nil
}

func (o obj) number(key string, minV, maxV float64) error {
	v, ok, _ := o.get(key, false)
	if !ok {
		return nil
	}
	n, isNum := v.(json.Number)
	if !isNum {
		return typeErr(o.at(key), "Number", v)
	}
	f, err := n.Float64()
	if err != nil {
		return fmt.Errorf("%s: %s is out of range", o.at(key), n)
	}
	if f < minV {
		return fmt.Errorf("%s: %s is not greater or equal to %v", o.at(key), n, minV)
	}
	if f > maxV {
		return fmt.Errorf("%s: %s is not less or equal to %v", o.at(key), n, maxV)
	}
	return nil
}

func (o obj) boolean(key string) error {
	v, ok, _ := o.get(key, false)
	if !ok {
		return nil
	}
	if _, isBool := v.(bool); !isBool {
		return typeErr(o.at(key), "Boolean", v)
	}
	return nil
}

func (o obj) array(key string, required bool, minItems, maxItems int) ([]any, bool, error) {
	v, ok, err := o.get(key, required)
	if !ok {
		return nil, false, err
	}
	a, isArr := v.([]any)
	if !isArr {
		return nil, false, typeErr(o.at(key), "JSONArray", v)
	}
	if len(a) < minItems {
		return nil, false, fmt.Errorf("%s: expected minimum item count: %d, found: %d", o.at(key), minItems, len(a))
	}
	if maxItems > 0 && len(a) > maxItems {
		return nil, false, fmt.Errorf("%s: expected maximum item count: %d, found: %d", o.at(key), maxItems, len(a))
	}
	return a, true, nil
}

// strings checks an optional array of strings.
func (o obj) strings(key string, maxItems int) ([]string, error) {
	a, ok, err := o.array(key, false, 0, maxItems)
	if !ok {
		return nil, err
	}
	out := make([]string, len(a))
	for i, v := range a {
		s, isStr := v.(string)
		if !isStr {
			return nil, typeErr(fmt.Sprintf("%s/%d", o.at(key), i), "String", v)
		}
		out[i] = s
	}
	return out, nil
}

func (o obj) object(key string, required bool) (obj, bool, error) {
	v, ok, err := o.get(key, required)
	if !ok {
		return obj{}, false, err
	}
	m, isObj := v.(map[string]any)
	if !isObj {
		return obj{}, false, typeErr(o.at(key), "JSONObject", v)
	}
	return obj{m: m, path: o.at(key)}, true, nil
}

// item returns element i of an array as an object.
func item(a []any, i int, arrayPath string) (obj, error) {
	p := fmt.Sprintf("%s/%d", arrayPath, i)
	m, ok := a[i].(map[string]any)
	if !ok {
		return obj{}, typeErr(p, "JSONObject", a[i])
	}
	return obj{m: m, path: p}, nil
}

func (o obj) enum(key string, required bool, values ...string) (string, bool, error) {
	s, ok, err := o.str(key, required)
	if !ok {
		return "", false, err
	}
	if !slices.Contains(values, s) {
		return "", false, fmt.Errorf("%s: %s is not a valid enum value", o.at(key), s)
	}
	return s, true, nil
}

// Deterministic generation.

// tokens estimates a token count the way the usual rule of thumb does: about
// four bytes per token.
func tokens(s string) int64 {
	return int64((len(s) + 3) / 4)
}

// inputTokens is tokens with the floor of one token real models report.
func inputTokens(s string) int64 {
	return max(tokens(s), 1)
}

// replyTo is the emulator's deterministic answer to a prompt: a digest of it,
// so different prompts get different answers, then the prompt echoed back.
func replyTo(prompt string) string {
	return fmt.Sprintf("Simulated response %s. You said: %s", digest(prompt)[:8], prompt)
}

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// generation is a reply cut to the request's limits.
type generation struct {
	text         string
	outputTokens int64
	stop         string // "end", "max_tokens" or "stop_sequence"
	stopSequence string
}

// generate cuts reply at the first stop sequence, then at maxTokens (0: no limit).
func generate(reply string, maxTokens int64, stops []string) generation {
	g := generation{text: reply, stop: "end"}
	first := -1
	for _, s := range stops {
		if s == "" {
			continue
		}
		if i := strings.Index(reply, s); i >= 0 && (first < 0 || i < first) {
			first, g.stopSequence = i, s
		}
	}
	if first >= 0 {
		g.text, g.stop = reply[:first], "stop_sequence"
	}
	if maxTokens > 0 && tokens(g.text) > maxTokens {
		g.text, g.stop, g.stopSequence = truncateBytes(g.text, int(maxTokens*4)), "max_tokens", ""
	}
	g.outputTokens = tokens(g.text)
	return g
}

func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// idFrom derives a stable identifier of n characters from the alphabet.
func idFrom(seed string, n int, alphabet string) string {
	sum := sha256.Sum256([]byte(seed))
	x := new(big.Int).SetBytes(sum[:])
	base := big.NewInt(int64(len(alphabet)))
	var b strings.Builder
	mod := new(big.Int)
	for range n {
		x.DivMod(x, base, mod)
		b.WriteByte(alphabet[mod.Int64()])
	}
	return b.String()
}

const (
	base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	alnum  = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
)

// versionSuffix matches the "-v1:0" / "-v2" tail of a base model id.
var versionSuffix = regexp.MustCompile(`-v\d+(:\d+)?$`)

// textOf concatenates the strings of a modelInput value, skipping keys that
// hold binary data or enum-like tags, as a basis for token counts.
func textOf(v any) string {
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			b.WriteString(x)
			b.WriteByte(' ')
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				switch k {
				case "type", "role", "data", "bytes", "media_type", "format", "cache_control", "cachePoint":
					continue
				}
				walk(x[k])
			}
		}
	}
	walk(v)
	return strings.TrimSpace(b.String())
}
