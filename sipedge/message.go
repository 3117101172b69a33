package sipedge

import (
	"context"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/switchboard-voice/switchboard"
)

// This file sends and answers SIP messages outside a call's dialogs.

// do sends a non-INVITE request and waits for its final response.
func (e *Edge) do(ctx context.Context, req *sip.Request, opts ...sipgo.ClientRequestOption) (*sip.Response, error) {
	if len(opts) == 0 {
		opts = []sipgo.ClientRequestOption{e.addVia}
	}
	tx, err := e.cli.TransactionRequest(ctx, req, opts...)
	if err != nil {
		return nil, err
	}
	defer tx.Terminate()
	for {
		select {
		case res := <-tx.Responses():
			if res.StatusCode >= 200 {
				return res, nil
			}
		case <-tx.Done():
			return nil, tx.Err()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// contact is our Contact in a message of the leg whose INVITE (or
// in-dialog request) is req: per its transport, and sips: when its
// Request-URI is. It returns a copy of its own, for the message to hold.
func (e *Edge) contact(req *sip.Request) *sip.ContactHeader {
	c, ok := e.contacts[contactKey(req)]
	if !ok {
		c = e.contacts["UDP"]
	}
	return c.Clone()
}

// contactKey is the key of e.contacts for a leg whose request is req.
func contactKey(req *sip.Request) string {
	if req.Recipient.Scheme == "sips" {
		return "SIPS"
	}
	return req.Transport()
}

// toSIPUri converts a validated endpoint URI into sipgo's form.
func toSIPUri(u switchboard.SIPURI) sip.Uri {
	out := sip.Uri{Scheme: u.Scheme, User: u.User, Host: u.Host, Port: u.Port}
	if len(u.Params) > 0 {
		out.UriParams = sip.NewParams()
		for _, p := range u.Params {
			out.UriParams.Add(p.Name, p.Value)
		}
	}
	return out
}

func (e *Edge) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	if err := tx.Respond(optionsResponse(req)); err != nil {
		e.log.Debug("answer OPTIONS", "err", err)
	}
}

// optionsResponse answers an OPTIONS: a carrier's keep-alive, or anyone's
// question about what we take.
func optionsResponse(req *sip.Request) *sip.Response {
	res := statelessResponse(req, 200, "OK")
	res.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS"))
	return res
}

// respond sends a response built from req, logging (at debug: the peer
// may simply be gone) when it cannot be sent.
func (e *Edge) respond(tx sip.ServerTransaction, req *sip.Request, status int, reason string) {
	res := sip.NewResponseFromRequest(req, status, reason, nil)
	if err := tx.Respond(res); err != nil {
		e.log.Debug("send response", "status", status, "err", err)
	}
}
