package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/switchboard-voice/switchboard"
	sdk "github.com/switchboard-voice/switchboard/client"
)

// `switchboard call NUMBER`: a test call (POST
// /v1/phone-numbers/{id}/test-call) with no carrier. The node calls its
// own number from its built-in user agent; the command prints where the
// call was routed, every SIP response, the timeline and the final status.
// It exits 0 when the call was answered, 1 when it was not, so a script or
// CI job can check that a number reaches its agent.

func init() {
	topCommands["call"] = apiCommand{"place a test call to a number from the node itself (no carrier)", runCall}
}

func runCall(ctx context.Context, c *cli, args []string) error {
	fs := c.flagSet("call", "NUMBER|PHONE_NUMBER_ID [--from +E164] [--hold 10s]",
		"Place a real SIP call to one of the organisation's numbers from the node's own user agent: it goes\n"+
			"through routing, the endpoint, failover and the records like a carrier's call (marked test: true).\n"+
			"Prints the route, every SIP response, the timeline and the final status; exits 1 if not answered.")
	from := fs.String("from", "", "the caller's number in E.164 (default: the called number)")
	hold := fs.Duration("hold", switchboard.DefaultTestCallHold, "how long to stay on the line once answered, whole seconds up to 60s")
	number, flags, err := splitNumber(args)
	if err != nil {
		return err
	}
	if err := c.parse(fs, flags); err != nil {
		return err
	}
	if number == "" {
		return usageError{"switchboard call: which number? (switchboard call +14155550123)"}
	}
	if *hold < 0 || *hold > switchboard.MaxTestCallHold || *hold%time.Second != 0 {
		return usageError{fmt.Sprintf("--hold must be whole seconds from 0s to %s, not %s", switchboard.MaxTestCallHold, *hold)}
	}
	id, err := phoneNumberID(ctx, c.client, number)
	if err != nil {
		return err
	}
	secs := int(*hold / time.Second)
	tc, err := c.client.TestCallPhoneNumber(ctx, id, sdk.TestCallParams{From: *from, Hold: &secs})
	if err != nil {
		return err
	}
	if c.output == outputJSON {
		err = writeJSON(c.stdout, tc)
	} else {
		err = writeTestCall(c, tc)
	}
	if err != nil {
		return err
	}
	if !tc.Answered {
		why := tc.Status
		if tc.Error != "" {
			why = tc.Error
		}
		return fmt.Errorf("the call was not answered (%s)", why)
	}
	return nil
}

// splitNumber takes the number off args, where flags may come before or
// after it (flag stops at the first argument that is not one). Every flag
// of the command takes a value, so a flag without "=" takes the next
// argument with it; -h needs none, and c.parse sees it.
func splitNumber(args []string) (number string, flags []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-h" || a == "-help" || a == "--help":
			flags = append(flags, a)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		case number == "":
			number = a
		default:
			return "", nil, usageError{fmt.Sprintf("switchboard call: one number, not %q and %q", number, a)}
		}
	}
	return number, flags, nil
}

// phoneNumberID finds the organisation's number given as an ID (pn_…) or
// as a number, in E.164 or as the API shows it.
func phoneNumberID(ctx context.Context, cl *sdk.Client, arg string) (string, error) {
	if strings.HasPrefix(arg, "pn_") {
		return arg, nil
	}
	e164, err := switchboard.NormalizeE164(arg, "")
	if err != nil {
		e164 = ""
	}
	for n, err := range cl.ListPhoneNumbers(ctx, sdk.ListPhoneNumbersParams{}) {
		if err != nil {
			return "", err
		}
		if n.Number == arg || (e164 != "" && n.E164 == e164) {
			return n.ID, nil
		}
	}
	return "", &sdk.Error{Status: 404, Code: switchboard.ECodeNumberNotFound,
		Message: fmt.Sprintf("The organisation has no number %s (switchboard numbers list shows its numbers).", arg)}
}

// writeTestCall prints a test call for a person: the route, the SIP
// responses with their times, the timeline and the outcome.
func writeTestCall(c *cli, tc *sdk.TestCall) error {
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	r := tc.Route
	route := r.Decision + " (" + r.Reason + ")"
	for i, t := range r.Targets {
		sep := " → "
		if i > 0 {
			sep = ", then "
		}
		route += sep + t.Endpoint.Type + " endpoint " + t.EndpointID + " " + fmt.Sprintf("%q", t.Endpoint.Name)
		if t.Fallback {
			route += " (fallback)"
		}
	}
	if r.SIPStatus != nil {
		route += fmt.Sprintf(" → SIP %d", *r.SIPStatus)
	}
	fmt.Fprintf(tw, "Call\t%s → %s (%s), held %ds once answered\n", tc.From, tc.Number, tc.PhoneNumberID, tc.Hold)
	fmt.Fprintf(tw, "Route\t%s\n", cleanCell(route))
	for i, s := range tc.SIPResponses {
		label := ""
		if i == 0 {
			label = "SIP"
		}
		fmt.Fprintf(tw, "%s\t+%d ms\t%s %d %s\n", label, s.ElapsedMS, s.Method, s.Status, cleanCell(s.Reason))
	}
	for i, e := range tc.Events {
		label := ""
		if i == 0 {
			label = "Timeline"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", label, e.Timestamp.Format("15:04:05.000"), e.Type, e.Status, cleanCell(e.Detail))
	}
	if tc.Error != "" {
		fmt.Fprintf(tw, "Error\t%s\n", cleanCell(tc.Error))
	}
	status := tc.Status
	if status == "" {
		status = "not recorded"
	}
	if tc.Call != nil {
		status += " (call " + tc.CallID
		if tc.Call.HangupCause != "" {
			status += ", " + tc.Call.HangupCause
		}
		if tc.HungUpBy != "" {
			status += ", hung up by " + map[string]string{"test": "the test call", "node": "the agent"}[tc.HungUpBy]
		}
		status += ")"
	}
	fmt.Fprintf(tw, "Status\t%s\n", status)
	return tw.Flush()
}
