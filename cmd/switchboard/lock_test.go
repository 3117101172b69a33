package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestLockDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "sb.db")
	lockFile := db + ".lock"
	pid := strconv.Itoa(os.Getpid())

	first, err := lockDatabase("sqlite:" + db)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(lockFile); err != nil || strings.TrimSpace(string(b)) != pid {
		t.Fatalf("lock file holds %q (%v), want this pid %s", b, err, pid)
	}

	// flock belongs to the open file: a second open in this process
	// conflicts as another process would.
	for _, dsn := range []string{"sqlite:" + db, db} {
		second, err := lockDatabase(dsn)
		if err == nil {
			second.Close()
			t.Fatalf("%s: a second lock while the first is held", dsn)
		}
		for _, want := range []string{lockFile, "pid " + pid, "one serve"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not name %q", dsn, err, want)
			}
		}
	}
	// The failed attempt must not have overwritten the holder's pid.
	if b, _ := os.ReadFile(lockFile); strings.TrimSpace(string(b)) != pid {
		t.Fatalf("lock file holds %q after a refused attempt", b)
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := lockDatabase(db)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again.Close()
}

func TestLockDatabaseWithoutFile(t *testing.T) {
	// Not parallel: it changes the working directory, where the plain
	// relative forms would put a lock file.
	dir := t.TempDir()
	t.Chdir(dir)
	// PostgreSQL nodes share their database; malformed SQLite forms are
	// refused by openStore, not here.
	for _, dsn := range []string{
		"postgres://u@127.0.0.1:5432/db",
		"postgresql://u@127.0.0.1:5432/db",
		"sqlite::memory:",
		"sqlite:file:x.db",
		"x.db?mode=ro",
	} {
		for range 2 {
			l, err := lockDatabase(dsn)
			if err != nil {
				t.Fatalf("%s: %v", dsn, err)
			}
			defer l.Close()
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) > 0 {
		t.Fatalf("lock files created for databases without a file: %v", ents)
	}
}

func TestLockDatabaseMissingDirectory(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "missing", "sb.db")
	if l, err := lockDatabase(db); err == nil {
		l.Close()
		t.Fatal("locked a database in a directory that does not exist")
	} else if !strings.Contains(err.Error(), db) {
		t.Fatalf("error %q does not name the database", err)
	}
}
