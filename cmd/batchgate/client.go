package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// The command-line client: `batchgate batch|files|keys ...` against any
// batchgate (or OpenAI-compatible) endpoint over plain HTTP and JSON.

// clientCommand is one subcommand of batch, files or keys.
type clientCommand struct {
	name, args, summary string
	run                 func(ctx context.Context, c *cli, args []string) error
}

var clientCommands = map[string][]clientCommand{
	"batch": {
		{"submit", "FILE [--model NAME] [--endpoint /v1/chat/completions] [--completion-window 24h] [--metadata k=v ...] [--wait]",
			"upload a JSONL file and start a batch on it; --wait follows it to the end", batchSubmit},
		{"status", "ID [--wait]", "show a batch", batchStatus},
		{"list", "[--limit N] [--after ID]", "list your batches, newest first", batchList},
		{"cancel", "ID", "cancel a batch", batchCancel},
		{"results", "ID [--errors] [--raw] [-o FILE]", "download a batch's output (or error) lines", batchResults},
	},
	"files": {
		{"upload", "FILE [--model NAME]", "upload a batch JSONL file (purpose=batch)", filesUpload},
		{"list", "[--limit N] [--after ID] [--purpose P]", "list your files", filesList},
		{"get", "ID", "show a file", filesGet},
		{"delete", "ID", "delete a file", filesDelete},
		{"content", "ID|s3://bucket/key [--raw|--openai] [-o FILE]", "download a file, or read a Bedrock output straight from S3", filesContent},
	},
	"keys": {
		{"create", "[--models a,b] [--user-id ID] [--team-id ID] [--alias NAME] [--duration 30d] [--max-budget 10]", "create a virtual key (master key)", keysCreate},
		{"list", "[--user-id ID] [--team-id ID]", "list virtual keys (master key)", keysList},
		{"info", "[KEY]", "show a key and its spend (default: the key in use)", keysInfo},
		{"delete", "KEY...", "delete virtual keys (master key)", keysDelete},
		{"update", "KEY [--models a,b] [--alias NAME] [--max-budget 10] [--budget-duration 30d] [--duration 30d] [--metadata k=v ...]", "change a virtual key (master key)", keysUpdate},
		{"block", "KEY", "block a virtual key: its requests are refused until unblocked (master key)", keysBlock},
		{"unblock", "KEY", "unblock a blocked virtual key (master key)", keysUnblock},
	},
	"models": {
		{"list", "", "list the batch models the key may use (GET /v1/models)", modelsList},
	},
	"user": {
		{"new", "[--user-id ID] [--email E] [--alias NAME] [--models a,b] [--max-budget 10] [--team ID ...] [--no-key]", "create a user and, unless --no-key, a key for it (master key)", userNew},
		{"info", "[USER_ID]", "show a user, its keys and teams (default: the key's user)", userInfoCmd},
		{"list", "", "list users (master key)", userList},
	},
	"team": {
		{"new", "[--team-id ID] [--alias NAME] [--models a,b] [--max-budget 10] [--member USER_ID ...]", "create a team (master key)", teamNew},
		{"info", "TEAM_ID", "show a team, its members and keys", teamInfoCmd},
		{"list", "", "list teams (master key)", teamList},
		{"member-add", "TEAM_ID USER_ID [--role user|admin]", "add a user to a team (master key)", teamMemberAdd},
	},
	"spend": {
		{"logs", "[--key KEY] [--user-id ID] [--team-id ID] [--batch ID]", "list spend logs, one per settled batch (a virtual key sees its own)", spendLogs},
	},
}

// groupAliases lets LiteLLM's nouns name the same groups.
var groupAliases = map[string]string{"key": "keys", "users": "user", "teams": "team", "file": "files", "batches": "batch"}

// defaultCommands run when a group is given no command (or only flags).
var defaultCommands = map[string]string{"models": "list", "spend": "logs"}

func clientUsage(w io.Writer, group string) {
	fmt.Fprintf(w, "Usage: batchgate %s COMMAND [ARGS] [--flag VALUE ...]\n  a command-line client of the gateway's API\n\nCommands:\n", group)
	for _, c := range clientCommands[group] {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nEvery command takes --base-url URL, --api-key KEY and --json (all optional).\n"+
		"`batchgate %s COMMAND --help` shows its flags.\n", group)
	printEnv(w, clientEnv)
}

const defaultBaseURL = "http://127.0.0.1:4000"

// runClient runs `batchgate batch|files|keys SUBCOMMAND ...`.
func runClient(ctx context.Context, cmd string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if g, ok := groupAliases[cmd]; ok {
		cmd = g
	}
	if d, ok := defaultCommands[cmd]; ok && (len(args) == 0 || strings.HasPrefix(args[0], "-")) {
		args = append([]string{d}, args...)
	}
	if len(args) == 0 {
		clientUsage(stderr, cmd)
		return fmt.Errorf("%s: missing command", cmd)
	}
	if h := args[0]; h == "help" || h == "-h" || h == "--help" || h == "-help" {
		clientUsage(stdout, cmd)
		return nil
	}
	for _, sc := range clientCommands[cmd] {
		if sc.name == args[0] {
			c := newCLI(cmd, sc, getenv, stdout, stderr)
			return sc.run(ctx, c, args[1:])
		}
	}
	clientUsage(stderr, cmd)
	return fmt.Errorf("%s: unknown command %q", cmd, args[0])
}

// cli is one client invocation: its flags, its output and its HTTP client.
type cli struct {
	fs             *flag.FlagSet
	getenv         func(string) string
	stdout, stderr io.Writer
	http           *http.Client

	cmd clientCommand

	baseURL, apiKey string
	keySource       string // where apiKey came from, for a 401's hint
	json            bool
	progress        autoBool
}

func newCLI(group string, sc clientCommand, getenv func(string) string, stdout, stderr io.Writer) *cli {
	c := &cli{getenv: getenv, stdout: stdout, stderr: stderr, http: &http.Client{}, cmd: sc}
	c.fs = flag.NewFlagSet("batchgate "+group+" "+sc.name, flag.ContinueOnError)
	c.fs.SetOutput(stderr)
	setUsage(c.fs, stderr, strings.TrimSpace("batchgate "+group+" "+sc.name+" "+sc.args), sc.summary, clientEnv)
	c.fs.StringVar(&c.baseURL, "base-url", "", "the gateway's `URL` (default "+defaultBaseURL+"; env BATCHGATE_BASE_URL, OPENAI_BASE_URL)")
	// No default shown for the key: -h must not print a secret from the environment.
	c.fs.StringVar(&c.apiKey, "api-key", "", "the API `KEY` (env BATCHGATE_API_KEY, OPENAI_API_KEY, LITELLM_MASTER_KEY; against a local serve, its master key)")
	c.fs.BoolVar(&c.json, "json", false, "print the JSON objects the gateway returns, for scripts")
	return c
}

// progressFlag adds --progress to commands that move data or wait.
func (c *cli) progressFlag() {
	c.fs.Var(&c.progress, "progress", "show progress bars on stderr (default: when stderr is a terminal)")
}

// parse parses flags given before, between or after the positional
// arguments, and checks that there are between min and max of those (max < 0: any).
func (c *cli) parse(args []string, min, max int) ([]string, error) {
	pos, err := parseInterspersed(c.fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) < min || (max >= 0 && len(pos) > max) {
		c.fs.Usage()
		if len(pos) < min {
			names := positionals(c.cmd.args)
			if len(pos) < len(names) {
				return nil, fmt.Errorf("%s: missing argument %s (usage: %s %s)", c.fs.Name(), names[len(pos)], c.fs.Name(), strings.Join(names, " "))
			}
			return nil, fmt.Errorf("%s: missing argument", c.fs.Name())
		}
		return nil, fmt.Errorf("%s: unexpected argument %q", c.fs.Name(), pos[max])
	}
	if c.baseURL == "" {
		c.baseURL = firstNonEmpty(c.getenv("BATCHGATE_BASE_URL"), c.getenv("OPENAI_BASE_URL"), defaultBaseURL)
	}
	// OPENAI_BASE_URL conventionally ends in /v1; batchgate's admin routes live above it.
	c.baseURL = strings.TrimSuffix(strings.TrimRight(c.baseURL, "/"), "/v1")
	c.keySource = "--api-key"
	for _, env := range []string{"BATCHGATE_API_KEY", "OPENAI_API_KEY", "LITELLM_MASTER_KEY"} {
		if c.apiKey == "" {
			c.apiKey, c.keySource = c.getenv(env), env
		}
	}
	if c.apiKey == "" {
		c.apiKey, c.keySource = c.localMasterKey()
	}
	return pos, nil
}

// localMasterKey is the master key a local `batchgate serve` keeps in its
// data directory (BATCHGATE_DATA, default .batchgate, as serve's --data),
// when the gateway is on this machine: the quick start needs no key copied.
func (c *cli) localMasterKey() (key, source string) {
	u, err := url.Parse(c.baseURL)
	if err != nil {
		return "", ""
	}
	if h := u.Hostname(); h != "localhost" && !net.ParseIP(h).IsLoopback() {
		return "", ""
	}
	path := filepath.Join(firstNonEmpty(c.getenv("BATCHGATE_DATA"), ".batchgate"), "master_key")
	b, err := os.ReadFile(path)
	if err != nil {
		return "", ""
	}
	return strings.TrimSpace(string(b)), path
}

// positionals returns the names of the positional arguments in a usage
// string: the words before the first flag or optional part ("FILE", "ID").
func positionals(args string) []string {
	var names []string
	for _, w := range strings.Fields(args) {
		if strings.HasPrefix(w, "[") || strings.HasPrefix(w, "-") {
			break
		}
		names = append(names, w)
	}
	return names
}

// parseInterspersed parses fs over args, letting flags follow positional
// arguments (`batch submit file.jsonl --model x`): the standard package stops
// at the first positional argument, so parsing resumes after each one. "--"
// ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// showProgress reports whether progress bars are drawn: --progress, or stderr is a terminal.
func (c *cli) showProgress() bool {
	if c.progress.set {
		return c.progress.v
	}
	return isTerminal(c.stderr)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// autoBool is a boolean flag that remembers whether it was given.
type autoBool struct{ set, v bool }

func (b *autoBool) String() string {
	if b == nil || !b.set {
		return "auto"
	}
	return strconv.FormatBool(b.v)
}

func (b *autoBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	b.set, b.v = true, v
	return nil
}

func (b *autoBool) IsBoolFlag() bool { return true }

// keyValues is a repeatable k=v flag.
type keyValues map[string]string

func (m keyValues) String() string {
	var s []string
	for k, v := range m {
		s = append(s, k+"="+v)
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

func (m keyValues) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not key=value", s)
	}
	m[k] = v
	return nil
}

// --- HTTP ---

// apiError is an HTTP error answered by the gateway, from OpenAI's envelope
// {"error": {"message", "type", "param", "code", "line", "data"}}.
type apiError struct {
	Status  int
	Message string
	Type    string
	Code    string
	Param   string
	Line    int
	Data    []lineProblem
}

// lineProblem is one JSONL problem of error.data.
type lineProblem struct {
	Code    string  `json:"code"`
	Message string  `json:"message"`
	Param   *string `json:"param"`
	Line    *int    `json:"line"`
}

// maxProblemsShown bounds the JSONL problems listed in an error.
const maxProblemsShown = 20

func (e *apiError) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	if e.Line > 0 && !strings.Contains(strings.ToLower(e.Message), fmt.Sprintf("line %d", e.Line)) {
		fmt.Fprintf(&b, " (line %d)", e.Line)
	}
	fmt.Fprintf(&b, " [HTTP %d", e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	} else if e.Type != "" {
		b.WriteString(" " + e.Type)
	}
	b.WriteString("]")
	if len(e.Data) > 1 || (len(e.Data) == 1 && e.Line == 0) {
		for i, p := range e.Data {
			if i == maxProblemsShown {
				fmt.Fprintf(&b, "\n  ... and %d more", len(e.Data)-i)
				break
			}
			b.WriteString("\n  ")
			if p.Line != nil {
				fmt.Fprintf(&b, "line %d: ", *p.Line)
			}
			if p.Param != nil && *p.Param != "" {
				b.WriteString(*p.Param + ": ")
			}
			b.WriteString(p.Message)
		}
	}
	return b.String()
}

// readAPIError turns a non-2xx response into an *apiError.
func readAPIError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e := &apiError{Status: resp.StatusCode}
	var env struct {
		Error *struct {
			Message string          `json:"message"`
			Type    string          `json:"type"`
			Param   *string         `json:"param"`
			Code    json.RawMessage `json:"code"` // a string; some servers send a number
			Line    *int            `json:"line"`
			Data    []lineProblem   `json:"data"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && env.Error != nil && env.Error.Message != "" {
		d := env.Error
		e.Message, e.Type, e.Data = d.Message, d.Type, d.Data
		if d.Param != nil {
			e.Param = *d.Param
		}
		if d.Line != nil {
			e.Line = *d.Line
		}
		var code string
		if json.Unmarshal(d.Code, &code) == nil {
			e.Code = code
		} else if len(d.Code) > 0 && string(d.Code) != "null" {
			e.Code = string(d.Code)
		}
		return e
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	if msg == "" {
		msg = resp.Status
	}
	e.Message = msg
	return e
}

// request sends a request and returns the response when its status is 2xx
// (the caller closes the body), or the API's error.
func (c *cli) request(ctx context.Context, method, path string, body io.Reader, contentType string, header http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, body)
	if err != nil {
		return nil, err
	}
	if s, ok := body.(*sized); ok && s.n >= 0 {
		req.ContentLength = s.n
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", "batchgate-cli/"+version)
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("no gateway answers at %s (connection refused): start one with `batchgate serve`, or point --base-url (BATCHGATE_BASE_URL) at yours", c.baseURL)
		}
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		err := readAPIError(resp)
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
			switch {
			case c.apiKey == "":
				ae.Message += " (no API key: pass --api-key or set BATCHGATE_API_KEY; a local `batchgate serve` keeps its master key in .batchgate/master_key, found from the directory serve runs in or BATCHGATE_DATA)"
			case c.keySource != "--api-key":
				ae.Message += " (the key came from " + c.keySource + ")"
			}
		}
		return nil, err
	}
	return resp, nil
}

// sized is a request body of known length (-1: unknown, sent chunked).
type sized struct {
	io.Reader
	n int64
}

// callTimeout bounds a JSON call (not uploads and downloads, which take as
// long as the data needs), so that a hung server does not hang a wait forever.
const callTimeout = 2 * time.Minute

// call sends in (nil, or a value encoded as JSON) and returns the JSON answer.
func (c *cli) call(ctx context.Context, method, path string, in any) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var body io.Reader
	ctype := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	resp, err := c.request(ctx, method, path, body, ctype, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("%s %s: the answer is not JSON: %.200s", method, path, raw)
	}
	return raw, nil
}

// get calls and decodes the answer into out.
func (c *cli) get(ctx context.Context, method, path string, in, out any) (json.RawMessage, error) {
	raw, err := c.call(ctx, method, path, in)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return raw, fmt.Errorf("%s %s: unexpected answer: %w", method, path, err)
	}
	return raw, nil
}

// printJSON writes a JSON answer indented, keeping its fields and order.
func (c *cli) printJSON(raw json.RawMessage) error {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return err
	}
	b.WriteByte('\n')
	_, err := c.stdout.Write(b.Bytes())
	return err
}

// --- output helpers ---

func (c *cli) table() *tabwriter.Writer { return tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0) }

// note writes a human hint to stderr (never in --json mode's stdout).
func (c *cli) note(format string, a ...any) { fmt.Fprintf(c.stderr, format+"\n", a...) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// when renders a Unix time with its age.
func when(unix int64) string {
	if unix == 0 {
		return "-"
	}
	t := time.Unix(unix, 0)
	return t.Local().Format("2006-01-02 15:04:05") + " (" + ago(t) + ")"
}

// age renders how old a Unix time is.
func age(unix int64) string {
	if unix == 0 {
		return "-"
	}
	return ago(time.Unix(unix, 0))
}

// ago renders how long ago t was, or how far ahead it is, roughly.
func ago(t time.Time) string {
	d := time.Since(t)
	suffix := " ago"
	if d < 0 {
		d, suffix = -d, " from now"
	}
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s" + suffix
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m" + suffix
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "h" + suffix
	}
	return strconv.Itoa(int(d.Hours()/24)) + "d" + suffix
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func pathEscape(id string) string { return url.PathEscape(id) }

// bytesBar is a progress bar of bytes on stderr; total < 0 when unknown.
func (c *cli) bytesBar(total int64, desc string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(c.stderr), progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true), progressbar.OptionShowTotalBytes(true), progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSpinnerType(14), progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(c.stderr) }))
}

// output opens where downloaded content goes: the file named by -o, or stdout.
// commit finishes it: the file is written under a temporary name and renamed,
// so a failed download never leaves a truncated file behind.
func (c *cli) output(path string) (w io.Writer, commit func(err error) error, err error) {
	if path == "" || path == "-" {
		return c.stdout, func(err error) error { return err }, nil
	}
	f, err := os.CreateTemp(dirOf(path), ".batchgate-download-*")
	if err != nil {
		return nil, nil, err
	}
	return f, func(err error) error {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chmod(f.Name(), 0o644)
		}
		if err == nil {
			err = os.Rename(f.Name(), path)
		}
		if err != nil {
			os.Remove(f.Name())
		}
		return err
	}, nil
}

func dirOf(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[:i+1]
	}
	return "."
}

// download copies a response body to out, with a byte bar when wanted:
// --progress, or stderr is a terminal and the content does not go to it too.
func (c *cli) download(body io.Reader, size int64, out io.Writer, desc string) (int64, error) {
	show := c.showProgress()
	if !c.progress.set && out == c.stdout && isTerminal(c.stdout) {
		show = false
	}
	if show {
		bar := c.bytesBar(size, desc)
		n, err := io.Copy(io.MultiWriter(out, bar), body)
		if err == nil {
			_ = bar.Finish()
		} else {
			_ = bar.Exit()
			fmt.Fprintln(c.stderr)
		}
		return n, err
	}
	return io.Copy(out, body)
}
