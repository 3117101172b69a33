package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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
	for _, args := range [][]string{{}, {"frobnicate"}, {"endpoints"}, {"endpoints", "frobnicate"}} {
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
