package postgres

import (
	"testing"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/storetest/drivertest"
)

func TestDriver(t *testing.T) {
	drivertest.Run(t, func(t *testing.T) switchboard.Driver {
		db, _ := openTest(t, nil)
		return db.d
	})
}
