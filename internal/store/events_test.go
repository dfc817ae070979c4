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
	a, err := s.InsertUser(ctx, "a@example.com", "h")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.InsertUser(ctx, "b@example.com", "h")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })

	if lo, hi, err := s.GenerationEventBounds(ctx, a.ID); err != nil || lo != 0 || hi != 0 {
		t.Fatalf("empty bounds %d %d %v", lo, hi, err)
	}
	// Ids count each person's own changes: b's first change is 1 whatever a did before.
	want := []int64{1, 1, 2, 3}
	for i, u := range []int64{a.ID, b.ID, a.ID, a.ID} {
		seq, err := s.AppendGenerationEvent(ctx, u, []string{"g1", "g2", "g1", "g3"}[i])
		if err != nil || seq != want[i] {
			t.Fatalf("change %d: id %d (%v), want %d", i, seq, err, want[i])
		}
		now = now.Add(time.Minute)
	}
	if _, err := s.AppendGenerationEvent(ctx, 9999, "gone"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a change of no account: %v", err)
	}
	// A user reads only their own changes, after the cursor, oldest first.
	evs, err := s.GenerationEventsAfter(ctx, a.ID, 1, 10)
	if err != nil || len(evs) != 2 || evs[0].Seq != 2 || evs[1].GenerationID != "g3" {
		t.Fatalf("after 1: %+v %v", evs, err)
	}
	if evs, err := s.GenerationEventsAfter(ctx, a.ID, 0, 1); err != nil || len(evs) != 1 || evs[0].Seq != 1 {
		t.Fatalf("limit: %+v %v", evs, err)
	}
	if evs, err := s.GenerationEventsAfter(ctx, b.ID, 0, 10); err != nil || len(evs) != 1 || evs[0].GenerationID != "g2" || evs[0].Seq != 1 {
		t.Fatalf("other user: %+v %v", evs, err)
	}
	// A batch takes consecutive ids per person, in order; a deleted account's change is dropped.
	if err := s.AppendGenerationEvents(ctx, []JournalEntry{{a.ID, "g5"}, {b.ID, "g6"}, {9999, "x"}, {a.ID, "g5"}}); err != nil {
		t.Fatal(err)
	}
	if evs, err := s.GenerationEventsAfter(ctx, a.ID, 3, 10); err != nil || len(evs) != 2 || evs[0].Seq != 4 || evs[1].Seq != 5 {
		t.Fatalf("a's batch: %+v %v", evs, err)
	}
	now = now.Add(time.Minute)
	// Pruning removes the old rows; the newest id stays, and ids are never reused.
	if n, err := s.PruneGenerationEvents(ctx, now.Add(-150*time.Second)); err != nil || n != 3 {
		t.Fatalf("pruned %d %v", n, err)
	}
	lo, hi, err := s.GenerationEventBounds(ctx, a.ID)
	if err != nil || lo != 3 || hi != 5 {
		t.Fatalf("bounds %d %d %v, want 3 5", lo, hi, err)
	}
	if _, err := s.PruneGenerationEvents(ctx, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if lo, hi, err := s.GenerationEventBounds(ctx, a.ID); err != nil || lo != 0 || hi != 5 {
		t.Fatalf("bounds of an empty journal %d %d %v, want 0 5", lo, hi, err)
	}
	next, err := s.AppendGenerationEvent(ctx, a.ID, "g4")
	if err != nil || next != 6 {
		t.Fatalf("id after an empty journal %d (%v), want 6", next, err)
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
