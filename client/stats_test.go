package client_test

import (
	"net/http"
	"testing"

	"github.com/switchboard-voice/switchboard/client"
)

func init() { methodOf["getCallStats"] = "CallStats" }

// TestCallStatsQuery checks the parameters CallStats sends and that the
// answer decodes; the numbers themselves are the server's (httpapi and
// storetest), and cmd/switchboard's calls stats test runs it against the
// real API.
func TestCallStatsQuery(t *testing.T) {
	t.Parallel()
	c, s, _ := newScripted(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"total_calls":3,"by_status":{"completed":2},"by_direction":{"inbound":3},"answered_calls":2,
			"answer_rate":0.6667,"average_duration":12.5,"p95_duration":null,"group_by":"day",
			"series":[{"start":"2025-01-10T00:00:00Z","total_calls":3,"by_status":{},"by_direction":{},"answered_calls":2,
			"answer_rate":0.6667,"average_duration":12.5,"p95_duration":14.75}]}`))
	})
	st, err := c.CallStats(t.Context(), client.CallStatsParams{Direction: "inbound", PhoneNumberID: "pn_1",
		EndpointID: "ep_1", FromDate: "2025-01-01", ToDate: "2025-01-31", GroupBy: "day"})
	if err != nil {
		t.Fatal(err)
	}
	reqs := s.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	want := "/v1/calls/stats?direction=inbound&endpoint_id=ep_1&from_date=2025-01-01&group_by=day&phone_number_id=pn_1&to_date=2025-01-31"
	if got := reqs[0].Method + " " + reqs[0].Path + "?" + reqs[0].Query; got != "GET "+want {
		t.Errorf("request %s, want GET %s", got, want)
	}
	if st.TotalCalls != 3 || st.ByStatus["completed"] != 2 || st.AnswerRate == nil || *st.AnswerRate != 0.6667 ||
		st.P95Duration != nil || len(st.Series) != 1 || st.Series[0].P95Duration == nil || *st.Series[0].P95Duration != 14.75 {
		t.Errorf("decoded %+v", st)
	}
}
