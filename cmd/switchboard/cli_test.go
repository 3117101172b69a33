package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	sdk "github.com/switchboard-voice/switchboard/client"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{flag.ErrHelp, 0},
		{usageError{"bad"}, 2},
		{fmt.Errorf("wrapped: %w", usageError{"bad"}), 2},
		{&sdk.Error{Status: 401, Code: "UNAUTHORIZED"}, 3},
		{&sdk.Error{Status: 403, Code: "FORBIDDEN"}, 3},
		{fmt.Errorf("get: %w", &sdk.Error{Status: 404, Code: "ENDPOINT_NOT_FOUND"}), 4},
		{&sdk.Error{Status: 400, Code: "VALIDATION_ERROR"}, 1},
		{&sdk.Error{Status: 503}, 1},
		{errors.New("connection refused"), 1},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestPrintError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&sdk.Error{Status: 404, Code: "ENDPOINT_NOT_FOUND", Message: "endpoint not found", RequestID: "req_1"},
			"error: ENDPOINT_NOT_FOUND: endpoint not found (request req_1)\n"},
		{&sdk.Error{Status: 400, Code: "VALIDATION_ERROR", Message: "name is required", Details: map[string]any{"field": "name"}},
			"error: VALIDATION_ERROR: name is required (field name)\n"},
		{&sdk.Error{Status: 502, Message: "Bad Gateway"}, "error: HTTP 502: Bad Gateway\n"},
		{usageError{"--limit must be 0 (all) or more"}, "error: --limit must be 0 (all) or more\n"},
	} {
		var b bytes.Buffer
		printError(&b, tc.err)
		if b.String() != tc.want {
			t.Errorf("printError(%v) = %q, want %q", tc.err, b.String(), tc.want)
		}
	}
}

func TestSplitGlobalFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args         []string
		global, rest []string
	}{
		{[]string{"endpoints", "list"}, nil, []string{"endpoints", "list"}},
		{[]string{"--url", "http://x", "-o=json", "endpoints", "list"}, []string{"--url", "http://x", "-o=json"}, []string{"endpoints", "list"}},
		{[]string{"--api-key=k", "--version"}, []string{"--api-key=k"}, []string{"--version"}},
		{[]string{"--database", "x", "serve"}, nil, []string{"--database", "x", "serve"}},
	} {
		g, r := splitGlobalFlags(tc.args)
		if !slices.Equal(g, tc.global) || !slices.Equal(r, tc.rest) {
			t.Errorf("splitGlobalFlags(%q) = %q, %q; want %q, %q", tc.args, g, r, tc.global, tc.rest)
		}
	}
}

func TestOperatorKeys(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rest   []string
		global []string
		env    map[string]string
		want   bool
	}{
		{[]string{"create", "--org", "acme"}, nil, nil, true},
		{[]string{"create", "--org=acme"}, nil, map[string]string{"SWITCHBOARD_API_KEY": "k"}, true},
		{[]string{"revoke", "key_1"}, nil, nil, true},
		{[]string{"revoke", "--database", "x.db", "key_1"}, []string{"--api-key", "k"}, nil, true},
		{[]string{"revoke", "key_1"}, nil, map[string]string{"SWITCHBOARD_API_KEY": "k"}, false},
		{[]string{"list"}, []string{"--api-key=k"}, nil, false},
		{[]string{"list", "--api-key", "k"}, nil, nil, false},
		{[]string{"get", "key_1"}, nil, nil, false},
		{[]string{"delete", "key_1"}, nil, nil, false},
	} {
		if got := operatorKeys(tc.rest, tc.global, envOf(tc.env)); got != tc.want {
			t.Errorf("operatorKeys(%q, %q, %v) = %v, want %v", tc.rest, tc.global, tc.env, got, tc.want)
		}
	}
}

// TestGlobalFlagResolution: the command line wins over the environment,
// which wins over the defaults; the output defaults to a table on a
// terminal and JSON elsewhere.
func TestGlobalFlagResolution(t *testing.T) {
	// Not parallel: it swaps the terminal detector.
	for _, tc := range []struct {
		name                string
		args                []string
		env                 map[string]string
		terminal            bool
		url, apiKey, output string
		err                 string
	}{
		{name: "defaults", env: map[string]string{"SWITCHBOARD_API_KEY": "kros_live_env"},
			url: defaultURL, apiKey: "kros_live_env", output: "json"},
		{name: "terminal", env: map[string]string{"SWITCHBOARD_API_KEY": "k"}, terminal: true,
			url: defaultURL, apiKey: "k", output: "table"},
		{name: "env", env: map[string]string{"SWITCHBOARD_API_KEY": "k", "SWITCHBOARD_URL": "http://sb:9000", "SWITCHBOARD_OUTPUT": "table"},
			url: "http://sb:9000", apiKey: "k", output: "table"},
		{name: "flags win", args: []string{"--url", "http://a", "--api-key", "flag", "-o", "json"}, terminal: true,
			env: map[string]string{"SWITCHBOARD_API_KEY": "k", "SWITCHBOARD_URL": "http://sb:9000", "SWITCHBOARD_OUTPUT": "table"},
			url: "http://a", apiKey: "flag", output: "json"},
		{name: "bad output", args: []string{"--output", "yaml", "--api-key", "k"}, err: "--output must be table or json"},
		{name: "no key", err: "no API key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := terminal
			terminal = func(io.Writer) bool { return tc.terminal }
			defer func() { terminal = old }()
			c := newCLI(envOf(tc.env), io.Discard, io.Discard)
			err := c.parse(c.flagSet("test", "", ""), tc.args)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || exitCode(err) != exitUsage {
					t.Fatalf("err = %v, want a usage error with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.url != tc.url || c.apiKey != tc.apiKey || c.output != tc.output {
				t.Errorf("got url %q key %q output %q, want %q %q %q", c.url, c.apiKey, c.output, tc.url, tc.apiKey, tc.output)
			}
			if c.client == nil || c.client.BaseURL() != tc.url {
				t.Errorf("client for %q, want one for %q", c.client.BaseURL(), tc.url)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	// Not parallel: it swaps buildInfo.
	old := buildInfo
	defer func() { buildInfo = old }()
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		want []string
	}{
		{"release", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.modified", Value: "false"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}}},
			[]string{"switchboard v1.2.3\n", "commit: 0123456789abcdef\n", "commit time: 2026-12-01T10:00:00Z\n", "go: go1.26.8\n"}},
		{"modified", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261201100000-0123456789ab+dirty"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.modified", Value: "true"}}},
			[]string{"switchboard v0.0.0-20261201100000-0123456789ab+dirty\n", "commit: 0123456789abcdef (modified)\n"}},
		{"buildvcs=false", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			[]string{"switchboard devel\n", "commit: unknown (built without version control information)\n"}},
		{"no build info", nil, []string{"switchboard devel\n", "commit: unknown", "go: unknown\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buildInfo = func() (*debug.BuildInfo, bool) { return tc.bi, tc.bi != nil }
			for _, args := range [][]string{{"version"}, {"--version"}} {
				var out bytes.Buffer
				if err := run(context.Background(), args, envOf(nil), &out, io.Discard); err != nil {
					t.Fatal(err)
				}
				for _, w := range tc.want {
					if !strings.Contains(out.String(), w) {
						t.Errorf("%v: %q lacks %q", args, out.String(), w)
					}
				}
			}
		})
	}
}

// TestHelpExitsZero: -h and --help print the help on stdout and succeed,
// at the top and for every command; the top-level help names every
// command that exists.
func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	cmds := [][]string{{}, {"serve"}, {"migrate"}, {"keys", "create"}, {"keys", "list"}, {"keys", "revoke"}, {"inventory", "add"}}
	for res, verbs := range apiCommands {
		cmds = append(cmds, []string{res})
		for v := range verbs {
			cmds = append(cmds, []string{res, v})
		}
	}
	for name := range topCommands {
		cmds = append(cmds, []string{name})
	}
	for _, cmd := range cmds {
		for _, h := range []string{"-h", "--help"} {
			args := append(slices.Clone(cmd), h)
			var out, errOut bytes.Buffer
			err := run(context.Background(), args, envOf(nil), &out, &errOut)
			if err != nil || exitCode(err) != 0 {
				t.Errorf("switchboard %q: %v (exit %d)", args, err, exitCode(err))
			}
			if out.Len()+errOut.Len() == 0 || !strings.Contains(out.String()+errOut.String(), "sage") {
				t.Errorf("switchboard %q printed no usage", args)
			}
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, envOf(nil), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for res, verbs := range apiCommands {
		for v := range verbs {
			if !strings.Contains(out.String(), res+" "+v) {
				t.Errorf("the help does not list %s %s", res, v)
			}
		}
	}
	for _, w := range []string{"serve", "migrate", "inventory add", "keys create", "version", "SWITCHBOARD_URL", "SWITCHBOARD_API_KEY", "Exit status"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("the help does not mention %q", w)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{}, {"frobnicate"}, {"endpoints"}, {"endpoints", "frobnicate"},
		{"--output", "json", "serve"}, {"--url", "http://x", "keys", "create", "--org", "acme"}} {
		err := run(context.Background(), args, envOf(nil), io.Discard, io.Discard)
		if exitCode(err) != exitUsage {
			t.Errorf("switchboard %q: %v (exit %d), want exit 2", args, err, exitCode(err))
		}
	}
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	type row struct {
		ID   string
		Name string
		At   time.Time
	}
	cols := []column[row]{
		col("ID", func(r *row) string { return r.ID }),
		col("NAME", func(r *row) string { return r.Name }),
		col("CREATED", func(r *row) string { return cellTime(r.At) }),
	}
	var b bytes.Buffer
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.FixedZone("x", 3600))
	if err := writeTable(&b, cols, []*row{{"ep_1", "a\tb\nc", at}, {"ep_22", "", time.Time{}}}); err != nil {
		t.Fatal(err)
	}
	want := "ID     NAME   CREATED\n" +
		"ep_1   a b c  2026-12-01T09:00:00Z\n" +
		"ep_22  -      -\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/cli.md's command reference from the program's help")

// Markers around the generated command reference of docs/cli.md.
const (
	refBegin = "<!-- BEGIN COMMANDS: generated by `go test ./cmd/switchboard -run TestDocsCLIReference -update-docs`; do not edit -->"
	refEnd   = "<!-- END COMMANDS -->"
)

// TestDocsCLIReference: docs/cli.md holds the help of every API command
// exactly as the program prints it, so the page cannot drift from the
// code. A new command fails here until the page is regenerated with
// -update-docs.
func TestDocsCLIReference(t *testing.T) {
	const path = "../../docs/cli.md"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, rest, ok1 := strings.Cut(string(doc), refBegin)
	_, tail, ok2 := strings.Cut(rest, refEnd)
	if !ok1 || !ok2 {
		t.Fatalf("docs/cli.md lacks the markers %q and %q", refBegin, refEnd)
	}
	want := commandReference(t)
	if *updateDocs {
		if err := os.WriteFile(path, []byte(head+refBegin+"\n"+want+refEnd+tail), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got := strings.TrimPrefix(rest[:strings.Index(rest, refEnd)], "\n"); got != want {
		t.Errorf("docs/cli.md's command reference is stale: run go test ./cmd/switchboard -run TestDocsCLIReference -update-docs\nwant:\n%s", want)
	}
}

// commandReference is the markdown of every API command's help: the
// resources in the README's order (then any other), then the one-word
// commands.
func commandReference(t *testing.T) string {
	var b strings.Builder
	order := []string{"endpoints", "numbers", "calls", "webhooks", "deliveries", "keys", "trunks"}
	for _, res := range slices.Sorted(maps.Keys(apiCommands)) {
		if !slices.Contains(order, res) {
			order = append(order, res)
		}
	}
	block := func(args ...string) {
		fmt.Fprintf(&b, "```\n%s\n```\n\n", commandHelp(t, args...))
	}
	for _, res := range order {
		fmt.Fprintf(&b, "### %s\n\n", res)
		for _, v := range slices.Sorted(maps.Keys(apiCommands[res])) {
			block(res, v)
		}
	}
	if len(topCommands) > 0 {
		b.WriteString("### Other API commands\n\n")
		for _, name := range slices.Sorted(maps.Keys(topCommands)) {
			block(name)
		}
	}
	return b.String()
}

// commandHelp is a command's -h without the global flags' line.
func commandHelp(t *testing.T, args ...string) string {
	var out bytes.Buffer
	if err := run(context.Background(), append(args, "-h"), envOf(map[string]string{"SWITCHBOARD_API_KEY": "k"}), &out, io.Discard); err != nil {
		t.Fatalf("%v -h: %v", args, err)
	}
	var lines []string
	for _, l := range strings.Split(out.String(), "\n") {
		if !strings.HasPrefix(l, "Global flags") {
			lines = append(lines, l)
		}
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func TestReadData(t *testing.T) {
	// Not parallel: it swaps readAllStdin.
	file := filepath.Join(t.TempDir(), "body.json")
	os.WriteFile(file, []byte(`{"name":"from file","type":"agent"}`), 0o600)
	old := readAllStdin
	defer func() { readAllStdin = old }()
	readAllStdin = func() ([]byte, error) { return []byte(`{"name":"from stdin"}`), nil }
	for _, tc := range []struct {
		data, name, err string
	}{
		{"", "", ""},
		{`{"name":"inline"}`, "inline", ""},
		{"@" + file, "from file", ""},
		{"@-", "from stdin", ""},
		{`{"nmae":"x"}`, "", `unknown field "nmae"`},
		{`{"name":`, "", "not a valid body"},
		{"@" + file + ".missing", "", "no such file"},
	} {
		var in sdk.EndpointCreate
		err := readData(tc.data, &in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || exitCode(err) != exitUsage {
				t.Errorf("readData(%q) = %v, want a usage error with %q", tc.data, err, tc.err)
			}
			continue
		}
		if err != nil || in.Name != tc.name {
			t.Errorf("readData(%q): name %q, err %v; want %q", tc.data, in.Name, err, tc.name)
		}
	}
}

func TestParseSince(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"24h", now.Add(-24 * time.Hour), true},
		{"90m", now.Add(-90 * time.Minute), true},
		{"2026-12-01T00:00:00Z", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), true},
		{"-1h", time.Time{}, false},
		{"yesterday", time.Time{}, false},
	} {
		got, err := parseSince(tc.in, now)
		if (err == nil) != tc.ok || !got.Equal(tc.want) {
			t.Errorf("parseSince(%q) = %v, %v", tc.in, got, err)
		}
	}
}
