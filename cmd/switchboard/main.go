// Command switchboard runs and administers a Switchboard voice bridge.
//
//	switchboard serve     [--database URL] [--http ADDR] [--sip ADDR] [--sip-trusted CIDR,...] [--webhook-allow-private]
//	switchboard keys create --org NAME [--scopes a:b,c:d] [--test]
//	switchboard keys list --org NAME [--mode live|test] [--revoked true|false]
//	switchboard keys revoke KEY_ID
//	switchboard inventory add [--country CC] [--type local|mobile|toll_free] [--all-or-nothing] NUMBER... | --file CSV
//	switchboard inventory list [--country CC] [--available]
//	switchboard inventory remove NUMBER...
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
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "switchboard:", err)
		}
		os.Exit(exitCode(err))
	}
}

// usageError marks errors in how the command was called (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error) int {
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

const usage = `Usage: switchboard <command> [flags]

Commands:
  serve                  run the API (and, as they land, the SIP and event planes)
  keys create            create an API key and print it on stdout
  keys list              list an organisation's API keys (never their secrets)
  keys revoke            revoke an API key
  inventory add          load numbers the carrier delivers into the inventory
  inventory list         list the inventory and who holds each number
  inventory remove       take numbers no organisation holds out of the inventory
  migrate                apply database migrations

Run 'switchboard <command> -h' for the flags of a command.
`

// run dispatches to a subcommand. It takes its environment as arguments so
// tests can run the real program in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "keys":
		switch {
		case len(rest) > 0 && rest[0] == "create":
			return runKeysCreate(ctx, rest[1:], getenv, stdout, stderr)
		case len(rest) > 0 && rest[0] == "list":
			return runKeysList(ctx, rest[1:], getenv, stdout, stderr)
		case len(rest) > 0 && rest[0] == "revoke":
			return runKeysRevoke(ctx, rest[1:], getenv, stdout, stderr)
		}
		return usageError{"usage: switchboard keys create --org NAME [--scopes a:b,c:d] [--test] | keys list --org NAME | keys revoke KEY_ID"}
	case "inventory":
		return runInventory(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}
