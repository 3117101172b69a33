package sipedge

import "github.com/prometheus/client_golang/prometheus"

// edgeMetrics are the call plane's Prometheus series.
type edgeMetrics struct {
	calls    *prometheus.CounterVec
	rejected *prometheus.CounterVec
	setup    prometheus.Histogram
	active   prometheus.Gauge
}

func newEdgeMetrics(reg prometheus.Registerer, e *Edge) *edgeMetrics {
	m := &edgeMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_calls_total",
			Help: "Calls ended, by final status (completed, failed, busy, no_answer, canceled).",
		}, []string{"status"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_sip_invites_refused_total",
			Help: "INVITEs refused before a call was created: untrusted source (403; challenged with 407 when agents may place calls), bad_credentials, auth_failed (wrong password or unknown username) or auth_unavailable (credentials lookup failed) of an agent's INVITE, draining node, malformed, a late retransmission of an ended call's INVITE, or rate_limited (from an untrusted source past its share of answers, or out of failed digest attempts: dropped unanswered).",
		}, []string{"reason"}),
		setup: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "switchboard_call_setup_seconds",
			Help:    "Time from the caller's INVITE to the 200 relayed to it.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "switchboard_calls_active",
			Help: "Calls live on this node (being set up or connected).",
		}),
	}
	for _, s := range []string{"completed", "failed", "busy", "no_answer", "canceled"} {
		m.calls.WithLabelValues(s)
	}
	for _, r := range []string{refusedUntrusted.reason, refusedDraining.reason, refusedMalformed.reason, refusedRateLimited, "retransmission",
		refusedChallenged.reason, refusedBadCredentials.reason, refusedAuthFailed.reason, refusedAuthUnavailable.reason} {
		m.rejected.WithLabelValues(r)
	}
	if reg != nil {
		// Compared across nodes, it shows one that has fallen behind
		// the change feed.
		routed := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "switchboard_routing_numbers",
			Help: "Numbers in this node's in-memory routing table.",
		}, func() float64 { return float64(e.table.Len()) })
		reg.MustRegister(m.calls, m.rejected, m.setup, m.active, routed)
	}
	return m
}

func (m *edgeMetrics) outcome(status string) { m.calls.WithLabelValues(status).Inc() }
