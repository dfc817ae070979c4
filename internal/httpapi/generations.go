package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/policy"
)

func (s *Server) getModels(w http.ResponseWriter, r *http.Request) error {
	models, err := s.catalogueFor(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": models})
	return nil
}

// catalogueFor is the catalogue as the caller may use it: a member bound by a policy with a
// model list sees only those models (SPEC §12.2), and a token with a model list only its own
// among them (SPEC §11).
func (s *Server) catalogueFor(r *http.Request) ([]generation.Model, error) {
	p, err := s.Policies.For(r.Context(), currentUser(r.Context()))
	if err != nil {
		return nil, err
	}
	v := s.via(r)
	all := generation.Catalogue()
	out := make([]generation.Model, 0, len(all))
	for _, m := range all {
		if (p == nil || p.AllowedModels == nil || policy.Allows(p, m.ID)) && v.Allows(m.ID) == nil {
			out = append(out, m)
		}
	}
	return out, nil
}

// searchModels searches fal's live catalogue (any result can be used as a custom model id).
func (s *Server) searchModels(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	list, err := s.Generations.SearchModels(r.Context(), currentUser(r.Context()), q.Get("q"), q.Get("category"))
	if err != nil {
		return err
	}
	p, err := s.Policies.For(r.Context(), currentUser(r.Context()))
	if err != nil {
		return err
	}
	if p != nil && p.AllowedModels != nil { // a bound member finds only the models allowed
		kept := list[:0]
		for _, m := range list {
			if policy.Allows(p, m.ID) {
				kept = append(kept, m)
			}
		}
		list = kept
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": list})
	return nil
}

// modelSchema turns any fal model's input schema into a renderable Model (custom models).
func (s *Server) modelSchema(w http.ResponseWriter, r *http.Request) error {
	if err := s.allowedModel(r.Context(), currentUser(r.Context()), r.URL.Query().Get("id")); err != nil {
		return err
	}
	m, err := s.Generations.ModelFromSchema(r.Context(), currentUser(r.Context()), r.URL.Query().Get("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": m})
	return nil
}

func (s *Server) createGeneration(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Model        string         `json:"model" required:"true"`
		Prompt       string         `json:"prompt"`
		Params       map[string]any `json:"params"`
		CollectionID string         `json:"collectionId"` // the outputs land in this collection
		// Cast members by id, and whether their descriptions join the prompt (SPEC §14).
		Cast           []string `json:"cast"`
		UseDescription bool     `json:"useDescription"`
		// Lineage (SPEC §13.2): the caller's image assets that fill the reference field.
		ReferenceAssetIDs []string `json:"referenceAssetIds"`
		Relation          string   `json:"relation"`
		// Start and end frames (SPEC §15.5): the caller's image assets.
		StartAssetID string `json:"startAssetId"`
		EndAssetID   string `json:"endAssetId"`
		// Variations runs the same settings several times as one group (SPEC §10).
		Variations *struct {
			Count int    `json:"count"`
			Seeds string `json:"seeds"`
		} `json:"variations"`
	}
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	sub := generation.SubmitInput{Model: in.Model, Prompt: in.Prompt, Params: in.Params, CollectionID: in.CollectionID,
		ReferenceAssetIDs: in.ReferenceAssetIDs, Relation: in.Relation, Cast: in.Cast, UseDescription: in.UseDescription, StartAssetID: in.StartAssetID, EndAssetID: in.EndAssetID, Via: s.via(r)}
	if in.Variations != nil {
		return s.createVariations(w, r, sub, generation.Variations{Count: in.Variations.Count, Seeds: in.Variations.Seeds})
	}
	g, err := s.Generations.Submit(r.Context(), currentUser(r.Context()), sub)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"generation": generationView(s.urls, g)})
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
		writeJSON(w, http.StatusOK, map[string]any{"generations": generationViews(s.urls, list), "nextCursor": nil})
		return nil
	}
	limit, err := pageLimit(q)
	if err != nil {
		return err
	}
	page, err := s.Generations.History(r.Context(), currentUser(r.Context()).ID, q.Get("status"), q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	var next *string
	if page.NextCursor != "" {
		next = &page.NextCursor
	}
	writeJSON(w, http.StatusOK, map[string]any{"generations": generationViews(s.urls, page.Generations), "nextCursor": next})
	return nil
}

func (s *Server) getGeneration(w http.ResponseWriter, r *http.Request) error {
	g, err := s.Generations.Get(r.Context(), currentUser(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"generation": generationView(s.urls, g)})
	return nil
}

func (s *Server) cancelGeneration(w http.ResponseWriter, r *http.Request) error {
	res, err := s.Generations.Cancel(r.Context(), currentUser(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"generation": generationView(s.urls, res.Generation), "cancel": map[string]string{"outcome": res.Outcome, "message": res.Message}})
	return nil
}

// generationEvents streams the generation as server-sent events: the current state at once, then
// one event per change, closing after a terminal state (or at shutdown, or after the stream
// lifetime). It counts against the caller's open streams like /api/events.
func (s *Server) generationEvents(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	userID, id := currentUser(ctx).ID, r.PathValue("id")
	release, err := s.openStream(r)
	if err != nil {
		return err
	}
	defer release()
	// Subscribe before the first read, so a change between the two is not missed.
	changes, unsubscribe := s.Events.SubscribeGeneration(id)
	defer unsubscribe()
	g, err := s.Generations.Get(ctx, userID, id)
	if err != nil {
		return err
	}
	out := startSSE(w)
	last := ""
	s.loop(r, changes).run(ctx, out, func() (bool, error) {
		if g == nil {
			if g, err = s.Generations.Get(ctx, userID, id); err != nil {
				return true, err
			}
		}
		b, err := json.Marshal(generationView(s.urls, g))
		if err != nil {
			return true, err
		}
		if string(b) != last {
			if err := out.send("", "", b); err != nil {
				return true, err
			}
			last = string(b)
		}
		done := model.Terminal(g.Status)
		g = nil // read again at the next wake-up
		return done, nil
	})
	return nil
}
