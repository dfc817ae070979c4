// Package metrics holds the studio's Prometheus collectors in one struct, registered on its own
// registry (never the global one), so tests and several studios in one process stay apart.
//
// Labels are bounded and never personal: routes are ServeMux patterns, models are catalogue ids
// or "custom", codes and statuses come from fixed vocabularies. An email, a prompt or a key can
// never become a label value. Every method is safe on a nil *Metrics (metrics off).
package metrics

import (
	"regexp"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Options configure the collectors.
type Options struct {
	// Models are the catalogue ids that may appear as a model label; every other id is "custom",
	// so a user's own fal app id never becomes a label (and the series count stays bounded).
	Models []string
}

// Metrics is every collector the studio exposes.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	generations  *prometheus.CounterVec
	jobPhase     *prometheus.HistogramVec
	falErrors    *prometheus.CounterVec
	s3Fallbacks  prometheus.Counter
	resyncs      *prometheus.CounterVec
	streams      prometheus.Gauge
	inFlight     prometheus.Gauge

	models map[string]bool
}

// New builds and registers the collectors, with the Go runtime and process collectors.
func New(o Options) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), models: map[string]bool{}}
	for _, id := range o.Models {
		m.models[id] = true
	}
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "falstudio_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
	}, []string{"route", "method", "status"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "falstudio_http_request_duration_seconds", Help: "HTTP request latency by route pattern (event streams excluded).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route"})
	m.generations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "falstudio_generations_total", Help: "Generations that reached a final status, by status and model (catalogue id or custom).",
	}, []string{"status", "model"})
	m.jobPhase = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "falstudio_job_phase_duration_seconds", Help: "Time a job step took, by the phase it was in (queued/running: a fal status poll and result fetch; saving: download and store; total: submit to final status).",
		Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900},
	}, []string{"phase"})
	m.falErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "falstudio_fal_errors_total", Help: "Errors from fal by SPEC error code.",
	}, []string{"code"})
	m.s3Fallbacks = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "falstudio_s3_fallbacks_total", Help: "Files kept on local disk because the S3 upload failed.",
	})
	m.resyncs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "falstudio_s3_resyncs_total", Help: "Re-syncs of locally kept files to S3, by result.",
	}, []string{"result"})
	m.streams = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "falstudio_event_streams_open", Help: "Server-sent event streams open now.",
	})
	m.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "falstudio_jobs_in_flight", Help: "Job steps being worked now by this process.",
	})
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.generations, m.jobPhase, m.falErrors,
		m.s3Fallbacks, m.resyncs, m.streams, m.inFlight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Gatherer is what the /metrics handler serves.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

var methods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

// HTTPRequest records one finished request. route is the ServeMux pattern without its method
// ("" when nothing matched: recorded as "unmatched").
func (m *Metrics) HTTPRequest(route, method string, status int, d time.Duration, stream bool) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	if !methods[method] {
		method = "OTHER"
	}
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	if !stream { // a stream's lifetime is not a latency
		m.httpDuration.WithLabelValues(route).Observe(d.Seconds())
	}
}

// modelLabel bounds the model label: catalogue ids as themselves, anything else "custom".
func (m *Metrics) modelLabel(model string) string {
	if m.models[model] {
		return model
	}
	return "custom"
}

var codeShape = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// code bounds a status or error-code label to the shape of our fixed vocabularies.
func code(s string) string {
	if codeShape.MatchString(s) {
		return s
	}
	return "other"
}

// JobFinished counts a generation that reached its final status; total is the time from its
// submission, recorded as the phase "total".
func (m *Metrics) JobFinished(status, model string, total time.Duration) {
	if m == nil {
		return
	}
	m.generations.WithLabelValues(code(status), m.modelLabel(model)).Inc()
	if total > 0 {
		m.jobPhase.WithLabelValues("total").Observe(total.Seconds())
	}
}

// JobPhase records how long a job step took in the given phase.
func (m *Metrics) JobPhase(phase string, d time.Duration) {
	if m == nil {
		return
	}
	m.jobPhase.WithLabelValues(code(phase)).Observe(d.Seconds())
}

// FalError counts an error fal caused, by its SPEC code.
func (m *Metrics) FalError(errCode string) {
	if m == nil {
		return
	}
	m.falErrors.WithLabelValues(code(errCode)).Inc()
}

// S3Fallback counts a file kept on local disk because S3 failed.
func (m *Metrics) S3Fallback() {
	if m == nil {
		return
	}
	m.s3Fallbacks.Inc()
}

// Resync counts one re-sync attempt of a local file to S3.
func (m *Metrics) Resync(ok bool) {
	if m == nil {
		return
	}
	result := "ok"
	if !ok {
		result = "failed"
	}
	m.resyncs.WithLabelValues(result).Inc()
}

// StreamOpened and StreamClosed track open event streams.
func (m *Metrics) StreamOpened() {
	if m != nil {
		m.streams.Inc()
	}
}

// StreamClosed is the counterpart of StreamOpened.
func (m *Metrics) StreamClosed() {
	if m != nil {
		m.streams.Dec()
	}
}

// JobsInFlight moves the in-flight gauge by delta (+1 when a worker takes a job, -1 when done).
func (m *Metrics) JobsInFlight(delta int) {
	if m != nil {
		m.inFlight.Add(float64(delta))
	}
}
