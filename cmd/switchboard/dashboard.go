package main

import (
	"context"
	"net"
	"net/http"

	"github.com/switchboard-voice/switchboard/httpapi"
	"github.com/switchboard-voice/switchboard/web"
	"github.com/switchboard-voice/switchboard/webhook"
)

// newDashboard returns the dashboard over the program's store and SIP
// edge, served under web.Prefix on the API's listener.
func (m *Main) newDashboard(onQueued func()) (*web.Handler, error) {
	listeners := []string{"udp+tcp " + m.edge.Addr()}
	if a := m.edge.TLSAddr(); a != "" {
		listeners = append(listeners, "tls "+a)
	}
	allowPrivate := m.Config.WebhookAllowPrivate
	return web.New(web.Config{
		Store:        m.store,
		Calls:        m.edge,
		Node:         m.Config.Node,
		SIPDomain:    m.Config.sipDomain(),
		SIPListeners: listeners,
		CheckWebhookURL: func(ctx context.Context, url string) error {
			return webhook.CheckURL(ctx, url, allowPrivate, net.DefaultResolver)
		},
		OnDeliveriesQueued: onQueued,
		// The origin TrustedProxies.Wrap resolved for the whole listener.
		StatusOf:   httpapi.StatusOf,
		IsHTTPS:    httpapi.RequestIsHTTPS,
		ClientAddr: func(r *http.Request) string { return httpapi.ClientAddr(r).String() },
		Logger:     m.logger,
	})
}
