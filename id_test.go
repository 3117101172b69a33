package switchboard

import (
	"strings"
	"testing"
	"time"
)

func TestNewID(t *testing.T) {
	t.Parallel()
	prefixes := []string{
		PrefixOrg, PrefixAPIKey, PrefixEndpoint, PrefixNumber, PrefixInventory,
		PrefixCall, PrefixEvent, PrefixWebhook, PrefixDelivery, PrefixRequest,
	}
	for _, prefix := range prefixes {
		t.Run(prefix, func(t *testing.T) {
			t.Parallel()
			id := NewID(prefix)
			if !strings.HasPrefix(id, prefix) {
				t.Fatalf("NewID(%q) = %q, missing prefix", prefix, id)
			}
			if got, want := len(id), len(prefix)+20; got != want {
				t.Fatalf("len(NewID(%q)) = %d, want %d", prefix, got, want)
			}
			if !ValidID(prefix, id) {
				t.Fatalf("ValidID(%q, %q) = false for a fresh ID", prefix, id)
			}
			for _, other := range prefixes {
				// whd_ starts with wh but not with wh_, so no prefix is a prefix of another.
				if other != prefix && ValidID(other, id) {
					t.Fatalf("ValidID(%q, %q) = true for an ID of kind %q", other, id, prefix)
				}
			}
			if id2 := NewID(prefix); id2 == id {
				t.Fatalf("two NewID(%q) calls returned %q", prefix, id)
			}
		})
	}
}

func TestValidID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		prefix string
		id     string
		want   bool
	}{
		{name: "right prefix", prefix: "ep_", id: "ep_abcXYZ019", want: true},
		{name: "underscore in rest", prefix: "ep_", id: "ep_a_b", want: true},
		{name: "one character", prefix: "ep_", id: "ep_a", want: true},
		{name: "64 characters", prefix: "ep_", id: "ep_" + strings.Repeat("a", 64), want: true},
		{name: "wrong prefix", prefix: "ep_", id: "pn_abcXYZ019"},
		{name: "prefix is case-sensitive", prefix: "ep_", id: "EP_abc"},
		{name: "prefix without underscore", prefix: "ep_", id: "epabc"},
		{name: "empty rest", prefix: "ep_", id: "ep_"},
		{name: "empty", prefix: "ep_", id: ""},
		{name: "dash", prefix: "ep_", id: "ep_ab-c"},
		{name: "space", prefix: "ep_", id: "ep_ab c"},
		{name: "newline", prefix: "ep_", id: "ep_abc\n"},
		{name: "slash", prefix: "ep_", id: "ep_../x"},
		{name: "quote", prefix: "ep_", id: "ep_a'--"},
		{name: "non-ASCII", prefix: "ep_", id: "ep_é"},
		{name: "65 characters", prefix: "ep_", id: "ep_" + strings.Repeat("a", 65)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ValidID(tt.prefix, tt.id); got != tt.want {
				t.Fatalf("ValidID(%q, %q) = %v, want %v", tt.prefix, tt.id, got, tt.want)
			}
		})
	}
}

func TestRandomBase62(t *testing.T) {
	t.Parallel()
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	tests := []struct {
		name string
		n    int
	}{
		{"zero", 0},
		{"one", 1},
		{"id length", 20},
		{"key length", 32},
		{"long", 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := RandomBase62(tt.n)
			if len(s) != tt.n {
				t.Fatalf("len(RandomBase62(%d)) = %d", tt.n, len(s))
			}
			for i := 0; i < len(s); i++ {
				if strings.IndexByte(alphabet, s[i]) < 0 {
					t.Fatalf("RandomBase62(%d) has %q at %d, outside [0-9A-Za-z]", tt.n, s[i], i)
				}
			}
		})
	}
	t.Run("every symbol appears", func(t *testing.T) {
		t.Parallel()
		// 62,000 draws: each symbol is expected ~1000 times; missing one
		// means the alphabet or the sampling is wrong.
		s := RandomBase62(62000)
		for i := 0; i < len(alphabet); i++ {
			if !strings.Contains(s, alphabet[i:i+1]) {
				t.Fatalf("symbol %q never drawn in 62000 characters", alphabet[i])
			}
		}
	})
}

// TestNewIDStartsWithTime: an ID begins with its creation time in
// milliseconds (base62, fixed width), so IDs made later sort later.
func TestNewIDStartsWithTime(t *testing.T) {
	t.Parallel()
	before := time.Now().UnixMilli()
	id := NewID(PrefixCall)
	after := time.Now().UnixMilli()
	var ms int64
	for _, c := range id[len(PrefixCall) : len(PrefixCall)+idTimeLen] {
		ms = ms*62 + int64(strings.IndexRune(base62, c))
	}
	if ms < before || ms > after {
		t.Fatalf("ID %s carries %d ms, want within [%d, %d]", id, ms, before, after)
	}
	if a, b := NewID(PrefixCall), NewID(PrefixCall); a == b {
		t.Fatalf("two IDs alike: %s", a)
	}
}
