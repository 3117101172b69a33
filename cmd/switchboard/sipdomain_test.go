package main

import (
	"slices"
	"testing"
)

func TestSIPDomain(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg        ServeConfig
		domain     string
		transports []string
	}{
		{ServeConfig{SIPAddr: ":5060"}, "127.0.0.1", []string{"udp", "tcp"}},
		{ServeConfig{SIPAddr: "10.0.0.5:5060"}, "10.0.0.5", []string{"udp", "tcp"}},
		{ServeConfig{SIPAddr: ":5060", SIPAdvertise: "sip.example.com:5080"}, "sip.example.com", []string{"udp", "tcp"}},
		{ServeConfig{SIPAddr: ":5060", SIPAdvertise: "sip.example.com"}, "sip.example.com", []string{"udp", "tcp"}},
		{ServeConfig{SIPAddr: ":5060", SIPAdvertise: "sip.example.com", SIPDomain: "voice.example.com", SIPTLSAddr: ":5061"},
			"voice.example.com", []string{"udp", "tcp", "tls"}},
	} {
		if got := tc.cfg.sipDomain(); got != tc.domain {
			t.Errorf("%+v: domain %q, want %q", tc.cfg, got, tc.domain)
		}
		if got := tc.cfg.sipTransports(); !slices.Equal(got, tc.transports) {
			t.Errorf("%+v: transports %v, want %v", tc.cfg, got, tc.transports)
		}
	}
}
