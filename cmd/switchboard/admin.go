package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/switchboard-voice/switchboard"
)

// runMigrate applies the migrations of the store named by --database.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", stderr)
	dsn := fs.String("database", defaultDatabase, "database: sqlite:PATH, PATH or postgres://…")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	store, err := openStore(ctx, *dsn, switchboard.SystemClock)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "database is up to date")
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

// createKey stores a new key for the organisation and returns its secret.
func createKey(ctx context.Context, store switchboard.Store, orgID, name string, scopes []switchboard.Scope, live bool) (string, error) {
	secret, key := switchboard.GenerateAPIKey(live)
	key.OrganizationID, key.Name, key.Scopes = orgID, name, scopes
	if err := store.CreateAPIKey(ctx, &key); err != nil {
		return "", fmt.Errorf("create API key: %w", err)
	}
	return secret, nil
}

// runInventoryAdd loads numbers into the inventory from arguments or a CSV
// file with rows number[,country[,type]] (a header row is skipped).
func runInventoryAdd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("inventory add", stderr)
	dsn := fs.String("database", defaultDatabase, "database: sqlite:PATH, PATH or postgres://…")
	country := fs.String("country", "", "ISO 3166 country of the numbers (default: from the number)")
	typ := fs.String("type", switchboard.NumberLocal, "number type: local, mobile or toll_free")
	file := fs.String("file", "", "CSV file with rows number[,country[,type]]")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	var nums []*switchboard.InventoryNumber
	for _, raw := range fs.Args() {
		n, err := switchboard.NewInventoryNumber(raw, *country, *typ)
		if err != nil {
			return usageError{err.Error()}
		}
		nums = append(nums, n)
	}
	if *file != "" {
		fromFile, err := readInventoryCSV(*file, *country, *typ)
		if err != nil {
			return err
		}
		nums = append(nums, fromFile...)
	}
	if len(nums) == 0 {
		return usageError{"no numbers given: pass NUMBER... or --file CSV"}
	}
	store, err := openStore(ctx, *dsn, switchboard.SystemClock)
	if err != nil {
		return err
	}
	defer store.Close()
	added, err := store.AddInventory(ctx, nums)
	if err != nil {
		return fmt.Errorf("add inventory: %w", err)
	}
	fmt.Fprintf(stdout, "added %d numbers to the inventory (%d already there)\n", added, len(nums)-added)
	return nil
}

func readInventoryCSV(path, country, typ string) ([]*switchboard.InventoryNumber, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	var out []*switchboard.InventoryNumber
	for line := 1; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, usageError{fmt.Sprintf("%s: %v", path, err)}
		}
		if len(rec) == 0 || strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if line == 1 && strings.EqualFold(strings.TrimSpace(rec[0]), "number") {
			continue // header
		}
		c, t := country, typ
		if len(rec) > 1 && strings.TrimSpace(rec[1]) != "" {
			c = strings.ToUpper(strings.TrimSpace(rec[1]))
		}
		if len(rec) > 2 && strings.TrimSpace(rec[2]) != "" {
			t = strings.TrimSpace(rec[2])
		}
		n, err := switchboard.NewInventoryNumber(rec[0], c, t)
		if err != nil {
			return nil, usageError{fmt.Sprintf("%s line %d: %s", path, line, switchboard.ErrorMessage(err))}
		}
		out = append(out, n)
	}
}
