package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSecondServeOnOneSQLiteFile runs the real binary twice on one SQLite
// file: the second refuses to start, naming the lock file and the first
// one's pid, before it prints a key or opens a port, while the CLI's short
// writers keep working beside the first. A kill -9 of the first frees the
// file for the next serve.
func TestSecondServeOnOneSQLiteFile(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "sb.db")
	first := startBinary(t, "--database", db)
	first.bootstrapKey(t)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	second := exec.CommandContext(ctx, buildBinary(t), "serve", "--database", "sqlite:"+db,
		"--http", "127.0.0.1:0", "--sip", "127.0.0.1:0", "--log-format", "json", "--call-journal", t.TempDir())
	second.Env = append(os.Environ(), "SWITCHBOARD_DATABASE=")
	var stdout, stderr bytes.Buffer
	second.Stdout, second.Stderr = &stdout, &stderr
	err := second.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("second serve on %s: %v, want exit status 1\nstdout:\n%s\nstderr:\n%s", db, err, &stdout, &stderr)
	}
	for _, want := range []string{db + ".lock", "pid " + strconv.Itoa(first.cmd.Process.Pid)} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the refusal does not name %q:\n%s", want, &stderr)
		}
	}
	if stdout.Len() > 0 || strings.Contains(stderr.String(), "serving") {
		t.Errorf("the refused serve printed or served:\nstdout:\n%s\nstderr:\n%s", &stdout, &stderr)
	}

	// The short writers do not take the lock.
	cli := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, func(string) string { return "" }, &out, &errOut); err != nil {
			t.Fatalf("switchboard %v beside serve: %v\n%s", args, err, &errOut)
		}
		return strings.TrimSpace(out.String())
	}
	key := cli("keys", "create", "--database", db, "--org", "beside")
	if out := cli("inventory", "add", "--database", db, "--country", "NG", "+2348012345678"); !strings.Contains(out, "added 1") {
		t.Fatalf("inventory add beside serve: %s", out)
	}
	if out := cli("migrate", "--database", db); !strings.Contains(out, "up to date") {
		t.Fatalf("migrate beside serve: %s", out)
	}
	// The running serve sees what they wrote.
	req, _ := http.NewRequest("GET", first.httpURL+"/v1/phone-numbers/available?country=NG", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("the key made beside serve: status %d", resp.StatusCode)
	}
	if !strings.Contains(string(body), "+2348012345678") {
		t.Fatalf("the number added beside serve is not available: %s", body)
	}

	// A crash leaves the lock file behind but not the lock.
	first.cmd.Process.Signal(syscall.SIGKILL)
	<-first.exited
	first.exited <- nil // for startBinary's cleanup
	startBinary(t, "--database", db)
}
