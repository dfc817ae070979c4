package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRefusesNonLoopbackTargets(t *testing.T) {
	for _, target := range []string{"http://example.com", "http://10.0.0.1:8080", "http://[2001:db8::1]/", "http://127.0.0.1.example.com/", "not a url"} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"-target", target, "-email", "a@b.c", "-password", "x"}, &out); err == nil {
			t.Errorf("%s: accepted", target)
		}
	}
	for _, ok := range []string{"http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080", "http://127.1.2.3/"} {
		if err := loopbackOnly(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	if err := run(context.Background(), []string{"-database-url", "postgres://u@db.example.com/x"}, &bytes.Buffer{}); err == nil {
		t.Error("a remote database accepted")
	}
}

// A tiny bounded run of each scenario against the studio falload starts.
func TestScenariosSmoke(t *testing.T) {
	for _, args := range [][]string{
		{"-scenario", "gallery", "-conns", "2", "-duration", "1s", "-assets", "20", "-q", "fox"},
		{"-scenario", "gallery", "-conns", "2", "-duration", "1s", "-assets", "20", "-uncached"},
		{"-scenario", "sse", "-streams", "4", "-per-user", "2"},
		{"-scenario", "jobs", "-users", "3", "-jobs", "6", "-light-jobs", "1", "-job-time", "0s"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), args, &out); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out.String())
		}
		if !strings.Contains(out.String(), args[1]+":") || strings.Contains(out.String(), " 0 requests") {
			t.Fatalf("%v: %s", args, out.String())
		}
	}
}

// The scale scenario needs a loopback PostgreSQL and a built studio binary, and says so.
func TestScaleNeedsItsParts(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-scenario", "scale"}, "-database-url"},
		{[]string{"-scenario", "scale", "-database-url", "postgres://u@127.0.0.1/x"}, "-studio-bin"},
		{[]string{"-scenario", "scale", "-database-url", "postgres://u@db.example.com/x", "-studio-bin", "/bin/true"}, "loopback"},
		{[]string{"-scenario", "scale", "-target", "http://127.0.0.1:1"}, "-target"},
	} {
		err := run(context.Background(), tc.args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error naming %s", tc.args, err, tc.want)
		}
	}
}
