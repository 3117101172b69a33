package main

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-voice/switchboard"
)

// TestServeTakenPorts: a serve whose HTTP or SIP port is taken fails
// before it creates the bootstrap organisation and prints its key, and
// its error names the flag to change.
func TestServeTakenPorts(t *testing.T) {
	t.Parallel()
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	for _, tc := range []struct {
		name, http, sip, flag string
	}{
		{"http", tcp.Addr().String(), "127.0.0.1:0", "--http"},
		{"sip", "127.0.0.1:0", udp.LocalAddr().String(), "--sip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "sb.db")
			out, _, err := runCLI(t, "serve", "--database", db, "--http", tc.http, "--sip", tc.sip, "--call-journal", "off")
			if err == nil || exitCode(err) != 1 {
				t.Fatalf("serve on a taken %s port: err %v", tc.name, err)
			}
			if msg := err.Error(); !strings.Contains(msg, "address already in use") || !strings.Contains(msg, "use "+tc.flag+" to choose another") {
				t.Errorf("error %q should say the address is in use and name %s", msg, tc.flag)
			}
			if out != "" {
				t.Errorf("serve printed on stdout before failing: %q", out)
			}
			store, err := openStore(context.Background(), db, switchboard.SystemClock)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			if n, err := store.CountOrganizations(context.Background()); err != nil || n != 0 {
				t.Errorf("a failed serve created %d organisation(s) (%v)", n, err)
			}
		})
	}
}
