package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/switchboard-voice/switchboard"
)

const inventoryUsage = "usage: switchboard inventory add [--country CC] [--type TYPE] [--all-or-nothing] NUMBER... | --file CSV" +
	" | inventory list [--country CC] [--available] | inventory remove NUMBER..."

// runInventory dispatches the inventory subcommands: the operator's view
// of the numbers its carrier delivers.
func runInventory(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "add":
			return runInventoryAdd(ctx, args[1:], getenv, stdout, stderr)
		case "list":
			return runInventoryList(ctx, args[1:], getenv, stdout, stderr)
		case "remove":
			return runInventoryRemove(ctx, args[1:], getenv, stdout, stderr)
		}
	}
	return usageError{inventoryUsage}
}

// inventoryInput is one number to add and where it was given, to name it
// when it is bad.
type inventoryInput struct {
	where, raw, country, typ string
	// inFile is set for a row of --file, which may have a country column.
	inFile bool
	// unreadable is why the CSV reader could not read the row, if it could not.
	unreadable string
}

// badInput is an input refused, with why.
type badInput struct {
	inventoryInput
	reason string
}

func (b badInput) String() string {
	if b.unreadable != "" {
		return fmt.Sprintf("%s: %s", b.where, b.reason)
	}
	return fmt.Sprintf("%s: %q: %s", b.where, b.raw, b.reason)
}

// runInventoryAdd loads numbers into the inventory from arguments or a CSV
// file with rows number[,country[,type]] (a header row is skipped). A bad
// argument is a typo to fix: nothing is added. A file's bad rows are each
// reported on stderr and its good rows added, unless --all-or-nothing;
// either way the exit status is 1 when a row was bad.
func runInventoryAdd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("inventory add", stderr)
	dsn := fs.String("database", defaultDatabase, "database: sqlite:PATH, PATH or postgres://…")
	country := fs.String("country", "", "ISO 3166 country of the numbers (default: from the number)")
	typ := fs.String("type", switchboard.NumberLocal, "number type: local, mobile or toll_free")
	file := fs.String("file", "", "CSV file with rows number[,country[,type]]")
	allOrNothing := fs.Bool("all-or-nothing", false, "add nothing when a row of --file is bad (default: add the good rows)")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	cc := strings.ToUpper(strings.TrimSpace(*country))
	var inputs []inventoryInput
	for i, raw := range fs.Args() {
		inputs = append(inputs, inventoryInput{where: fmt.Sprintf("argument %d", i+1), raw: raw, country: cc, typ: *typ})
	}
	if len(inputs) > 0 {
		if _, bad := parseInventory(inputs); len(bad) > 0 {
			for _, b := range bad {
				fmt.Fprintln(stderr, "bad number:", b)
			}
			return usageError{fmt.Sprintf("%d bad number(s) given; nothing added", len(bad))}
		}
	}
	if *file != "" {
		fromFile, err := readInventoryCSV(*file, cc, *typ)
		if err != nil {
			return err
		}
		inputs = append(inputs, fromFile...)
	}
	if len(inputs) == 0 {
		return usageError{"no numbers given: pass NUMBER... or --file CSV"}
	}
	nums, bad := parseInventory(inputs)
	for _, b := range bad {
		fmt.Fprintln(stderr, "bad row:", b)
	}
	if len(bad) > 0 && *allOrNothing {
		fmt.Fprintf(stdout, "added 0, already present 0, bad %d: nothing added (--all-or-nothing)\n", len(bad))
		return fmt.Errorf("%d bad row(s); nothing added (--all-or-nothing)", len(bad))
	}
	added := 0
	if len(nums) > 0 {
		store, err := openStore(ctx, *dsn, switchboard.SystemClock)
		if err != nil {
			return err
		}
		defer store.Close()
		if added, err = store.AddInventory(ctx, nums); err != nil {
			return fmt.Errorf("add inventory: %w", err)
		}
	}
	fmt.Fprintf(stdout, "added %d, already present %d, bad %d\n", added, len(nums)-added, len(bad))
	if len(bad) > 0 {
		return fmt.Errorf("%d bad row(s) not added (listed above)", len(bad))
	}
	return nil
}

// parseInventory validates the inputs: the good ones as inventory
// numbers, the bad ones with why.
func parseInventory(inputs []inventoryInput) ([]*switchboard.InventoryNumber, []badInput) {
	var good []*switchboard.InventoryNumber
	var bad []badInput
	for _, in := range inputs {
		if in.unreadable != "" {
			bad = append(bad, badInput{in, in.unreadable})
			continue
		}
		n, err := switchboard.NewInventoryNumber(in.raw, in.country, in.typ)
		if err != nil {
			reason := switchboard.ErrorMessage(err)
			if in.country == "" && needsCountry(in.raw) {
				reason += " (give its country: --country CC)"
				if in.inFile {
					reason = strings.TrimSuffix(reason, ")") + ", or a country column)"
				}
			}
			bad = append(bad, badInput{in, reason})
			continue
		}
		good = append(good, n)
	}
	return good, bad
}

// needsCountry reports whether a number would be accepted with a country
// and is refused for want of one: it is in national format, or its country
// cannot be told from it.
func needsCountry(raw string) bool {
	e164, err := switchboard.NormalizeE164(raw, "")
	if err != nil {
		s := strings.TrimSpace(raw)
		return s != "" && !strings.HasPrefix(s, "+") && !strings.HasPrefix(s, "00")
	}
	return switchboard.RegionOfE164(e164) == ""
}

// readInventoryCSV reads the rows number[,country[,type]] of the file, a
// header row skipped, each named by its line for the report of bad rows.
// A row the CSV reader cannot read is a bad row too.
func readInventoryCSV(path, country, typ string) ([]inventoryInput, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	var out []inventoryInput
	for first := true; ; first = false {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			out = append(out, inventoryInput{where: fmt.Sprintf("%s line %d", path, pe.StartLine), inFile: true, unreadable: pe.Err.Error()})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 0 || strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if first && strings.EqualFold(strings.TrimSpace(rec[0]), "number") {
			continue // header
		}
		in := inventoryInput{where: fmt.Sprintf("%s line %d", path, line), raw: rec[0], country: country, typ: typ, inFile: true}
		if len(rec) > 1 && strings.TrimSpace(rec[1]) != "" {
			in.country = strings.ToUpper(strings.TrimSpace(rec[1]))
		}
		if len(rec) > 2 && strings.TrimSpace(rec[2]) != "" {
			in.typ = strings.TrimSpace(rec[2])
		}
		out = append(out, in)
	}
}

// runInventoryList prints the inventory, newest first, with the
// organisation holding each number ("-" while available).
func runInventoryList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("inventory list", stderr)
	dsn := fs.String("database", defaultDatabase, "database: sqlite:PATH, PATH or postgres://…")
	country := fs.String("country", "", "only the numbers of this ISO 3166 country")
	available := fs.Bool("available", false, "only the numbers no organisation holds")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("inventory list takes no arguments, got %q", fs.Args())}
	}
	f := switchboard.InventoryFilter{Country: strings.ToUpper(strings.TrimSpace(*country)), Available: *available,
		Page: switchboard.Page{Limit: switchboard.MaxLimit}}
	if f.Country != "" && !switchboard.ValidCountry(f.Country) {
		return usageError{fmt.Sprintf("--country: %q is not an ISO 3166 alpha-2 code", *country)}
	}
	store, err := openStore(ctx, *dsn, switchboard.SystemClock)
	if err != nil {
		return err
	}
	defer store.Close()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNUMBER\tCOUNTRY\tTYPE\tHELD BY\tADDED")
	for {
		list, total, err := store.ListInventory(ctx, f)
		if err != nil {
			return err
		}
		for _, n := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", n.ID, n.Number, n.Country, n.Type, orDash(n.OrganizationID), cliTime(&n.CreatedAt))
		}
		f.Offset += len(list)
		if len(list) == 0 || f.Offset >= total {
			break
		}
	}
	return tw.Flush()
}

// runInventoryRemove takes available numbers out of the inventory. A
// number an organisation holds is refused, named with its holder; the
// others are still removed.
func runInventoryRemove(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("inventory remove", stderr)
	dsn := fs.String("database", defaultDatabase, "database: sqlite:PATH, PATH or postgres://…")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{"usage: switchboard inventory remove [--database URL] NUMBER..."}
	}
	store, err := openStore(ctx, *dsn, switchboard.SystemClock)
	if err != nil {
		return err
	}
	defer store.Close()
	failed := 0
	for _, raw := range fs.Args() {
		if err := store.RemoveInventory(ctx, raw); err != nil {
			failed++
			fmt.Fprintf(stderr, "cannot remove %s: %s\n", raw, switchboard.ErrorMessage(err))
			continue
		}
		fmt.Fprintln(stdout, "removed", raw)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d number(s) not removed (listed above)", failed, fs.NArg())
	}
	return nil
}
