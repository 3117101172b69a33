package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The dashboard's browser tests drive Debian's chromium through chromedp:
// one browser for the package, started at the first test that needs it and
// stopped by TestMain; each test gets its own tab in its own browser
// context, so the cookies of one test's sign-in never reach another's.

var browser struct {
	once   sync.Once
	ctx    context.Context // the browser; tabs derive from it
	cancel context.CancelFunc
	err    error
}

// chromiumPath is Debian's chromium, or whatever chromium is on PATH.
func chromiumPath() string {
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// stopBrowser ends the package's browser, if one started.
func stopBrowser() {
	if browser.cancel != nil {
		browser.cancel()
	}
}

// tab is one browser tab of a test.
type tab struct {
	t   *testing.T
	ctx context.Context
}

// newTab opens a tab in a fresh browser context (no cookies). Without
// chromium the test is skipped, or fails when SWITCHBOARD_REQUIRE_ALL=1.
// When the test fails, a screenshot of the tab is saved in its temp dir.
func newTab(t *testing.T) *tab {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("SWITCHBOARD_REQUIRE_ALL") == "1" {
			t.Fatal("chromium is required (SWITCHBOARD_REQUIRE_ALL=1): apt-get install -y --no-install-recommends chromium")
		}
		t.Skip("chromium not installed: apt-get install -y --no-install-recommends chromium")
	}
	browser.once.Do(func() {
		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
			chromedp.WindowSize(1280, 900), chromedp.Flag("disable-gpu", true))
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(alloc)
		browser.ctx, browser.cancel = ctx, func() { cancel(); cancelAlloc() }
		browser.err = chromedp.Do(ctx) // starts the browser, for the life of ctx
	})
	if browser.err != nil {
		t.Fatalf("start chromium: %v", browser.err)
	}
	ctx, cancel := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("open a tab: %v", err)
	}
	dir := t.TempDir()
	tb := &tab{t: t, ctx: ctx}
	t.Cleanup(func() {
		if t.Failed() {
			tb.saveScreenshot(filepath.Join(dir, "failure.png"))
		}
		cancel()
	})
	return tb
}

// saveScreenshot writes a full-page PNG of the tab to path.
func (b *tab) saveScreenshot(path string) {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot: %v", err)
		return
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("screenshot: %v", err)
		return
	}
	b.t.Logf("screenshot of the tab: %s", path)
}

// do runs the actions, failing the test with what it was doing.
func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to path on base and waits for the page's main element.
func (b *tab) open(base, path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("main")))
}

// text returns the text of the first element sel matches.
func (b *tab) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// waitText polls the text of sel until it contains want (the page may
// change under it: htmx, a redirect), and fails the test after d.
func (b *tab) waitText(sel, want string, d time.Duration) {
	b.t.Helper()
	b.waitFor(sel, d, fmt.Sprintf("contain %q", want), func(s string) bool { return strings.Contains(s, want) })
}

// waitNoText is waitText's opposite.
func (b *tab) waitNoText(sel, gone string, d time.Duration) {
	b.t.Helper()
	b.waitFor(sel, d, fmt.Sprintf("lose %q", gone), func(s string) bool { return !strings.Contains(s, gone) })
}

func (b *tab) waitFor(sel string, d time.Duration, what string, ok func(string) bool) {
	b.t.Helper()
	deadline := time.Now().Add(d)
	var last string
	for {
		ctx, cancel := context.WithTimeout(b.ctx, time.Second)
		s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
		cancel()
		if err == nil {
			last = s
			if ok(s) {
				return
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s did not %s within %v; its text: %q", sel, what, d, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// location is the tab's URL.
func (b *tab) location() string {
	b.t.Helper()
	u, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("location: %v", err)
	}
	return u
}

// shoot saves a screenshot of the page as docs/screenshots/name.png when
// SWITCHBOARD_SCREENSHOTS names that directory (run once to refresh the
// README's pictures; normal runs write nothing).
func (b *tab) shoot(name string) {
	dir := os.Getenv("SWITCHBOARD_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	b.saveScreenshot(filepath.Join(dir, name+".png"))
}
