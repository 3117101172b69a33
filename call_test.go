package switchboard

import "testing"

// TestCallCaller: people read the caller's number, else its From user as
// sent; events carry both fields as stored.
func TestCallCaller(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ number, raw, want string }{
		{"+2348031234567", "", "+2348031234567"},
		{"", "anonymous", "anonymous"},
		{"", "", ""},
	} {
		c := &Call{FromNumber: tc.number, FromRaw: tc.raw}
		if got := c.Caller(); got != tc.want {
			t.Errorf("Caller of %q/%q = %q, want %q", tc.number, tc.raw, got, tc.want)
		}
		if d := c.EventData(); d.FromNumber != tc.number || d.FromRaw != tc.raw {
			t.Errorf("EventData of %q/%q: %q/%q", tc.number, tc.raw, d.FromNumber, d.FromRaw)
		}
	}
}
