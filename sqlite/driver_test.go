package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/storetest/drivertest"
)

func TestDriver(t *testing.T) {
	drivertest.Run(t, func(t *testing.T) switchboard.Driver {
		return openTest(t, filepath.Join(t.TempDir(), "switchboard.db"), nil).d
	})
}
