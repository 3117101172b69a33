package docs_test

import (
	"bufio"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadmeGetTheBinary: the README says how to get the binary, and keeps
// its two commands.
func TestReadmeGetTheBinary(t *testing.T) {
	t.Parallel()
	s := readme(t)
	for _, want := range []string{
		"go build -o switchboard ./cmd/switchboard", "go install ./cmd/switchboard",
		"go run ./cmd/switchboard serve\n", "go test ./...\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("README.md lacks %q", want)
		}
	}
}

// TestReadmeWebhookReceiver: the README's webhook example subscribes a
// receiver on the reader's own machine, not a remote URL that would be
// retried for hours, and the receiver it shows answers a delivery with 200
// and prints it.
func TestReadmeWebhookReceiver(t *testing.T) {
	t.Parallel()
	s := readme(t)
	sub := regexp.MustCompile(`(?s)POST \$API/webhooks .*?"url": "([^"]+)"`).FindStringSubmatch(s)
	if sub == nil {
		t.Fatal("README.md has no webhook subscription example")
	}
	u, err := url.Parse(sub[1])
	if err != nil || u.Hostname() != "127.0.0.1" {
		t.Errorf("the README subscribes %q: want a receiver on 127.0.0.1", sub[1])
	}
	script := regexp.MustCompile(`(?s)<<'PY'\n(.*?)\nPY\n`).FindStringSubmatch(s)
	if script == nil {
		t.Fatal("README.md has no receiver script")
	}
	if !strings.Contains(script[1], `("127.0.0.1", 3000)`) || u.Port() != "3000" {
		t.Fatalf("the receiver should listen where the subscription points (127.0.0.1:3000)")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("SWITCHBOARD_REQUIRE_ALL") != "" {
			t.Fatal("python3 is needed to run the README's receiver")
		}
		t.Skip("no python3")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strings.TrimPrefix(ln.Addr().String(), "127.0.0.1:")
	ln.Close()
	cmd := exec.Command(py, "-c", strings.Replace(script[1], "3000", port, 1))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	body := `{"id":"evt_1","event":"webhook.test","timestamp":"2026-01-01T00:00:00Z","data":{}}`
	var resp *http.Response
	for deadline := time.Now().Add(10 * time.Second); ; {
		req, _ := http.NewRequest("POST", "http://127.0.0.1:"+port+u.Path, strings.NewReader(body))
		req.Header.Set("X-Webhook-Signature", "sha256=abc")
		if resp, err = http.DefaultClient.Do(req); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond) // polling for the receiver's port to open
	}
	if err != nil {
		t.Fatalf("POST to the README's receiver: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("the receiver answered %d, want 200", resp.StatusCode)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "sha256=abc "+body+"\n" {
		t.Errorf("the receiver printed %q (%v), want the signature and the body", line, err)
	}
}
