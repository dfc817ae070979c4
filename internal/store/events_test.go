package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/model"
)

func TestGenerationEventJournal(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	a, _ := s.InsertUser(ctx, "a@example.com", "h")
	b, _ := s.InsertUser(ctx, "b@example.com", "h")
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })

	if lo, hi, err := s.GenerationEventBounds(ctx); err != nil || lo != 0 || hi != 0 {
		t.Fatalf("empty bounds %d %d %v", lo, hi, err)
	}
	var seqs []int64
	for i, u := range []int64{a.ID, b.ID, a.ID, a.ID} {
		seq, err := s.AppendGenerationEvent(ctx, u, []string{"g1", "g2", "g1", "g3"}[i])
		if err != nil {
			t.Fatal(err)
		}
		if len(seqs) > 0 && seq <= seqs[len(seqs)-1] {
			t.Fatalf("seq %d after %d", seq, seqs[len(seqs)-1])
		}
		seqs = append(seqs, seq)
		now = now.Add(time.Minute)
	}
	// A user reads only their own changes, after the cursor, oldest first.
	evs, err := s.GenerationEventsAfter(ctx, a.ID, seqs[0], 10)
	if err != nil || len(evs) != 2 || evs[0].Seq != seqs[2] || evs[1].GenerationID != "g3" {
		t.Fatalf("after %d: %+v %v", seqs[0], evs, err)
	}
	if evs, err := s.GenerationEventsAfter(ctx, a.ID, 0, 1); err != nil || len(evs) != 1 || evs[0].Seq != seqs[0] {
		t.Fatalf("limit: %+v %v", evs, err)
	}
	if evs, err := s.GenerationEventsAfter(ctx, b.ID, 0, 10); err != nil || len(evs) != 1 || evs[0].GenerationID != "g2" {
		t.Fatalf("other user: %+v %v", evs, err)
	}
	// Pruning removes the old rows; the newest seq stays, and seqs are never reused.
	if n, err := s.PruneGenerationEvents(ctx, now.Add(-90*time.Second)); err != nil || n != 3 {
		t.Fatalf("pruned %d %v", n, err)
	}
	lo, hi, err := s.GenerationEventBounds(ctx)
	if err != nil || lo != seqs[3] || hi != seqs[3] {
		t.Fatalf("bounds %d %d %v, want %d", lo, hi, err, seqs[3])
	}
	if _, err := s.PruneGenerationEvents(ctx, now); err != nil {
		t.Fatal(err)
	}
	next, err := s.AppendGenerationEvent(ctx, a.ID, "g4")
	if err != nil || next <= seqs[3] {
		t.Fatalf("seq after an empty journal %d (%v), last was %d", next, err, seqs[3])
	}
}

func TestPresetsStore(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	a, _ := s.InsertUser(ctx, "a@example.com", "h")
	b, _ := s.InsertUser(ctx, "b@example.com", "h")
	p := &model.Preset{ID: "p1", UserID: a.ID, Name: "Drafts", Model: "fal-ai/flux/dev", Params: []byte(`{"seed":1}`)}
	if err := s.InsertPreset(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertPreset(ctx, &model.Preset{ID: "p2", UserID: a.ID, Name: "DRAFTS", Model: "x/y", Params: []byte(`{}`)}); !errors.Is(err, ErrConflict) {
		t.Fatalf("same name in another case: %v", err)
	}
	if err := s.InsertPreset(ctx, &model.Preset{ID: "p3", UserID: b.ID, Name: "drafts", Model: "x/y", Params: []byte(`{}`)}); err != nil {
		t.Fatalf("same name, other user: %v", err)
	}
	if _, err := s.Preset(ctx, b.ID, "p1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another user's preset: %v", err)
	}
	p.UserID = b.ID
	if err := s.UpdatePreset(ctx, p); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update as another user: %v", err)
	}
	if err := s.DeletePreset(ctx, b.ID, "p1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete as another user: %v", err)
	}
	p.UserID, p.Name = a.ID, "Finals"
	if err := s.UpdatePreset(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err := s.Preset(ctx, a.ID, "p1")
	if err != nil || got.Name != "Finals" || string(got.Params) != `{"seed":1}` {
		t.Fatalf("preset %+v %v", got, err)
	}
	if n, err := s.CountPresets(ctx, a.ID); err != nil || n != 1 {
		t.Fatalf("count %d %v", n, err)
	}
	if err := s.DeletePreset(ctx, a.ID, "p1"); err != nil {
		t.Fatal(err)
	}
	if list, err := s.Presets(ctx, a.ID); err != nil || len(list) != 0 {
		t.Fatalf("after delete %+v %v", list, err)
	}
}
