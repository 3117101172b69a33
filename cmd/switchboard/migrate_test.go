package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestMigrateSaysWhatItApplied: migrate on a new database names every
// migration it applied, and says "up to date" only when it applied none.
func TestMigrateSaysWhatItApplied(t *testing.T) {
	t.Parallel()
	db := testDatabase(t)
	out, errOut, err := runCLI(t, "migrate", "--database", db)
	if err != nil {
		t.Fatalf("migrate: %v %s", err, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 || lines[0] != "applied 0001_init" || strings.Contains(out, "up to date") {
		t.Fatalf("migrate on a new database:\n%s", out)
	}
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "applied 00") {
			t.Errorf("migrate: line %q does not name a migration", l)
		}
	}
	if want := fmt.Sprintf("applied %d migration(s)", len(lines)-1); lines[len(lines)-1] != want {
		t.Errorf("migrate: last line %q, want %q", lines[len(lines)-1], want)
	}

	out, _, err = runCLI(t, "migrate", "--database", db)
	if err != nil || strings.TrimSpace(out) != "database is up to date: no migration to apply" {
		t.Errorf("migrate again: %v %q", err, out)
	}
}
