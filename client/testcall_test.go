package client_test

import (
	"context"
	"fmt"

	"github.com/switchboard-voice/switchboard/client"
)

func init() { methodOf["testCallPhoneNumber"] = "TestCallPhoneNumber" }

// Call a number from the node itself, no carrier needed, and see what
// happened: every SIP response, the call's timeline, its final status.
func ExampleClient_TestCallPhoneNumber() {
	c := client.New("http://localhost:8080", "kros_live_…")
	hold := 5
	tc, err := c.TestCallPhoneNumber(context.Background(), "pn_7hJ2kL4mN6pQ8rS0tU2v", client.TestCallParams{From: "+14155550123", Hold: &hold})
	if err != nil {
		fmt.Println(client.ErrorCode(err), err)
		return
	}
	fmt.Println("route:", tc.Route.Decision, tc.Route.Reason)
	for _, r := range tc.SIPResponses {
		fmt.Printf("%6d ms  %s %d %s\n", r.ElapsedMS, r.Method, r.Status, r.Reason)
	}
	for _, e := range tc.Events {
		fmt.Println(e.Timestamp.Format("15:04:05.000"), e.Type, e.Detail)
	}
	fmt.Println("status:", tc.Status)
}
