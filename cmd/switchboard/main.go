// Command switchboard runs and administers a Switchboard voice bridge.
//
//	switchboard serve     [--database URL] [--http ADDR] [--sip ADDR] [--sip-trusted CIDR,...] [--webhook-allow-private]
//	switchboard keys create --org NAME [--scopes a:b,c:d] [--test]
//	switchboard keys list --org NAME [--mode live|test] [--revoked true|false]
//	switchboard keys revoke KEY_ID
//	switchboard inventory add [--country CC] [--type local|mobile|toll_free] NUMBER... | --file CSV
//	switchboard migrate   [--database URL]
//
// Every flag can also be set with the environment variable
// SWITCHBOARD_<FLAG> (upper case, dashes as underscores).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		printError(os.Stderr, err)
		os.Exit(exitCode(err))
	}
}

const usageHead = `Usage: switchboard <command> [flags]

Operator commands (work on the database directly; no API key):
  serve                  run the API, the SIP edge, webhooks and the dashboard
  migrate                apply database migrations
  keys create --org ORG  create an API key and print it on stdout
  keys list --org ORG    list an organisation's API keys (never their secrets)
  keys revoke KEY_ID     revoke an API key
  inventory add          load numbers the carrier delivers into the inventory

API commands (talk to a running serve with an API key):
`

const usageTail = `
Global flags of the API commands (before or after the command):
  --url URL              the API (env SWITCHBOARD_URL, default http://localhost:8080)
  --api-key KEY          the API key (env SWITCHBOARD_API_KEY)
  -o, --output FORMAT    table or json (env SWITCHBOARD_OUTPUT; table on a terminal, else json)

Other:
  version, --version     print the version and the commit it was built from
  help, -h, --help       print this help

Exit status: 0 ok, 1 error, 2 usage, 3 authentication/permission (401/403),
4 not found (404). keys create|list|revoke use the API instead of the database
when an API key is given and neither --org nor --database is.
Run 'switchboard <command> [<subcommand>] -h' for a command's flags; docs/cli.md has them all.
`

// writeUsage prints the top-level help: the operator commands, then every
// API command registered in apiCommands, so the help lists what exists.
func writeUsage(w io.Writer) {
	fmt.Fprint(w, usageHead)
	for _, res := range slices.Sorted(maps.Keys(apiCommands)) {
		verbs := apiCommands[res]
		for _, v := range slices.Sorted(maps.Keys(verbs)) {
			fmt.Fprintf(w, "  %-22s %s\n", res+" "+v, verbs[v].summary)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(topCommands)) {
		fmt.Fprintf(w, "  %-22s %s\n", name, topCommands[name].summary)
	}
	fmt.Fprint(w, usageTail)
}

// run dispatches to a subcommand. It takes its environment as arguments so
// tests can run the real program in-process. Help (-h) returns nil.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, getenv, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	global, args := splitGlobalFlags(args)
	if len(args) == 0 {
		writeUsage(stderr)
		return usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "keys":
		if len(rest) > 0 && operatorKeys(rest, global, getenv) {
			switch rest[0] {
			case "create":
				return runKeysCreate(ctx, rest[1:], getenv, stdout, stderr)
			case "list":
				return runKeysList(ctx, rest[1:], getenv, stdout, stderr)
			case "revoke":
				return runKeysRevoke(ctx, rest[1:], getenv, stdout, stderr)
			}
		}
	case "inventory":
		if len(rest) == 0 || rest[0] != "add" {
			return usageError{"usage: switchboard inventory add [--country CC] [--type TYPE] NUMBER... | --file CSV"}
		}
		return runInventoryAdd(ctx, rest[1:], getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "version", "--version", "-version":
		writeVersion(stdout)
		return nil
	case "-h", "--help", "-help", "help":
		writeUsage(stdout)
		return nil
	}
	c := newCLI(getenv, stdout, stderr)
	if top, ok := topCommands[cmd]; ok {
		return top.run(ctx, c, append(global, rest...))
	}
	if verbs, ok := apiCommands[cmd]; ok {
		return runResource(ctx, c, cmd, verbs, global, rest)
	}
	writeUsage(stderr)
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}
