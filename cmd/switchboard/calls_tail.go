package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// `switchboard calls tail` prints each change of a call as it happens:
// the call.* events of the organisation's event stream.

func init() {
	callCommands["tail"] = apiCommand{"print call changes live (the call.* events), one line each", runCallsTail}
}

func runCallsTail(ctx context.Context, c *cli, args []string) error {
	fs := c.flagSet("calls tail", "[flags]",
		"Print each change of the organisation's calls as it happens, one line each\n(JSON with --output json), until Ctrl-C.")
	lastID := fs.String("last-event-id", "", "start after this event (evt_…): replay what followed it, then go on live")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	fmt.Fprintln(c.stderr, "Following calls (Ctrl-C to stop)")
	return followEvents(ctx, c, []string{"call.*"}, *lastID, func(ev *switchboard.Event) error {
		var call switchboard.CallEventData
		if err := json.Unmarshal(ev.Data, &call); err != nil {
			return fmt.Errorf("%s %s: %w", ev.Type, ev.ID, err)
		}
		if c.output == outputJSON {
			return writeLine(c.stdout, map[string]any{"event": ev.Type, "event_id": ev.ID, "timestamp": ev.Timestamp, "call": json.RawMessage(ev.Data)})
		}
		detail := call.HangupCause
		if call.FailureReason != "" {
			detail = call.FailureReason
		}
		if detail != "" {
			detail = "  " + detail
		}
		_, err := fmt.Fprintf(c.stdout, "%s  %-15s %s  %s → %s  %s%s\n", ev.Timestamp.UTC().Format(time.RFC3339), ev.Type,
			call.CallID, cleanCell(call.FromNumber), cleanCell(call.ToNumber), call.Status, detail)
		return err
	})
}
