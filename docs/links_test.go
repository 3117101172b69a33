// Package docs_test checks the repository's markdown: every relative link
// in README.md and docs/*.md names a file that exists and, when it has a
// #fragment, a heading of that file. Renaming a heading or a file otherwise
// breaks links silently.
package docs_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

var (
	linkRE    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	headingRE = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
	inlineRE  = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	schemeRE  = regexp.MustCompile(`^[a-z][a-z0-9+.-]*:`)
)

func TestLinksResolve(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "README.md"))
	anchors := map[string]map[string]bool{} // file -> heading slugs, read once
	slugsOf := func(path string) map[string]bool {
		if a, ok := anchors[path]; ok {
			return a
		}
		a, err := headingSlugs(path)
		if err != nil {
			t.Fatal(err)
		}
		anchors[path] = a
		return a
	}
	for _, file := range files {
		err := eachLine(file, func(n int, line string) {
			for _, m := range linkRE.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if schemeRE.MatchString(target) {
					continue // http:, https:, mailto: are not checked
				}
				path, frag, _ := strings.Cut(target, "#")
				resolved := file
				if path != "" {
					resolved = filepath.Join(filepath.Dir(file), path)
					if _, err := os.Stat(resolved); err != nil {
						t.Errorf("%s:%d: link %s: no such file", file, n, target)
						continue
					}
				}
				if frag == "" {
					continue
				}
				if !strings.HasSuffix(resolved, ".md") {
					t.Errorf("%s:%d: link %s: a fragment on a file that is not markdown", file, n, target)
					continue
				}
				if !slugsOf(resolved)[frag] {
					t.Errorf("%s:%d: link %s: %s has no such heading", file, n, target, resolved)
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestSlug checks the anchor rule against headings whose GitHub anchors are
// known.
func TestSlug(t *testing.T) {
	t.Parallel()
	tests := []struct{ heading, want string }{
		{"API reads", "api-reads"},
		{"What each node keeps to itself", "what-each-node-keeps-to-itself"},
		{"Running N nodes on PostgreSQL", "running-n-nodes-on-postgresql"},
		{"The `deliveries` table, 2026-11-29 (05:05–06:00 UTC)", "the-deliveries-table-2026-11-29-05050600-utc"},
		{"See [calls.md](calls.md)", "see-callsmd"},
	}
	for _, tt := range tests {
		if got := slug(tt.heading); got != tt.want {
			t.Errorf("slug(%q) = %q, want %q", tt.heading, got, tt.want)
		}
	}
}

// slug is GitHub's anchor for a heading: lower case, links replaced by
// their text, every character but letters, digits, spaces, hyphens and
// underscores dropped, and spaces turned into hyphens.
func slug(heading string) string {
	h := inlineRE.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// headingSlugs returns the anchors of a markdown file's headings; a
// repeated heading gets -1, -2, … as on GitHub.
func headingSlugs(path string) (map[string]bool, error) {
	slugs, seen := map[string]bool{}, map[string]int{}
	err := eachLine(path, func(_ int, line string) {
		m := headingRE.FindStringSubmatch(line)
		if m == nil {
			return
		}
		s := slug(m[1])
		if n := seen[s]; n > 0 {
			slugs[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			slugs[s] = true
		}
		seen[s]++
	})
	return slugs, err
}

// eachLine calls fn with every line of a markdown file outside fenced code
// blocks, numbered from 1.
func eachLine(path string, fn func(n int, line string)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	fenced := false
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			fn(n, line)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}
