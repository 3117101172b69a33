package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// buildBinary compiles the real switchboard binary once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "switchboard-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "switchboard")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			binPath = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, binPath)
	}
	return binPath
}

// proc is the real binary running `serve`, with its logs parsed as they come.
type proc struct {
	cmd     *exec.Cmd
	httpURL string
	sipAddr string // host:port of the SIP edge (UDP and TCP)
	stdout  *syncBuffer
	logs    *syncBuffer
	exited  chan error
}

// startBinary runs `switchboard serve` with args and waits until it listens.
func startBinary(t *testing.T, args ...string) *proc {
	t.Helper()
	bin := buildBinary(t)
	// A journal of its own (the default would be the working directory's
	// on PostgreSQL); args may name another, the last flag wins.
	cmd := exec.Command(bin, append([]string{"serve", "--http", "127.0.0.1:0", "--sip", "127.0.0.1:0", "--log-format", "json",
		"--call-journal", t.TempDir()}, args...)...)
	cmd.Env = append(os.Environ(), "SWITCHBOARD_DATABASE=") // flags only, no inherited config
	p := &proc{cmd: cmd, stdout: &syncBuffer{}, logs: &syncBuffer{}, exited: make(chan error, 1)}
	cmd.Stdout = p.stdout
	ready := make(chan [2]string, 1)
	// Written by exec's copying goroutine, which Wait waits for: once the
	// process has exited, every line it wrote is in p.logs.
	cmd.Stderr = &lineWriter{line: func(line string) {
		p.logs.Write([]byte(line + "\n"))
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "switchboard serving" {
			sip, _ := rec["sip"].(string)
			ready <- [2]string{rec["http"].(string), sip}
		}
	}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.exited
	})
	select {
	case addr := <-ready:
		p.httpURL, p.sipAddr = "http://"+addr[0], addr[1]
	case err := <-p.exited:
		t.Fatalf("switchboard exited before serving: %v\n%s", err, p.logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("switchboard did not start listening within 30s\n%s", p.logs)
	}
	return p
}

// lineWriter calls line with each line written to it.
type lineWriter struct {
	buf  []byte
	line func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

// terminate sends SIGTERM and waits for a clean exit.
func (p *proc) terminate(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p.logs)
		}
		p.exited <- err // for the cleanup
	case <-time.After(20 * time.Second):
		t.Fatalf("no exit within 20s of SIGTERM\n%s", p.logs)
	}
}

// bootstrapKey waits for the key a first start prints on stdout. The
// process writes it before it logs that it serves, but stdout is copied by
// another goroutine, so poll with a deadline.
func (p *proc) bootstrapKey(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, line := range strings.Split(p.stdout.String(), "\n") {
			if strings.HasPrefix(line, "kros_live_") {
				return line
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("first start must print a live key on stdout:\n%s", p.stdout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBinaryServeAndSIGTERM(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "sb.db")
	p := startBinary(t, "--database", db)
	key := p.bootstrapKey(t)
	req, _ := http.NewRequest("GET", p.httpURL+"/v1/endpoints", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /v1/endpoints: %v %v", resp, err)
	}
	resp.Body.Close()

	p.terminate(t)
	if !strings.Contains(p.logs.String(), "shutting down") {
		t.Fatalf("no shutdown log:\n%s", p.logs)
	}
	if strings.Contains(p.logs.String(), key) {
		t.Fatal("the API key appears in the logs")
	}
}
