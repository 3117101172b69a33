package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// errLockHeld is what tryLock returns when another open file holds the lock.
var errLockHeld = errors.New("lock held")

// lockDatabase takes the lock `serve` holds on an SQLite database for its
// whole life, so that a second `serve` on the same file refuses to start:
// two delivery workers would drain one queue (SQLite has no SKIP LOCKED, so
// a webhook could go out twice) and two edges would share one call journal.
// The lock is an exclusive flock on the file PATH.lock beside the database,
// which holds the pid of its holder. The kernel drops it when the process
// ends, however it ends, so a crash leaves no stale lock behind. The CLI's
// short writers do not take it: they may run beside `serve`.
//
// PostgreSQL gets a no-op: several nodes share one database by design.
func lockDatabase(dsn string) (io.Closer, error) {
	path := strings.TrimPrefix(dsn, "sqlite:")
	if isPostgres(dsn) || path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.ContainsRune(path, '?') {
		// No file to lock; openStore refuses the malformed forms with a
		// better message than a lock file's name would give.
		return nopCloser{}, nil
	}
	return acquireFileLock(path+".lock", path)
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

// fileLock is a held flock. Closing the file releases it.
type fileLock struct{ f *os.File }

// acquireFileLock takes an exclusive, non-blocking lock on the file at
// path (created if need be) for the database db, and writes this
// process's pid in it. When another process holds it, the error names the
// file and that process's pid.
func acquireFileLock(path, db string) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock database %s: %w", db, err)
	}
	if err := tryLock(f); err != nil {
		defer f.Close()
		if errors.Is(err, errLockHeld) {
			return nil, fmt.Errorf("database %s is in use by another switchboard serve (%s holds %s); "+
				"only one serve may run on an SQLite file: stop it first, or use PostgreSQL to run several nodes",
				db, holder(f), path)
		}
		return nil, fmt.Errorf("lock database %s: lock %s: %w", db, path, err)
	}
	// The file is left in place when the lock is released: removing it
	// would let two processes lock two different files of the same name.
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock database %s: write %s: %w", db, path, err)
	}
	if _, err := f.WriteAt(pid, 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock database %s: write %s: %w", db, path, err)
	}
	return &fileLock{f: f}, nil
}

// holder describes the process named in a held lock file. The holder may
// be between truncating the file and writing its pid: then it is unknown.
func holder(f *os.File) string {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	if pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n]))); err == nil && pid > 0 {
		return "pid " + strconv.Itoa(pid)
	}
	return "pid unknown"
}

// Close releases the lock.
func (l *fileLock) Close() error { return l.f.Close() }
