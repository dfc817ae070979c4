package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/model"
)

func (s *Server) getModels(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"models": generation.Catalogue()})
	return nil
}

// searchModels searches fal's live catalogue (any result can be used as a custom model id).
func (s *Server) searchModels(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	list, err := s.Generations.SearchModels(r.Context(), currentUser(r.Context()).ID, q.Get("q"), q.Get("category"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": list})
	return nil
}

// modelSchema turns any fal model's input schema into a renderable Model (custom models).
func (s *Server) modelSchema(w http.ResponseWriter, r *http.Request) error {
	m, err := s.Generations.ModelFromSchema(r.Context(), currentUser(r.Context()).ID, r.URL.Query().Get("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": m})
	return nil
}

func (s *Server) createGeneration(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Model        string         `json:"model"`
		Prompt       string         `json:"prompt"`
		Params       map[string]any `json:"params"`
		CollectionID string         `json:"collectionId"` // library: the outputs land in it
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	g, err := s.Generations.Submit(r.Context(), currentUser(r.Context()).ID, generation.SubmitInput{Model: in.Model, Prompt: in.Prompt, Params: in.Params,
		CollectionID: in.CollectionID})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"generation": g})
	return nil
}

// listGenerations: ?active=1 lists the unfinished jobs; otherwise the history is paged
// (?status=&cursor=&limit=) with a nextCursor.
func (s *Server) listGenerations(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if active := q.Get("active"); active == "1" || active == "true" {
		list, err := s.Generations.List(r.Context(), currentUser(r.Context()).ID, true)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"generations": list, "nextCursor": nil})
		return nil
	}
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return model.Errf(model.CodeInvalidInput, "limit must be a number from 1 to 100.")
		}
		limit = n
	}
	page, err := s.Generations.History(r.Context(), currentUser(r.Context()).ID, q.Get("status"), q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) getGeneration(w http.ResponseWriter, r *http.Request) error {
	g, err := s.Generations.Get(r.Context(), currentUser(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"generation": g})
	return nil
}

func (s *Server) cancelGeneration(w http.ResponseWriter, r *http.Request) error {
	res, err := s.Generations.Cancel(r.Context(), currentUser(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"generation": res.Generation, "cancel": map[string]string{"outcome": res.Outcome, "message": res.Message}})
	return nil
}

// generationEvents streams the generation as server-sent events: the current state at once, then
// one event per change, closing after a terminal state (or when the server shuts down).
func (s *Server) generationEvents(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	userID, id := currentUser(ctx).ID, r.PathValue("id")
	// Subscribe before the first read, so a change between the two is not missed.
	changes, unsubscribe := s.Generations.Events().SubscribeGeneration(id)
	defer unsubscribe()
	g, err := s.Generations.Get(ctx, userID, id)
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	// The server's ReadTimeout would otherwise cancel a stream that outlives it.
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()
	last := ""
	for {
		b, _ := json.Marshal(g)
		if string(b) != last {
			_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
			if _, err := w.Write([]byte("data: " + string(b) + "\n\n")); err != nil {
				return nil
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
			last = string(b)
		}
		if model.Terminal(g.Status) {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.shutdown:
			return nil
		case <-keepAlive.C:
			_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
			if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil {
				return nil
			}
			_ = rc.Flush()
		case <-changes:
		}
		if g, err = s.Generations.Get(ctx, userID, id); err != nil {
			return nil
		}
	}
}
