package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkAppendGenerationEvent measures the journal write every generation change costs (on
// PostgreSQL it includes the advisory lock that orders inserts between replicas).
func BenchmarkAppendGenerationEvent(b *testing.B) {
	s := open(b)
	ctx := context.Background()
	u, _ := s.InsertUser(ctx, fmt.Sprintf("journal%d@example.com", time.Now().UnixNano()), "h")
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.AppendGenerationEvent(ctx, u.ID, fmt.Sprintf("g%d", i%10)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGenerationEventsAfter measures one stream's read after a wake-up: the user's next
// changes from a journal holding 10,000 rows of 20 people.
func BenchmarkGenerationEventsAfter(b *testing.B) {
	s := open(b)
	ctx := context.Background()
	var users []int64
	for i := range 20 {
		u, _ := s.InsertUser(ctx, fmt.Sprintf("j%d-%d@example.com", i, time.Now().UnixNano()), "h")
		users = append(users, u.ID)
	}
	var mid int64
	for i := range 10_000 {
		seq, err := s.AppendGenerationEvent(ctx, users[i%20], fmt.Sprintf("g%d", i%50))
		if err != nil {
			b.Fatal(err)
		}
		if i == 9_900 {
			mid = seq
		}
	}
	b.ResetTimer()
	for range b.N {
		evs, err := s.GenerationEventsAfter(ctx, users[0], mid, 256)
		if err != nil || len(evs) != 4 {
			b.Fatalf("%d events, %v", len(evs), err)
		}
	}
}
