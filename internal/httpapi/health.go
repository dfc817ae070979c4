package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

// Probe is one dependency /readyz checks: the database, the media store.
type Probe struct {
	Name  string // named in the 503 body: "database", "media"
	Check func(context.Context) error
}

// probeTimeout keeps /readyz fast even when a dependency hangs (a load balancer probes often).
const probeTimeout = 2 * time.Second

// healthz answers 200 while the process serves: liveness only, no dependency is touched.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// readyz answers 200 when every probe passes, else 503 naming the failing parts. The errors
// themselves are logged, never returned: they may hold a bucket name, a path or a host.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	checks := map[string]string{}
	var failing []string
	for _, p := range s.Probes {
		ctx, cancel := context.WithTimeout(r.Context(), probeTimeout)
		err := p.Check(ctx)
		cancel()
		if err != nil {
			s.log.Warn("readiness check failed", "part", p.Name, "err", err)
			checks[p.Name] = "failing"
			failing = append(failing, p.Name)
			continue
		}
		checks[p.Name] = "ok"
	}
	if len(failing) > 0 {
		msg := "Not ready: " + strings.Join(failing, ", ") + " not answering."
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{
			"ok": false, "checks": checks, "failing": failing,
			"error": errorDetail{Code: model.CodeNotReady, Message: msg},
		})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "checks": checks})
}
