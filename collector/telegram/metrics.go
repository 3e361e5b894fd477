package telegram

import (
	"context"
	"errors"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/prometheus/client_golang/prometheus"
)

// Results of a call, the "result" label of tidewatch_telegram_calls_total.
const (
	resultOK        = "ok"
	resultFloodWait = "flood_wait"
	resultError     = "error"
)

// metrics are the Prometheus collectors shared by every account registered on
// the same Registerer.
type metrics struct {
	calls     *prometheus.CounterVec
	waited    *prometheus.CounterVec
	durations *prometheus.HistogramVec
}

// newMetrics registers the collectors on reg, or finds the ones an earlier
// account registered there. A nil reg gives nil: no metrics.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tidewatch_telegram_calls_total",
			Help: "Telegram RPC calls by account, method and result (ok, flood_wait, error).",
		}, []string{"account", "method", "result"}),
		waited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tidewatch_telegram_flood_wait_seconds_total",
			Help: "Seconds of flood wait Telegram imposed, by account and method.",
		}, []string{"account", "method"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tidewatch_telegram_call_duration_seconds",
			Help:    "Round-trip time of Telegram RPC calls by method.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 9), // 1 ms .. 65 s
		}, []string{"method"}),
	}
	var err error
	if m.calls, err = register(reg, m.calls); err != nil {
		return nil, err
	}
	if m.waited, err = register(reg, m.waited); err != nil {
		return nil, err
	}
	if m.durations, err = register(reg, m.durations); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the equal collector already registered.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	if err != nil {
		var zero C
		return zero, err
	}
	return c, nil
}

// metricsMiddleware counts one account's calls; it is a gotd middleware, so it
// sees every RPC the client makes, logins and configuration requests included.
type metricsMiddleware struct {
	m       *metrics
	account string
}

// Handle implements telegram.Middleware.
func (mw metricsMiddleware) Handle(next tg.Invoker) telegram.InvokeFunc {
	return func(ctx context.Context, input bin.Encoder, output bin.Decoder) error {
		method := methodName(input)
		start := time.Now()
		err := next.Invoke(ctx, input, output)
		mw.m.durations.WithLabelValues(method).Observe(time.Since(start).Seconds())
		result := resultOK
		if err != nil {
			result = resultError
			if d, ok := tgerr.AsFloodWait(err); ok {
				result = resultFloodWait
				mw.m.waited.WithLabelValues(mw.account, method).Add(d.Seconds())
			}
		}
		mw.m.calls.WithLabelValues(mw.account, method, result).Inc()
		return err
	}
}

// methodName is the TL name of a request ("messages.getHistory").
func methodName(input bin.Encoder) string {
	if n, ok := input.(interface{ TypeName() string }); ok {
		return n.TypeName()
	}
	return "unknown"
}
