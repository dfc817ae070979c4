package fal_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/falsim"
)

// fal's answer to cancelling a job that completed meanwhile varies (400 {"status"}, or another
// 4xx with a {detail} body): every such 4xx is "already completed", never an error. 404 is an
// unknown job; 401 (the key) and 429 (slow down) stay errors.
func TestCancelOfACompletedJob(t *testing.T) {
	for _, code := range []int{0, 400, 403, 405, 409, 410, 422} {
		sim := falsim.NewTest(t, falsim.Options{CancelDoneCode: code})
		c := client(t, sim.URLs(), nil)
		ctx := context.Background()
		sub, err := c.Submit(ctx, "sim-key", "fal-ai/flux/dev", map[string]any{"prompt": "a cat"})
		if err != nil {
			t.Fatal(err)
		}
		if st, err := c.Status(ctx, "sim-key", "fal-ai/flux/dev", sub.RequestID); err != nil || st.State != fal.StateCompleted {
			t.Fatalf("status: %+v %v", st, err)
		}
		if out, err := c.Cancel(ctx, "sim-key", "fal-ai/flux/dev", sub.RequestID); err != nil || out != fal.CancelAlreadyCompleted {
			t.Errorf("cancel answered %d: %q %v", code, out, err)
		}
	}

	for _, tc := range []struct {
		code int
		body string
		want fal.CancelOutcome
		err  string
	}{
		{404, `{"detail":"Request not found"}`, fal.CancelNotFound, ""},
		{400, `{"status":"NOT_FOUND"}`, fal.CancelNotFound, ""},
		{409, `{"detail":"Request is already completed."}`, fal.CancelAlreadyCompleted, ""},
		{401, `{"detail":"No user found for Key ID and Secret"}`, "", fal.CodeKeyInvalid},
		{429, `{"detail":"Too many requests"}`, "", fal.CodeUnavailable},
		{503, `{"detail":"Runner disconnected"}`, "", fal.CodeUnavailable},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.code)
			w.Write([]byte(tc.body))
		}))
		c := fal.New(fal.Config{QueueURL: srv.URL, MaxRetries: 1, Sleep: func(context.Context, time.Duration) error { return nil }})
		out, err := c.Cancel(context.Background(), "k:s", "fal-ai/flux/dev", "req-1")
		srv.Close()
		var fe *fal.Error
		switch {
		case tc.err == "" && (err != nil || out != tc.want):
			t.Errorf("%d %s: %q %v, want %q", tc.code, tc.body, out, err, tc.want)
		case tc.err != "" && (!errors.As(err, &fe) || fe.Code != tc.err):
			t.Errorf("%d %s: %q %v, want error %s", tc.code, tc.body, out, err, tc.err)
		}
	}
}

// Billing and pricing refusals say what the key lacks, not that fal rejected it.
func TestKeyPermissionMessages(t *testing.T) {
	sim := falsim.NewTest(t, falsim.Options{})
	c := client(t, sim.URLs(), nil)
	ctx := context.Background()
	_, err := c.Credits(ctx, "sim-key")
	var fe *fal.Error
	if !errors.As(err, &fe) || fe.Code != fal.CodeAdminKeyRequired ||
		!strings.Contains(fe.Message, "a key with billing access (ADMIN scope or a billing permission)") {
		t.Fatalf("billing with an API key: %v", err)
	}
	_, err = c.Pricing(ctx, "sim-nopricing:s", []string{"fal-ai/flux/dev"})
	if !errors.As(err, &fe) || fe.Status != http.StatusForbidden || !strings.Contains(fe.Message, "lacks pricing access") ||
		strings.Contains(fe.Message, "rejected") {
		t.Fatalf("pricing without the permission: %v", err)
	}
	_, err = c.EstimateCost(ctx, "sim-nopricing:s", fal.EstimateHistorical, "fal-ai/flux/dev", 1)
	if !errors.As(err, &fe) || !strings.Contains(fe.Message, "lacks pricing access") {
		t.Fatalf("estimate without the permission: %v", err)
	}
	// A key fal does not know is still told so.
	_, err = c.Pricing(ctx, "bad-key", []string{"fal-ai/flux/dev"})
	if !errors.As(err, &fe) || fe.Code != fal.CodeKeyInvalid || !strings.Contains(fe.Message, "rejected your API key") {
		t.Fatalf("pricing with a bad key: %v", err)
	}
}
