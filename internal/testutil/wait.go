package testutil

import (
	"testing"
	"time"
)

// WaitInterval is how long WaitFor pauses between two checks: short next to the seconds a
// test waits at most, long enough that a check reading a database or a server costs little.
const WaitInterval = 20 * time.Millisecond

// WaitFor checks cond until it holds, pausing WaitInterval between checks, and fails the test
// (naming what it waited for) once timeout has passed without it. cond runs on the test's
// goroutine, so it may call t.Fatal itself for a state that can no longer turn out well.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(WaitInterval)
	}
}
