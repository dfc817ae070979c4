package httpapi

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/falstudio/falstudio/internal/metrics"
	"github.com/falstudio/falstudio/internal/model"
)

type ctxKey int

const (
	ctxRequestID ctxKey = iota
	ctxUser
	ctxSession
	ctxLogInfo
)

func requestID(ctx context.Context) string {
	v, _ := ctx.Value(ctxRequestID).(string)
	return v
}

// logInfo is filled by later handlers (the user id, the matched route pattern) and read by the
// access log and the request metrics.
type logInfo struct {
	userID  int64
	pattern string
}

type statusRecorder struct {
	http.ResponseWriter
	status  int
	bytes   int64
	metrics *metrics.Metrics
	stream  bool // the response is an event stream (counted as open until it ends)
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
		if code == http.StatusOK && strings.HasPrefix(r.Header().Get("Content-Type"), "text/event-stream") {
			r.stream = true
			r.metrics.StreamOpened()
		}
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines (SSE, media).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests gives each request an id and writes one access-log line when it ends.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := rand.Text()[:12]
		li := &logInfo{}
		ctx := context.WithValue(context.WithValue(r.Context(), ctxRequestID, id), ctxLogInfo, li)
		rec := &statusRecorder{ResponseWriter: w, metrics: s.Metrics}
		w.Header().Set("X-Request-Id", id)
		defer func() {
			if rec.stream {
				s.Metrics.StreamClosed()
			}
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		_, route, _ := strings.Cut(li.pattern, " ") // "GET /api/me" → "/api/me"; the method is its own label
		if route == "" {
			route = li.pattern
		}
		s.Metrics.HTTPRequest(route, r.Method, status, time.Since(start), rec.stream)
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelWarn
		}
		s.log.LogAttrs(ctx, level, "request",
			slog.String("request_id", id), slog.Int64("user_id", li.userID), slog.String("method", r.Method),
			slog.String("path", redactPath(r.URL.Path)), slog.Int("status", status), slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)), slog.String("ip", s.clientIP(r)))
	})
}

// recordPattern passes the route pattern ServeMux matched (r.Pattern, set on the request the
// mux receives) back to the access log and metrics, which wrap the mux from outside.
func recordPattern(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if li, ok := r.Context().Value(ctxLogInfo).(*logInfo); ok {
				li.pattern = r.Pattern
			}
		}()
		mux.ServeHTTP(w, r)
	})
}

// methodNotAllowed wraps a catch-all: a path that a route serves with other methods answers
// 405 method_not_allowed (with Allow) instead of falling through to the catch-all's 404 or the
// UI. ServeMux would do this itself were there no method-less catch-all patterns.
func methodNotAllowed(mux *http.ServeMux, next http.Handler) http.Handler {
	probe := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range probe {
			if m == r.Method {
				continue
			}
			q := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
			if _, p := mux.Handler(q); p != "" && p != "/" && p != "/api/" {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 || (r.Method == http.MethodHead && slices.Contains(allow, http.MethodGet)) {
			next.ServeHTTP(w, r)
			return
		}
		if slices.Contains(allow, http.MethodGet) {
			allow = append(allow, http.MethodHead)
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		errorJSON(w, http.StatusMethodNotAllowed, model.CodeMethodNotAllowed, "This route does not take "+r.Method+"; it takes "+strings.Join(allow, ", ")+".")
	})
}

// recoverPanics turns a panic into a logged 500 instead of a dropped connection.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "request_id", requestID(r.Context()), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				errorJSON(w, http.StatusInternalServerError, model.CodeInternal, "Something went wrong on the server.")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if isSharePath(r.URL.Path) {
			h.Set("Referrer-Policy", "no-referrer") // the path holds a share token
		}
		h.Set("X-Frame-Options", "DENY")
		if s.cfg.SecureCookies() {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// apiDeadline gives ordinary API requests (and /mcp, whose generate waits at most a minute) a
// write deadline; streams and media set their own.
func apiDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (strings.HasPrefix(r.URL.Path, "/api/") && !strings.HasSuffix(r.URL.Path, "/events")) || r.URL.Path == "/mcp" {
			_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(2 * time.Minute))
		}
		next.ServeHTTP(w, r)
	})
}

// clientIP is the peer address, or the nearest untrusted X-Forwarded-For hop when the peer is a
// trusted proxy (TRUSTED_PROXIES). Rate limits key on it.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if !s.trusted(host) {
		return host
	}
	hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h := strings.TrimSpace(hops[i])
		if h == "" {
			continue
		}
		if net.ParseIP(h) == nil {
			return host
		}
		if !s.trusted(h) {
			return h
		}
	}
	return host
}

func (s *Server) trusted(ip string) bool {
	p := net.ParseIP(ip)
	if p == nil {
		return false
	}
	for _, n := range s.cfg.TrustedProxies {
		if n.Contains(p) {
			return true
		}
	}
	return false
}
