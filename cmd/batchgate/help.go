package main

import (
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// Every command's help has one shape, checked by TestHelpStyle:
//
//	Usage: batchgate COMMAND ARGS [--flag VALUE] ...
//	  what it does
//
//	Flags (all optional unless marked required):
//	  --name VALUE
//	        what it sets (default X; env NAME)
//
//	Environment:
//	  NAME   what it sets

// helpEnv is one environment variable a command reads.
type helpEnv struct{ name, text string }

// setUsage gives fs the common help shape: usage line, summary, flags, environment.
func setUsage(fs *flag.FlagSet, w io.Writer, usageLine, summary string, env []helpEnv) {
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage: %s\n  %s\n", usageLine, summary)
		printFlags(w, fs)
		printEnv(w, env)
	}
}

// printFlags lists fs's flags as --name VALUE with their defaults; a flag
// whose usage is "same as -x" is shown beside -x.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	aliases := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		if other, ok := strings.CutPrefix(f.Usage, "same as -"); ok {
			aliases[other] = f.Name
		}
	})
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if strings.HasPrefix(f.Usage, "same as -") {
			return
		}
		if first {
			fmt.Fprintf(w, "\nFlags (all optional unless marked required):\n")
			first = false
		}
		value, usage := flag.UnquoteUsage(f)
		name := flagName(f.Name)
		if a, ok := aliases[f.Name]; ok {
			name += ", " + flagName(a)
		}
		if value != "" {
			value = " " + strings.ToUpper(value)
		}
		if _, ok := f.Value.(*autoBool); ok {
			value = ""
		}
		fmt.Fprintf(w, "  %s%s\n        %s", name, value, usage)
		if d := f.DefValue; !zeroDefault(d) && !strings.Contains(usage, "default") {
			fmt.Fprintf(w, " (default %s)", d)
		}
		fmt.Fprintln(w)
	})
}

func flagName(n string) string {
	if len(n) == 1 {
		return "-" + n
	}
	return "--" + n
}

func zeroDefault(d string) bool {
	switch d {
	case "", "0", "false", "0s", "[]", "auto":
		return true
	}
	return false
}

func printEnv(w io.Writer, env []helpEnv) {
	if len(env) == 0 {
		return
	}
	fmt.Fprintf(w, "\nEnvironment:\n")
	width := 0
	for _, e := range env {
		width = max(width, len(e.name))
	}
	for _, e := range env {
		fmt.Fprintf(w, "  %-*s  %s\n", width, e.name, e.text)
	}
}

// The environment of the client commands.
var clientEnv = []helpEnv{
	{"BATCHGATE_BASE_URL", "the gateway's URL (then OPENAI_BASE_URL; default " + defaultBaseURL + ")"},
	{"OPENAI_BASE_URL", "the gateway's URL, as the OpenAI SDKs read it (a trailing /v1 is dropped)"},
	{"BATCHGATE_API_KEY", "the API key (then OPENAI_API_KEY, then LITELLM_MASTER_KEY)"},
	{"OPENAI_API_KEY", "the API key, as the OpenAI SDKs read it"},
	{"LITELLM_MASTER_KEY", "the master key, as serve reads it"},
	{"BATCHGATE_DATA", "the data directory of a local `batchgate serve` (default .batchgate): with no key given, a command against 127.0.0.1 or localhost uses the master key kept there"},
}

// versionText is the version line: the -X main.version given at build time,
// else the module version, with the VCS revision the binary was built from.
func versionText() string {
	v := version
	var rev, at string
	modified := false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "dev" && bi.Main.Version != "" {
			v = bi.Main.Version // "(devel)" for a build in a checkout
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		v += " " + bi.GoVersion
	}
	out := "batchgate " + v
	if rev != "" {
		out += " revision " + rev
		if at != "" {
			out += " (" + at + ")"
		}
		if modified {
			out += " with local changes"
		}
	}
	return out
}

// awsEnv is what the AWS SDK reads, for the commands that reach AWS.
var awsEnv = []helpEnv{
	{"AWS_PROFILE", "the AWS profile (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"},
	{"AWS_REGION", "the AWS region when the config names none"},
	{"AWS_ENDPOINT_URL_S3", "an S3-compatible endpoint instead of AWS's (path-style)"},
	{"AWS_ENDPOINT_URL_BEDROCK", "a Bedrock endpoint instead of AWS's (e.g. batchgate bedrock-sim)"},
}

// serveEnv is what serve reads besides its flags.
var serveEnv = append([]helpEnv{
	{"LITELLM_MASTER_KEY", "the master key when the config sets no general_settings.master_key (without either, serve generates one and keeps it in the data directory)"},
	{"DATABASE_URL", "the database when the config sets no general_settings.database_url: postgresql://... (default: SQLite in the data directory)"},
	{"BATCHGATE_DATA", "the data directory (as --data)"},
	{"BATCHGATE_REPLICA_ID", "this replica's name (as --replica-id)"},
	{"KEEPALIVE_TIMEOUT", "as --keepalive_timeout"},
}, awsEnv...)
