package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/switchboard-voice/switchboard"
)

// metrics are the Prometheus series served at /metrics.
type metrics struct {
	registry   *prometheus.Registry
	deliveries *prometheus.CounterVec
	latency    prometheus.Histogram
}

func newMetrics(queue switchboard.DeliveryQueue) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_webhook_attempts_total",
			Help: "Webhook delivery attempts by outcome: delivered, retry (will be tried again) or failed (for good).",
		}, []string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "switchboard_webhook_attempt_duration_seconds",
			Help:    "Time from sending a webhook POST to its response.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}),
	}
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "switchboard_webhook_queue_depth",
		Help: "Webhook deliveries waiting for an attempt (due now or scheduled for a retry).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := queue.CountPendingDeliveries(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	for _, outcome := range []string{"delivered", "retry", "failed"} {
		m.deliveries.WithLabelValues(outcome) // so every series exists from the start
	}
	m.registry.MustRegister(m.deliveries, m.latency, depth,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observeAttempt is the delivery worker's Observe hook.
func (m *metrics) observeAttempt(outcome string, latency time.Duration) {
	m.deliveries.WithLabelValues(outcome).Inc()
	if latency > 0 {
		m.latency.Observe(latency.Seconds())
	}
}
