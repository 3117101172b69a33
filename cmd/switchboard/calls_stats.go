package main

import (
	"context"
	"strconv"

	"github.com/switchboard-voice/switchboard"
	sdk "github.com/switchboard-voice/switchboard/client"
)

func init() {
	callCommands["stats"] = apiCommand{"counts, answer rate and durations of calls (per day or hour with --group-by)", runCallsStats}
}

// statsRow is one row of the stats table: the whole range ("all") or one
// bucket of the series.
type statsRow struct {
	period string
	m      switchboard.CallMeasures
}

// runCallsStats runs `switchboard calls stats`: GET /v1/calls/stats,
// printed as the API answers it (JSON) or as a table of the whole range
// and then each bucket.
func runCallsStats(ctx context.Context, c *cli, args []string) error {
	fs := c.flagSet("calls stats", "[flags]",
		"Counts of calls by status and direction, the answer rate, and the average and p95 duration\n"+
			"(seconds) of answered calls that have ended. --group-by day|hour adds a row per UTC day or\n"+
			"hour that has calls (hour needs --from-date and at most 31 days).")
	var p sdk.CallStatsParams
	fs.StringVar(&p.Direction, "direction", "", "only calls in this direction: inbound or outbound")
	fs.StringVar(&p.PhoneNumberID, "phone-number-id", "", "only calls of this number (pn_…)")
	fs.StringVar(&p.EndpointID, "endpoint-id", "", "only calls routed to this endpoint (ep_…)")
	fs.StringVar(&p.FromDate, "from-date", "", "only calls created at or after this date (2025-01-10, a UTC day) or RFC 3339 time")
	fs.StringVar(&p.ToDate, "to-date", "", "only calls created at or before this date (its whole UTC day) or RFC 3339 time")
	fs.StringVar(&p.GroupBy, "group-by", "", "add a series: day or hour (UTC)")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	st, err := c.client.CallStats(ctx, p)
	if err != nil {
		return err
	}
	if c.output == outputJSON {
		return writeJSON(c.stdout, st)
	}
	rows := []*statsRow{{"all", st.CallMeasures}}
	for _, b := range st.Series {
		rows = append(rows, &statsRow{cellTime(b.Start), b.CallMeasures})
	}
	return writeTable(c.stdout, statsColumns, rows)
}

func cellNum(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

var statsColumns = []column[statsRow]{
	col("PERIOD", func(r *statsRow) string { return r.period }),
	col("CALLS", func(r *statsRow) string { return cellInt(r.m.TotalCalls) }),
	col("ANSWERED", func(r *statsRow) string { return cellInt(r.m.AnsweredCalls) }),
	col("ANSWER_RATE", func(r *statsRow) string { return cellNum(r.m.AnswerRate) }),
	col("AVG_S", func(r *statsRow) string { return cellNum(r.m.AverageDuration) }),
	col("P95_S", func(r *statsRow) string { return cellNum(r.m.P95Duration) }),
	col("INBOUND", func(r *statsRow) string { return cellInt(r.m.ByDirection[switchboard.DirectionInbound]) }),
	col("OUTBOUND", func(r *statsRow) string { return cellInt(r.m.ByDirection[switchboard.DirectionOutbound]) }),
	col("COMPLETED", func(r *statsRow) string { return cellInt(r.m.ByStatus[switchboard.CallCompleted]) }),
	col("FAILED", func(r *statsRow) string { return cellInt(r.m.ByStatus[switchboard.CallFailed]) }),
	col("BUSY", func(r *statsRow) string { return cellInt(r.m.ByStatus[switchboard.CallBusy]) }),
	col("NO_ANSWER", func(r *statsRow) string { return cellInt(r.m.ByStatus[switchboard.CallNoAnswer]) }),
	col("CANCELED", func(r *statsRow) string { return cellInt(r.m.ByStatus[switchboard.CallCanceled]) }),
}
