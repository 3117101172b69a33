package main

// The API commands' shared machinery: the global flags (--url, --api-key,
// --output) and their environment variables, the SDK client they build,
// exit codes, and how errors reach stderr. A command of its own file uses
// it like this:
//
//	func runListen(ctx context.Context, c *cli, args []string) error {
//		fs := c.flagSet("listen", "[--events TYPES]", "print events as they happen")
//		events := fs.String("events", "", "…")
//		if err := c.parse(fs, args); err != nil {
//			return err
//		}
//		… c.client.Something(ctx, …) … c.printJSON(v) / c.table(…)
//	}

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"strings"

	sdk "github.com/switchboard-voice/switchboard/client"
)

// Exit codes, for scripts. Documented in docs/cli.md.
const (
	exitOK       = 0 // success, or -h/--help
	exitError    = 1 // any other failure: the API refused, the server is unreachable, …
	exitUsage    = 2 // the command line is wrong (unknown command or flag, missing argument)
	exitAuth     = 3 // the API said 401 or 403: no key, a bad or revoked key, a missing scope
	exitNotFound = 4 // the API said 404: no such resource in the organisation
)

// Output formats of --output.
const (
	outputTable = "table"
	outputJSON  = "json"
)

// defaultURL is the API the commands talk to without --url or SWITCHBOARD_URL.
const defaultURL = "http://localhost:8080"

// usageError marks errors in how the command was called (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitCode maps an error of run to the process's exit status.
func exitCode(err error) int {
	var ue usageError
	var ae *sdk.Error
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden):
		return exitAuth
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		return exitNotFound
	}
	return exitError
}

// printError writes err to stderr as one line: "error: CODE: message
// (request ID)" for an API error, so a script can grep the code, else
// "error: message".
func printError(w io.Writer, err error) {
	var ae *sdk.Error
	if errors.As(err, &ae) {
		var b strings.Builder
		b.WriteString("error: ")
		if ae.Code != "" {
			b.WriteString(ae.Code + ": ")
		} else {
			fmt.Fprintf(&b, "HTTP %d: ", ae.Status)
		}
		b.WriteString(ae.Message)
		if f, ok := ae.Details["field"].(string); ok && f != "" {
			b.WriteString(" (field " + f + ")")
		}
		if ae.RequestID != "" {
			b.WriteString(" (request " + ae.RequestID + ")")
		}
		fmt.Fprintln(w, b.String())
		return
	}
	fmt.Fprintln(w, "error:", err)
}

// terminal reports whether w is a terminal (a character device), which
// makes tables the default output. A variable so tests can pretend.
var terminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// cli is what every API command shares: where it writes, its environment,
// and, once parse has run, the global flags' values and the client.
type cli struct {
	getenv         func(string) string
	stdout, stderr io.Writer

	url, apiKey, output string
	client              *sdk.Client
}

func newCLI(getenv func(string) string, stdout, stderr io.Writer) *cli {
	return &cli{getenv: getenv, stdout: stdout, stderr: stderr}
}

// flagSet returns the flag set of an API command with the global flags.
// synopsis is what follows the command's name in its usage line.
func (c *cli) flagSet(name, synopsis, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet("switchboard "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.StringVar(&c.url, "url", "", "the API's URL (env SWITCHBOARD_URL, default "+defaultURL+")")
	fs.StringVar(&c.apiKey, "api-key", "", "the API key (env SWITCHBOARD_API_KEY)")
	fs.StringVar(&c.output, "output", "", "output format: table or json (env SWITCHBOARD_OUTPUT; default table on a terminal, json otherwise)")
	fs.StringVar(&c.output, "o", "", "shorthand for --output")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: switchboard %s %s\n\n%s\n\nFlags:\n", name, synopsis, summary)
		fs.PrintDefaults()
	}
	return fs
}

// wantsHelp reports whether args ask for help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// parse parses args, fills the global flags not given from the
// environment, checks --output and builds the client. Asked for help, it
// prints the usage on stdout and returns flag.ErrHelp (exit 0).
func (c *cli) parse(fs *flag.FlagSet, args []string) error {
	if wantsHelp(args) {
		fs.SetOutput(c.stdout)
		fs.Usage()
		return flag.ErrHelp
	}
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	for _, g := range []struct {
		v   *string
		env string
		def string
	}{{&c.url, sdk.EnvURL, defaultURL}, {&c.apiKey, sdk.EnvAPIKey, ""}, {&c.output, "SWITCHBOARD_OUTPUT", ""}} {
		if *g.v == "" {
			*g.v = c.getenv(g.env)
		}
		if *g.v == "" {
			*g.v = g.def
		}
	}
	switch c.output {
	case "":
		c.output = outputJSON
		if terminal(c.stdout) {
			c.output = outputTable
		}
	case outputTable, outputJSON:
	default:
		return usageError{fmt.Sprintf("--output must be table or json, not %q", c.output)}
	}
	if c.apiKey == "" {
		return usageError{"no API key: pass --api-key or set SWITCHBOARD_API_KEY (create one with: switchboard keys create --org NAME)"}
	}
	c.client = sdk.New(c.url, c.apiKey, sdk.WithUserAgent("switchboard-cli/"+versionString()))
	return nil
}

// buildInfo is debug.ReadBuildInfo, a variable so tests can give the
// version command what a release build carries.
var buildInfo = debug.ReadBuildInfo

// versionString is the main module's version: a tag, a pseudo-version Go
// stamped from the checkout, or "devel".
func versionString() string {
	bi, ok := buildInfo()
	if !ok || bi.Main.Version == "" || bi.Main.Version == "(devel)" {
		return "devel"
	}
	return bi.Main.Version
}

// writeVersion prints the version, the commit and whether the tree had
// local changes, from the build's VCS stamp. A build without one
// (-buildvcs=false, go run, a test binary) says the commit is unknown.
func writeVersion(w io.Writer) {
	commit, modified, when := "unknown", "", ""
	goVersion := "unknown"
	if bi, ok := buildInfo(); ok {
		goVersion = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = " (modified)"
				}
			case "vcs.time":
				when = s.Value
			}
		}
	}
	fmt.Fprintf(w, "switchboard %s\n", versionString())
	if commit == "unknown" {
		fmt.Fprintln(w, "commit: unknown (built without version control information)")
	} else {
		fmt.Fprintf(w, "commit: %s%s\n", commit, modified)
	}
	if when != "" {
		fmt.Fprintf(w, "commit time: %s\n", when)
	}
	fmt.Fprintf(w, "go: %s\n", goVersion)
}
