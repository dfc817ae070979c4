package account

import (
	"testing"
	"time"
)

func TestLimiterEvictsLeastRecentlyUsed(t *testing.T) {
	l := newLimiter(Limit{Every: time.Hour, Burst: 1}, 3)
	now := time.Now()
	for _, k := range []string{"a", "b", "c"} {
		if ok, _ := l.take(k, now); !ok {
			t.Fatalf("%s: first attempt refused", k)
		}
	}
	if ok, _ := l.take("a", now); ok { // a is spent, and now the most recently used
		t.Fatal("a: second attempt allowed")
	}
	if ok, _ := l.take("d", now); !ok { // evicts b, the least recently used
		t.Fatal("d refused")
	}
	if l.size() != 3 {
		t.Fatalf("size %d", l.size())
	}
	if ok, _ := l.take("a", now); ok {
		t.Fatal("a was evicted (or reset) instead of the least recently used key")
	}
	if ok, _ := l.take("b", now); !ok {
		t.Fatal("b should have been evicted and start afresh")
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
		if got := clientKey(in); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", in, got, want)
		}
	}
}
