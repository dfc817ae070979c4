package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	l := New(Limit{Every: time.Hour, Burst: 1}, 3)
	now := time.Now()
	for _, k := range []string{"a", "b", "c"} {
		if ok, _ := l.Take(k, now); !ok {
			t.Fatalf("%s: first attempt refused", k)
		}
	}
	if ok, _ := l.Take("a", now); ok { // a is spent, and now the most recently used
		t.Fatal("a: second attempt allowed")
	}
	if ok, _ := l.Take("d", now); !ok { // evicts b, the least recently used
		t.Fatal("d refused")
	}
	if l.Size() != 3 {
		t.Fatalf("size %d", l.Size())
	}
	if ok, _ := l.Take("a", now); ok {
		t.Fatal("a was evicted (or reset) instead of the least recently used key")
	}
	if ok, _ := l.Take("b", now); !ok {
		t.Fatal("b should have been evicted and start afresh")
	}
}

func TestRefillsAndReportsTheWait(t *testing.T) {
	l := New(Limit{Every: time.Second, Burst: 2}, 10)
	now := time.Unix(1_000_000, 0)
	for i := range 2 {
		if ok, _ := l.Take("k", now); !ok {
			t.Fatalf("attempt %d refused", i)
		}
	}
	ok, wait := l.Take("k", now)
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("third attempt: ok=%v wait=%v, want refused with a wait of at most a second", ok, wait)
	}
	if ok, _ := l.Take("k", now.Add(time.Second)); !ok {
		t.Fatal("a refilled token was refused")
	}
}

func TestMemoryIsBounded(t *testing.T) {
	l := New(Limit{Every: time.Millisecond, Burst: 2}, 1000)
	now := time.Now()
	for i := range 100_000 {
		l.Take(fmt.Sprintf("10.%d", i), now)
		now = now.Add(time.Microsecond)
	}
	if n := l.Size(); n > 1000 {
		t.Fatalf("limiter holds %d keys", n)
	}
}

func TestClientKey(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.9":          "203.0.113.9",
		"::ffff:203.0.113.9":   "203.0.113.9",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"2001:db8:1:3::1":      "2001:db8:1:3::/64",
		"fe80::1%eth0":         "fe80::/64",
		"not an address":       "not an address",
	} {
		if got := ClientKey(in); got != want {
			t.Errorf("ClientKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	for wait, want := range map[time.Duration]int{0: 1, time.Millisecond: 1, time.Second: 1, time.Second + 1: 2, 90 * time.Second: 90} {
		if got := RetryAfter(wait); got != want {
			t.Errorf("RetryAfter(%v) = %d, want %d", wait, got, want)
		}
	}
}
