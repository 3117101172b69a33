package jsonenc

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestAppendTimeMatchesMarshalJSON compares the direct UTC path with
// time.Time.MarshalJSON over the whole range of four-digit years and past
// both ends, and every date of a few years around leap days.
func TestAppendTimeMatchesMarshalJSON(t *testing.T) {
	check := func(tm time.Time) {
		t.Helper()
		want, err := tm.MarshalJSON()
		got, ok := AppendTime(nil, tm)
		if (err == nil) != ok || (ok && !bytes.Equal(got, want)) {
			t.Fatalf("AppendTime(%v) = %s, %v; MarshalJSON = %s, %v", tm, got, ok, want, err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sec := range []int64{minRFC3339 - 1, minRFC3339, 0, -1, 1, 951782400, 4107542400, maxRFC3339, maxRFC3339 + 1} {
		for _, ns := range []int{0, 1, 10, 999999999, 500000000, 123456000} {
			check(time.Unix(sec, int64(ns)).UTC())
		}
	}
	for range 200000 {
		sec := minRFC3339 - 86400*400 + rng.Int64N(maxRFC3339-minRFC3339+86400*800)
		ns := 0
		switch rng.IntN(3) {
		case 1:
			ns = rng.IntN(1e9)
		case 2:
			ns = rng.IntN(1e6) * 1000 // microseconds, as stored
		}
		check(time.Unix(sec, int64(ns)).UTC())
	}
	for _, year := range []int{0, 1, 4, 100, 1600, 1900, 1969, 1970, 2000, 2024, 2100, 9996, 9999} {
		for d := time.Date(year, 1, 1, 23, 59, 59, 0, time.UTC); d.Year() == year; d = d.AddDate(0, 0, 1) {
			check(d)
		}
	}
}

// TestAppendStringMatchesMarshal covers every branch of encoding/json's
// string escaping: every ASCII byte, HTML characters, multi-byte UTF-8,
// U+2028 and U+2029, and invalid or truncated UTF-8, alone and mixed.
func TestAppendStringMatchesMarshal(t *testing.T) {
	t.Parallel()
	var ascii strings.Builder
	for c := range 0x80 {
		ascii.WriteByte(byte(c))
	}
	for _, s := range []string{
		"", "plain", ascii.String(), `<a href="x">&amp;</a>`, `back\slash "quoted"`, "\b\f\n\r\t\x00\x1f\x7f",
		"café 日本語 🎙️", "\u2028\u2029\u2027\u202a", "bad \xff byte", "truncated \xe2\x80", "\xc0\xaf", "\xed\xa0\x80",
		"eight ok then <", strings.Repeat("long run ", 20) + "\xff" + strings.Repeat("z", 9),
	} {
		check(t, s)
	}
}

// FuzzAppendString: for any string, AppendString writes what json.Marshal
// writes.
func FuzzAppendString(f *testing.F) {
	f.Add("plain")
	f.Add("<&>\u2028\xff\n")
	f.Fuzz(check)
}

func check(t *testing.T, s string) {
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := AppendString([]byte("kept"), s); !bytes.Equal(got, append([]byte("kept"), want...)) {
		t.Errorf("AppendString(%q) = %s, want kept%s", s, got, want)
	}
}

// TestAppendOptional: an empty string leaves b as it was (omitempty);
// another is the key and the quoted string.
func TestAppendOptional(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ s, want string }{
		{"", `{"a":1`},
		{"x", `{"a":1,"b":"x"`},
		{"<", `{"a":1,"b":"\u003c"`},
	} {
		if got := string(AppendOptional([]byte(`{"a":1`), `,"b":`, tc.s)); got != tc.want {
			t.Errorf("AppendOptional(%q) = %s, want %s", tc.s, got, tc.want)
		}
	}
}
