package client

import (
	"context"
	"net/url"

	"github.com/switchboard-voice/switchboard"
)

// CallStatsParams filters CallStats. FromDate and ToDate bound created_at,
// both inclusive, as for ListCalls; GroupBy ("day" or "hour", UTC buckets)
// adds the series.
type CallStatsParams struct {
	Direction     string // inbound or outbound
	PhoneNumberID string
	EndpointID    string
	FromDate      string
	ToDate        string
	GroupBy       string
}

func (p CallStatsParams) query() url.Values {
	q := url.Values{}
	setIf(q, "direction", p.Direction)
	setIf(q, "phone_number_id", p.PhoneNumberID)
	setIf(q, "endpoint_id", p.EndpointID)
	setIf(q, "from_date", p.FromDate)
	setIf(q, "to_date", p.ToDate)
	setIf(q, "group_by", p.GroupBy)
	return q
}

// CallStats reads the organisation's call statistics: counts by status
// and direction, answer rate, average and p95 duration, and with GroupBy
// the series (GET /v1/calls/stats).
func (c *Client) CallStats(ctx context.Context, p CallStatsParams) (*switchboard.CallStats, error) {
	return call[switchboard.CallStats](ctx, c, "GET", "/calls/stats", p.query(), nil)
}
