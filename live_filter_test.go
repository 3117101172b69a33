package switchboard

import (
	"strings"
	"testing"
)

// TestLiveFilterIsNotEnded: the live-calls filter names exactly the
// statuses CallEnded says are not final, so the two cannot drift apart
// when a status is added.
func TestLiveFilterIsNotEnded(t *testing.T) {
	t.Parallel()
	if w := (CallFilter{}).Where(); w != nil {
		t.Errorf("an unfiltered list has conditions %v", w)
	}
	w := (CallFilter{Live: true}).Where()
	if len(w) != 1 {
		t.Fatalf("Live gives %v, want one condition", w)
	}
	for _, st := range CallStatuses {
		if named := strings.Contains(w[0], "'"+st+"'"); named == CallEnded(st) {
			t.Errorf("status %s: named in %q = %v, but CallEnded = %v", st, w[0], named, CallEnded(st))
		}
	}
}
