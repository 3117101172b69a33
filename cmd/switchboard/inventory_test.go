package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-voice/switchboard"
)

// runCLI runs the real program in-process and returns its stdout, stderr
// and error.
func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, &out, &errOut)
	return out.String(), errOut.String(), err
}

// TestInventoryAddCountries: numbers of many countries are added without
// --country, their country derived from the number; a national number
// without one is refused with a pointer to --country.
func TestInventoryAddCountries(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "inv.db")
	numbers := map[string]string{
		"+447700900123": "GB", "+4915123456789": "DE", "+33612345678": "FR", "+919812345678": "IN",
		"+5511987654321": "BR", "+27821234567": "ZA", "+254712345678": "KE", "+14155551234": "US",
		"+2348012345678": "NG", "+61412345678": "AU", "+819012345678": "JP",
	}
	args := []string{"inventory", "add", "--database", db}
	for n := range numbers {
		args = append(args, n)
	}
	out, errOut, err := runCLI(t, args...)
	if err != nil || !strings.Contains(out, "added 11, already present 0, bad 0") {
		t.Fatalf("inventory add: %v\nstdout: %s\nstderr: %s", err, out, errOut)
	}
	out, _, err = runCLI(t, "inventory", "list", "--database", db)
	if err != nil {
		t.Fatal(err)
	}
	for n, cc := range numbers {
		if !strings.Contains(out, n+"  ") || !lineHas(out, n, " "+cc+" ") {
			t.Errorf("inventory list: %s should be listed with country %s:\n%s", n, cc, out)
		}
	}

	_, errOut, err = runCLI(t, "inventory", "add", "--database", db, "07700900124")
	if exitCode(err) != 2 || !strings.Contains(errOut, "--country") || !strings.Contains(errOut, "argument 1") {
		t.Errorf("national number without --country: err %v, stderr %q; want exit 2 and a hint at --country", err, errOut)
	}
	out, errOut, err = runCLI(t, "inventory", "add", "--database", db, "--country", "GB", "07700900124")
	if err != nil || !strings.Contains(out, "added 1,") {
		t.Errorf("national number with --country GB: %v %s %s", err, out, errOut)
	}
}

// lineHas reports whether the line of out that holds key also holds want.
func lineHas(out, key, want string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, key) {
			return strings.Contains(l, want)
		}
	}
	return false
}

// TestInventoryAddFileBadRows: every bad row of a file is reported with
// its line, value and reason; the good rows are added, or none with
// --all-or-nothing; the counts are printed and the exit status is 1.
func TestInventoryAddFileBadRows(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "inv.db")
	csvPath := filepath.Join(dir, "numbers.csv")
	rows := "number,country,type\n" +
		"+2348012345001,,mobile\n" +
		"+2348012345002\n" +
		"12345\n" + // line 4: not a possible number
		"+2348012345003,NG,fax\n" + // line 5: bad type
		"08012345004\n" + // line 6: national, no country
		"\n" +
		"+2348012345001\n" // line 8: a duplicate of line 2
	if err := os.WriteFile(csvPath, []byte(rows), 0o600); err != nil {
		t.Fatal(err)
	}

	out, errOut, err := runCLI(t, "inventory", "add", "--database", db, "--all-or-nothing", "--file", csvPath)
	if err == nil || exitCode(err) != 1 || !strings.Contains(out, "added 0, already present 0, bad 3") {
		t.Errorf("--all-or-nothing: err %v, stdout %q", err, out)
	}
	if list, _, _ := runCLI(t, "inventory", "list", "--database", db); strings.Count(list, "\n") != 1 {
		t.Errorf("--all-or-nothing added numbers:\n%s", list)
	}

	out, errOut, err = runCLI(t, "inventory", "add", "--database", db, "--file", csvPath)
	if err == nil || exitCode(err) != 1 {
		t.Errorf("bad rows must fail the command: err %v", err)
	}
	if !strings.Contains(out, "added 2, already present 1, bad 3") {
		t.Errorf("counts: stdout %q", out)
	}
	for _, want := range []string{
		csvPath + ` line 4: "12345": `,
		csvPath + ` line 5: "+2348012345003": `, "type must be",
		csvPath + ` line 6: "08012345004": `, "--country",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if n := strings.Count(errOut, "bad row:"); n != 3 {
		t.Errorf("stderr reports %d bad rows, want 3:\n%s", n, errOut)
	}
	list, _, _ := runCLI(t, "inventory", "list", "--database", db)
	if strings.Count(list, "\n") != 3 || !lineHas(list, "+2348012345001", "mobile") || !strings.Contains(list, "+2348012345002") {
		t.Errorf("inventory list after a partial add:\n%s", list)
	}
}

// TestInventoryListRemove: list filters by country and availability;
// remove takes out available numbers and refuses a held one, naming its
// holder.
func TestInventoryListRemove(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "inv.db")
	if _, errOut, err := runCLI(t, "inventory", "add", "--database", db, "+2348012345001", "+2348012345002", "+14155551234"); err != nil {
		t.Fatal(err, errOut)
	}
	ctx := context.Background()
	store, err := openStore(ctx, db, switchboard.SystemClock)
	if err != nil {
		t.Fatal(err)
	}
	org, _, err := store.EnsureOrganization(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.ClaimNumber(ctx, org.ID, switchboard.ClaimRequest{Number: "+2348012345001"}); err != nil {
		t.Fatal(err)
	}
	store.Close()

	for _, tc := range []struct {
		args      []string
		want, not []string
		rows      int
	}{
		{nil, []string{"+2348012345001", "+2348012345002", "+14155551234", org.ID}, nil, 3},
		{[]string{"--available"}, []string{"+2348012345002", "+14155551234"}, []string{"+2348012345001"}, 2},
		{[]string{"--country", "ng"}, []string{"+2348012345001", "+2348012345002"}, []string{"+14155551234"}, 2},
		{[]string{"--country", "NG", "--available"}, []string{"+2348012345002"}, []string{"+2348012345001"}, 1},
	} {
		out, errOut, err := runCLI(t, append([]string{"inventory", "list", "--database", db}, tc.args...)...)
		if err != nil {
			t.Fatalf("inventory list %v: %v %s", tc.args, err, errOut)
		}
		if strings.Count(out, "\n") != tc.rows+1 {
			t.Errorf("inventory list %v: want %d rows:\n%s", tc.args, tc.rows, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("inventory list %v lacks %s:\n%s", tc.args, w, out)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(out, n) {
				t.Errorf("inventory list %v shows %s:\n%s", tc.args, n, out)
			}
		}
	}
	if _, _, err := runCLI(t, "inventory", "list", "--database", db, "--country", "XX"); exitCode(err) != 2 {
		t.Errorf("--country XX: %v", err)
	}

	out, errOut, err := runCLI(t, "inventory", "remove", "--database", db, "+2348012345001", "+2348012345002", "+2348099999999")
	if exitCode(err) != 1 {
		t.Errorf("remove with a held and an unknown number: err %v", err)
	}
	if !strings.Contains(out, "removed +2348012345002") || strings.Contains(out, "+2348012345001") {
		t.Errorf("remove stdout: %q", out)
	}
	if !strings.Contains(errOut, "cannot remove +2348012345001: ") || !strings.Contains(errOut, "held by organisation "+org.ID) ||
		!strings.Contains(errOut, "cannot remove +2348099999999: Number +2348099999999 is not in the inventory") {
		t.Errorf("remove stderr: %q", errOut)
	}
	if out, _, _ := runCLI(t, "inventory", "list", "--database", db); strings.Contains(out, "+2348012345002") || !strings.Contains(out, "+2348012345001") {
		t.Errorf("after remove:\n%s", out)
	}
	if _, _, err := runCLI(t, "inventory", "remove", "--database", db); exitCode(err) != 2 {
		t.Errorf("remove without numbers: %v", err)
	}
}
