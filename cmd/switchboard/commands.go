package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"iter"
	"maps"
	"os"
	"slices"
	"strings"

	sdk "github.com/switchboard-voice/switchboard/client"
)

// apiCommand is one command that talks to the API: a summary for the
// help, and its entry point, which parses args with c.flagSet/c.parse.
type apiCommand struct {
	summary string
	run     func(ctx context.Context, c *cli, args []string) error
}

// apiCommands holds the resource commands: resource → verb → command
// ("calls" → "hangup"). The top-level help lists them from here. A new
// subcommand of a resource registers itself from its own file:
//
//	func init() { apiCommands["calls"]["tail"] = apiCommand{"print call changes live", runCallsTail} }
var apiCommands = map[string]map[string]apiCommand{
	"endpoints":  endpointCommands,
	"numbers":    numberCommands,
	"calls":      callCommands,
	"webhooks":   webhookCommands,
	"deliveries": deliveryCommands,
	"keys":       keyCommands,
	"trunks":     trunkCommands,
}

// topCommands holds the API commands of one word (`switchboard listen`,
// `switchboard call`), registered from their own files the same way:
//
//	func init() { topCommands["listen"] = apiCommand{"print events as they happen", runListen} }
var topCommands = map[string]apiCommand{}

// runResource runs `switchboard RESOURCE VERB ARGS`; global holds the
// global flags given before RESOURCE.
func runResource(ctx context.Context, c *cli, res string, verbs map[string]apiCommand, global, rest []string) error {
	if len(rest) == 0 || wantsHelp(rest[:1]) || rest[0] == "help" {
		w := c.stderr
		if len(rest) > 0 {
			w = c.stdout
		}
		fmt.Fprintf(w, "Usage: switchboard %s <command> [flags]\n\nCommands:\n", res)
		for _, v := range slices.Sorted(maps.Keys(verbs)) {
			fmt.Fprintf(w, "  %-12s %s\n", v, verbs[v].summary)
		}
		fmt.Fprintf(w, "\nRun 'switchboard %s <command> -h' for its flags.\n", res)
		if len(rest) == 0 {
			return usageError{fmt.Sprintf("switchboard %s: no command given", res)}
		}
		return nil
	}
	cmd, ok := verbs[rest[0]]
	if !ok {
		return usageError{fmt.Sprintf("switchboard %s: unknown command %q (run 'switchboard %s -h')", res, rest[0], res)}
	}
	return cmd.run(ctx, c, append(slices.Clip(global), rest[1:]...))
}

// globalFlags are the flags the API commands share, which may also come
// before the command's name.
var globalFlags = map[string]bool{"url": true, "api-key": true, "output": true, "o": true}

// splitGlobalFlags takes the global flags that come before the command's
// name off args: `switchboard --output json endpoints list`.
func splitGlobalFlags(args []string) (global, rest []string) {
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-" {
		name, _, hasValue := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
		if !globalFlags[name] {
			break
		}
		if hasValue || len(args) == 1 {
			global, args = append(global, args[0]), args[1:]
			continue
		}
		global, args = append(global, args[0], args[1]), args[2:]
	}
	return global, args
}

// operatorKeys reports whether a keys command runs on the database (the
// operator's create/list/revoke, no API key needed) rather than over the
// API: it does unless an API key is given (--api-key or
// SWITCHBOARD_API_KEY) and neither --org nor --database is.
func operatorKeys(rest, global []string, getenv func(string) string) bool {
	switch rest[0] {
	case "create", "list", "revoke":
	default:
		return false
	}
	hasKey := getenv("SWITCHBOARD_API_KEY") != ""
	for _, a := range slices.Concat(global, rest[1:]) {
		if a == "--" {
			break
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") {
			continue
		}
		switch name {
		case "org", "database":
			return true
		case "api-key":
			hasKey = true
		}
	}
	return !hasKey
}

// oneID checks that a command got exactly one positional argument, the
// resource's id, and returns it.
func oneID(fs *flag.FlagSet, what string) (string, error) {
	if fs.NArg() != 1 {
		return "", usageError{fmt.Sprintf("usage: %s [flags] %s (got %d arguments)", fs.Name(), what, fs.NArg())}
	}
	return fs.Arg(0), nil
}

// noArgs checks that a command got no positional argument.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s takes no arguments, got %q", fs.Name(), fs.Args())}
	}
	return nil
}

// collect gathers up to limit items of a list (all of them when limit
// is 0), paging as the SDK does.
func collect[T any](seq iter.Seq2[*T, error], limit int) ([]*T, error) {
	out := []*T{}
	if limit < 0 {
		return nil, usageError{"--limit must be 0 (all) or more"}
	}
	for it, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, it)
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

// pageSize is the page size to ask for when at most limit items are
// wanted: no more than needed, at most the API's maximum.
func pageSize(limit int) int {
	if limit > 0 && limit < sdk.PageSize {
		return limit
	}
	return 0
}

// readData decodes --data into dst: a JSON object given inline, or @FILE
// (@- for stdin) holding one. Unknown fields are a usage error, so a typo
// is not silently dropped. An empty data leaves dst as it is.
func readData(data string, dst any) error {
	if data == "" {
		return nil
	}
	raw := []byte(data)
	if name, ok := strings.CutPrefix(data, "@"); ok {
		var err error
		if name == "-" {
			raw, err = readAllStdin()
		} else {
			raw, err = os.ReadFile(name)
		}
		if err != nil {
			return usageError{fmt.Sprintf("--data %s: %v", data, err)}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return usageError{fmt.Sprintf("--data: not a valid body: %v", err)}
	}
	return nil
}

// readAllStdin is how --data @- reads the body; a variable for tests.
var readAllStdin = func() ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(os.Stdin)
	return b.Bytes(), err
}

// setFlags is the set of flags given on the command line, so update
// commands send only those.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
