package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// runMigrate applies the migrations of the store named by --database and
// names each it applied; "up to date" only when there was none to apply.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", stderr)
	dsn := fs.String("database", defaultDatabase, "database: sqlite:PATH, PATH or postgres://…")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	store, applied, err := openStoreMigrated(ctx, *dsn, switchboard.SystemClock)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "database is up to date: no migration to apply")
	}
	for _, v := range applied {
		fmt.Fprintln(stdout, "applied", v)
	}
	if len(applied) > 0 {
		fmt.Fprintf(stdout, "applied %d migration(s)\n", len(applied))
	}
	return store.Close()
}

// runKeysCreate creates an API key for an organisation (made if missing)
// and prints only the key on stdout, so scripts can capture it.
func runKeysCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keys create", stderr)
	dsn := fs.String("database", defaultDatabase, "database: sqlite:PATH, PATH or postgres://…")
	org := fs.String("org", "", "organisation name (created if it does not exist)")
	scopes := fs.String("scopes", "", "comma-separated scopes (default: all)")
	test := fs.Bool("test", false, "create a kros_test_ key instead of a live one")
	name := fs.String("name", "", "a name for the key")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if strings.TrimSpace(*org) == "" {
		return usageError{"--org is required"}
	}
	sc, err := switchboard.ParseScopes(*scopes)
	if err != nil {
		return usageError{err.Error()}
	}
	store, err := openStore(ctx, *dsn, switchboard.SystemClock)
	if err != nil {
		return err
	}
	defer store.Close()
	o, _, err := store.EnsureOrganization(ctx, *org)
	if err != nil {
		return fmt.Errorf("organisation %s: %w", *org, err)
	}
	secret, err := createKey(ctx, store, o.ID, *name, sc, !*test)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, secret)
	return nil
}

// runKeysList prints an organisation's keys, newest first, one a line:
// what `GET /v1/api-keys` shows, never a secret.
func runKeysList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keys list", stderr)
	dsn := fs.String("database", defaultDatabase, "database: sqlite:PATH, PATH or postgres://…")
	org := fs.String("org", "", "organisation name")
	mode := fs.String("mode", "", "only live or only test keys")
	revoked := fs.String("revoked", "", "only revoked keys (true) or only keys not revoked (false)")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if strings.TrimSpace(*org) == "" {
		return usageError{"--org is required"}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("keys list takes no arguments, got %q", fs.Args())}
	}
	f := switchboard.APIKeyFilter{Mode: *mode, Page: switchboard.Page{Limit: switchboard.MaxLimit}}
	switch *mode {
	case "", switchboard.ModeLive, switchboard.ModeTest:
	default:
		return usageError{"--mode must be live or test"}
	}
	switch *revoked {
	case "":
	case "true", "false":
		r := *revoked == "true"
		f.Revoked = &r
	default:
		return usageError{"--revoked must be true or false"}
	}
	store, err := openStore(ctx, *dsn, switchboard.SystemClock)
	if err != nil {
		return err
	}
	defer store.Close()
	o, err := store.FindOrganization(ctx, *org)
	if err != nil {
		return fmt.Errorf("organisation %s: %w", *org, err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tMODE\tSCOPES\tCREATED\tLAST USED\tEXPIRES\tREVOKED")
	for {
		keys, total, err := store.ListAPIKeys(ctx, o.ID, f)
		if err != nil {
			return err
		}
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, orDash(k.Name), k.KeyPrefix, k.Mode(),
				strings.Join(k.ScopeNames(), ","), cliTime(&k.CreatedAt), cliTime(k.LastUsedAt), cliTime(k.ExpiresAt), cliTime(k.RevokedAt))
		}
		f.Offset += len(keys)
		if len(keys) == 0 || f.Offset >= total {
			break
		}
	}
	return tw.Flush()
}

// runKeysRevoke revokes a key, whatever its organisation (the operator's
// tool). A running serve refuses it within its key cache's 10 s, at once
// on PostgreSQL (the change feed reaches every node).
func runKeysRevoke(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keys revoke", stderr)
	dsn := fs.String("database", defaultDatabase, "database: sqlite:PATH, PATH or postgres://…")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"usage: switchboard keys revoke [--database URL] KEY_ID"}
	}
	id := fs.Arg(0)
	store, err := openStore(ctx, *dsn, switchboard.SystemClock)
	if err != nil {
		return err
	}
	defer store.Close()
	k, err := store.FindAPIKeyByID(ctx, id)
	if switchboard.ErrorCode(err) == switchboard.ECodeAPIKeyNotFound {
		return fmt.Errorf("revoke %s: no such API key", id)
	}
	if err != nil {
		return fmt.Errorf("revoke %s: %w", id, err)
	}
	was := k.RevokedAt
	if k, err = store.RevokeAPIKey(ctx, k.OrganizationID, id); err != nil {
		return fmt.Errorf("revoke %s: %w", id, err)
	}
	if was != nil {
		fmt.Fprintf(stdout, "%s (%s) was already revoked at %s\n", k.ID, k.KeyPrefix, cliTime(k.RevokedAt))
		return nil
	}
	fmt.Fprintf(stdout, "revoked %s (%s) at %s\n", k.ID, k.KeyPrefix, cliTime(k.RevokedAt))
	return nil
}

// cliTime is a time as the CLI prints it: RFC 3339, or - when unset.
func cliTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// createKey stores a new key for the organisation and returns its secret.
func createKey(ctx context.Context, store switchboard.Store, orgID, name string, scopes []switchboard.Scope, live bool) (string, error) {
	secret, key := switchboard.GenerateAPIKey(live)
	key.OrganizationID, key.Name, key.Scopes = orgID, name, scopes
	if err := store.CreateAPIKey(ctx, &key); err != nil {
		return "", fmt.Errorf("create API key: %w", err)
	}
	return secret, nil
}
