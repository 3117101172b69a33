package main

import (
	"context"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/callrec"
)

// openCallRecorder opens the recorder of the SIP edge's call records, with
// the call journal of --call-journal, for the node the edge names.
func (m *Main) openCallRecorder(ctx context.Context, node string) (switchboard.CallRecorder, error) {
	r, err := callrec.Open(ctx, callrec.Config{Journal: m.Config.CallJournal, Node: node, Store: m.store, Logger: m.logger})
	if err != nil {
		return nil, err
	}
	return r, nil
}
