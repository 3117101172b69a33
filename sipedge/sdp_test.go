package sipedge

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// mediaPorts returns the port of every m= line of an SDP body, in order;
// -1 for a port that is not a number.
func mediaPorts(sdp []byte) []int {
	var ports []int
	for line := range bytes.Lines(sdp) {
		if !bytes.HasPrefix(line, []byte("m=")) {
			continue
		}
		f := bytes.Fields(line[2:])
		if len(f) < 2 {
			continue
		}
		p, _, _ := bytes.Cut(f[1], []byte("/"))
		n, err := strconv.Atoi(string(p))
		if err != nil {
			n = -1
		}
		ports = append(ports, n)
	}
	return ports
}

// TestRefusedAnswer: the answer refuses every offered stream (port 0, the
// offer's media, protocol and formats, in order) and is otherwise a
// well-formed SDP of its own.
func TestRefusedAnswer(t *testing.T) {
	t.Parallel()
	crlf := func(lines ...string) []byte { return []byte(strings.Join(lines, "\r\n") + "\r\n") }
	tests := []struct {
		name  string
		offer []byte
		media []string // the m= lines wanted; nil: no answer at all
		addr  string
	}{
		{"audio", crlf("v=0", "o=callee 1 1 IN IP4 192.0.2.1", "s=-", "c=IN IP4 192.0.2.1", "t=0 0",
			"m=audio 40000 RTP/AVP 0 8 101", "a=rtpmap:101 telephone-event/8000", "a=sendrecv"),
			[]string{"m=audio 0 RTP/AVP 0 8 101"}, "IN IP4 0.0.0.0"},
		{"audio and video, LF only", []byte("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 40000 RTP/SAVP 0\nm=video 40002 RTP/AVP 96\n"),
			[]string{"m=audio 0 RTP/SAVP 0", "m=video 0 RTP/AVP 96"}, "IN IP4 0.0.0.0"},
		{"port count and IPv6", crlf("v=0", "o=- 1 1 IN IP6 2001:db8::1", "s=-", "c=IN IP6 2001:db8::1", "t=0 0", "m=audio 40000/2 RTP/AVP 0"),
			[]string{"m=audio 0 RTP/AVP 0"}, "IN IP6 ::"},
		{"no media", crlf("v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "t=0 0"), []string{}, "IN IP4 0.0.0.0"},
		{"malformed m= line skipped", crlf("v=0", "m=audio", "m=audio 1 RTP/AVP 0"), []string{"m=audio 0 RTP/AVP 0"}, "IN IP4 0.0.0.0"},
		{"empty", nil, nil, ""},
		{"blank", []byte("\r\n  \r\n"), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := refusedAnswer(tt.offer)
			if tt.media == nil {
				if got != nil {
					t.Fatalf("answer %q, want none", got)
				}
				return
			}
			lines := strings.Split(strings.TrimSuffix(string(got), "\r\n"), "\r\n")
			var media []string
			for _, l := range lines {
				if strings.HasPrefix(l, "m=") {
					media = append(media, l)
				}
			}
			if !slices.Equal(media, tt.media) && !(len(media) == 0 && len(tt.media) == 0) {
				t.Errorf("m= lines %q, want %q", media, tt.media)
			}
			if lines[0] != "v=0" || !strings.HasPrefix(lines[1], "o=switchboard ") || !strings.HasSuffix(lines[1], tt.addr) ||
				lines[2] != "s=-" || !slices.Contains(lines, "t=0 0") {
				t.Errorf("answer is not a whole SDP:\n%s", got)
			}
			if hasC := slices.Contains(lines, "c="+tt.addr); hasC != (len(tt.media) > 0) {
				t.Errorf("c= line present %v, want %v:\n%s", hasC, len(tt.media) > 0, got)
			}
			for _, p := range mediaPorts(got) {
				if p != 0 {
					t.Errorf("a stream on port %d, want 0:\n%s", p, got)
				}
			}
		})
	}
}
