package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/falstudio/falstudio/internal/metrics"
)

// MetricsHandler serves the Prometheus text format for m (the METRICS_ADDR listener, which has
// no token: it is meant to be bound to a private interface).
func MetricsHandler(m *metrics.Metrics) http.Handler {
	return promhttp.HandlerFor(m.Gatherer(), promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// metricsWithToken serves /metrics on the main listener to a caller with
// "Authorization: Bearer METRICS_TOKEN". Both sides are hashed before the constant-time
// compare so neither the token's bytes nor its length leak through timing.
func (s *Server) metricsWithToken() http.Handler {
	want := sha256.Sum256([]byte(s.cfg.MetricsToken))
	next := MetricsHandler(s.Metrics)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		got := sha256.Sum256([]byte(tok))
		if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			errorJSON(w, http.StatusUnauthorized, "unauthenticated", "Send the metrics token as Authorization: Bearer <METRICS_TOKEN>.")
			return
		}
		next.ServeHTTP(w, r)
	})
}
