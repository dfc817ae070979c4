package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/falstudio/falstudio/internal/falsim"
)

// The program prints every variable the studio needs, then the marker scripts wait for, and
// serves until its context ends.
func TestRunPrintsEnvAndServes(t *testing.T) {
	for _, export := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		args := []string{"-addr", "127.0.0.1:0", "-timing", "instant"}
		if export {
			args = append(args, "-export")
		}
		done := make(chan error, 1)
		go func() {
			err := run(ctx, args, pw, io.Discard)
			pw.Close()
			done <- err
		}()
		env := map[string]string{}
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "Ctrl+C stops") {
				break
			}
			if strings.HasPrefix(line, "#") {
				continue
			}
			if export != strings.HasPrefix(line, "export ") {
				t.Fatalf("export=%v: %q", export, line)
			}
			k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
			if !ok {
				t.Fatalf("odd line %q", line)
			}
			env[k] = v
		}
		for _, k := range falsim.EnvNames {
			if env[k] == "" {
				t.Fatalf("%s missing from %v", k, env)
			}
		}
		if !strings.HasPrefix(env["FAL_MEDIA_HOSTS"], "127.0.0.1:") || !strings.HasPrefix(env["FAL_QUEUE_URL"], "http://127.0.0.1:") {
			t.Fatalf("not on loopback: %v", env)
		}
		req, _ := http.NewRequest("POST", env["FAL_QUEUE_URL"]+"/fal-ai/flux/dev", strings.NewReader(`{"prompt":"x"}`))
		req.Header.Set("Authorization", "Key sim-key")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("submit: %v", err)
		}
		resp.Body.Close()
		cancel()
		// Drains the program's output so that it can exit; the copy ends, with whatever error,
		// when the program closes the pipe, and the exit status below is what is checked.
		go func() { _, _ = io.Copy(io.Discard, pr) }()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestRunRulesAndBadFlags(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-rules"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, tr := range falsim.Triggers {
		if !strings.Contains(out.String(), tr.Effect) {
			t.Fatalf("rules miss %q", tr.Effect)
		}
	}
	for _, args := range [][]string{{"-timing", "warp"}, {"-nope"}, {"-addr", "256.0.0.1:99999"}} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
