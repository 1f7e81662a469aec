// Package metrics owns batchgate's Prometheus registry: HTTP requests and
// upload bytes (Middleware), Bedrock calls (Jobs), spend, reconciler passes
// and finished batches (Store), and running batches by status with the
// reconciler's lag, read from the store at scrape time (Collector).
package metrics

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/batchgate/batchgate"
)

// Metrics holds the registry and batchgate's collectors.
type Metrics struct {
	Registry *prometheus.Registry

	httpRequests    *prometheus.CounterVec
	httpDuration    *prometheus.HistogramVec
	httpAborted     *prometheus.CounterVec
	uploadBytes     prometheus.Counter
	bedrockCalls    *prometheus.CounterVec
	bedrockDuration *prometheus.HistogramVec
	spend           *prometheus.CounterVec
	tokens          *prometheus.CounterVec
	batchesFinished *prometheus.CounterVec
	reconcilePasses prometheus.Counter
	reconcileLast   prometheus.Gauge
	webhooks        *prometheus.CounterVec
}

// New returns metrics registered on a new registry, with the Go runtime and
// process collectors.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "batchgate_http_requests_total", Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "batchgate_http_request_duration_seconds", Help: "HTTP request latency by route pattern and method.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"route", "method"}),
		httpAborted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "batchgate_http_requests_aborted_total", Help: "HTTP requests whose handler broke the connection (an interrupted file download), by route pattern and method; also counted in batchgate_http_requests_total with the status they had sent.",
		}, []string{"route", "method"}),
		uploadBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "batchgate_upload_bytes_total", Help: "Request body bytes received by file uploads.",
		}),
		bedrockCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "batchgate_bedrock_calls_total", Help: "Bedrock control-plane calls by operation and outcome (ok or the error code).",
		}, []string{"operation", "code"}),
		bedrockDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "batchgate_bedrock_call_duration_seconds", Help: "Bedrock control-plane call latency by operation.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"operation"}),
		spend: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "batchgate_spend_usd_total", Help: "USD billed for settled batches, by model name.",
		}, []string{"model"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "batchgate_tokens_total", Help: "Tokens billed for settled batches, by model name and direction (input or output).",
		}, []string{"model", "direction"}),
		batchesFinished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "batchgate_batches_finished_total", Help: "Batches that reached a terminal status, by status (counted once per batch).",
		}, []string{"status"}),
		reconcilePasses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "batchgate_reconciler_passes_total", Help: "Reconciliation passes started by this replica.",
		}),
		reconcileLast: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "batchgate_reconciler_last_pass_timestamp_seconds", Help: "Unix time at which this replica last started a reconciliation pass.",
		}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "batchgate_webhook_deliveries_total", Help: "Webhook delivery attempts by event type and outcome (delivered, retry, failed).",
		}, []string{"type", "outcome"}),
	}
	m.Registry.MustRegister(
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.httpDuration, m.httpAborted, m.uploadBytes, m.bedrockCalls, m.bedrockDuration,
		m.spend, m.tokens, m.batchesFinished, m.reconcilePasses, m.reconcileLast, m.webhooks,
	)
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Middleware counts requests by the ServeMux pattern that matched (so that
// ids in paths do not make labels) and file upload bytes. It must wrap the
// ServeMux itself: the mux records the pattern on the request it is given.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		var body *countingReader
		if r.Body != nil && r.Body != http.NoBody {
			body = &countingReader{ReadCloser: r.Body}
			r.Body = body
		}
		// A handler that panics (http.ErrAbortHandler from an interrupted
		// download) is counted with the status it had sent, and as aborted;
		// then the panic goes on to net/http.
		defer func() {
			if p := recover(); p != nil {
				m.observe(r, sw, body, start, true)
				panic(p)
			}
		}()
		next.ServeHTTP(sw, r)
		m.observe(r, sw, body, start, false)
	})
}

func (m *Metrics) observe(r *http.Request, sw *statusWriter, body *countingReader, start time.Time, aborted bool) {
	route, method := Route(r.Pattern), Method(r.Method)
	code := sw.status
	if code == 0 && aborted {
		code = http.StatusInternalServerError // nothing was sent: the client sees a broken connection
	} else if code == 0 {
		code = http.StatusOK
	}
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	if aborted {
		m.httpAborted.WithLabelValues(route, method).Inc()
	}
	if body != nil && r.Method == http.MethodPost && strings.HasSuffix(route, "/files") {
		m.uploadBytes.Add(float64(body.n))
	}
}

// Method is the method label: the standard HTTP methods as they are, any
// other (a client may send any token) "other", so that clients cannot
// create label values.
func Method(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return "other"
}

// Route turns a ServeMux pattern such as "GET /v1/batches/{batch_id}" into
// the route label "/v1/batches/{batch_id}"; unmatched requests are "other".
func Route(pattern string) string {
	if _, p, ok := strings.Cut(pattern, " "); ok {
		pattern = p
	}
	if pattern == "" || pattern == "/" {
		return "other"
	}
	return pattern
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes on streaming flushes (file contents).
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type countingReader struct {
	io.ReadCloser
	n int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.n += int64(n)
	return n, err
}

// Webhook counts one webhook delivery attempt.
func (m *Metrics) Webhook(eventType, outcome string) {
	m.webhooks.WithLabelValues(eventType, outcome).Inc()
}

// BatchFinished counts a batch that reached a terminal status.
func (m *Metrics) BatchFinished(status string) {
	m.batchesFinished.WithLabelValues(status).Inc()
}

// ErrorCode names an error for the code label: the AWS error code where the
// error carries one (ThrottlingException, ValidationException, ...), else
// the batchgate error code, else "error".
func ErrorCode(err error) string {
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) && coded.ErrorCode() != "" {
		return coded.ErrorCode()
	}
	var e *batchgate.Error
	if errors.As(err, &e) {
		return e.Code
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return "error"
}

// StatsFunc reads running batches by status and the oldest UpdatedAt among
// them; batchgate.EventStore.RunningBatchStats is one.
type StatsFunc func(ctx context.Context) (map[string]int64, *time.Time, error)

// statusesRunning are the non-terminal statuses, reported even when zero.
var statusesRunning = []string{batchgate.StatusValidating, batchgate.StatusInProgress, batchgate.StatusFinalizing, batchgate.StatusCancelling}

// collector reports the running batches and the reconciler's lag at scrape time.
type collector struct {
	stats   StatsFunc
	now     func() time.Time
	log     *slog.Logger
	running *prometheus.Desc
	lag     *prometheus.Desc
	up      *prometheus.Desc
}

// WatchStore adds gauges read from the store at each scrape:
// batchgate_batches{status} for running batches and
// batchgate_reconciler_lag_seconds, the age of the least recently updated
// running batch (the reconciler touches each running batch every pass, so a
// growing lag means batches are not being worked).
func (m *Metrics) WatchStore(stats StatsFunc, log *slog.Logger) {
	m.Registry.MustRegister(&collector{
		stats: stats, now: time.Now, log: log,
		running: prometheus.NewDesc("batchgate_batches", "Running (non-terminal) batches by status, read from the store.", []string{"status"}, nil),
		lag:     prometheus.NewDesc("batchgate_reconciler_lag_seconds", "Age of the least recently updated running batch (0 when none run).", nil, nil),
		up:      prometheus.NewDesc("batchgate_store_up", "1 if the store answered the scrape's query.", nil, nil),
	})
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.running
	ch <- c.lag
	ch <- c.up
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, oldest, err := c.stats(ctx)
	if err != nil {
		if c.log != nil {
			c.log.Warn("metrics: read batch stats", "err", err)
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	for _, s := range statusesRunning {
		ch <- prometheus.MustNewConstMetric(c.running, prometheus.GaugeValue, float64(counts[s]), s)
	}
	lag := 0.0
	if oldest != nil {
		lag = max(0, c.now().Sub(*oldest).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, lag)
}
