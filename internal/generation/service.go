// Package generation owns the generation flow: the model catalogue, submitting jobs to fal with
// the user's own key, the durable runner that follows them and stores every output, and
// reference uploads. The gallery of assets lives in package library.
package generation

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/falstudio/falstudio/internal/events"
	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/falkey"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/metrics"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/secret"
	"github.com/falstudio/falstudio/internal/store"
)

// Input limits.
const (
	MaxPromptChars  = 10_000
	MaxParamsBytes  = 64 << 10
	MaxParams       = 64
	MaxUploadBytes  = 20 << 20
	maxListed       = 100
	maxPageSize     = 100
	defaultPageSize = 50
)

// Options configure the service and its runner.
type Options struct {
	PublicBaseURL string // S3_PUBLIC_BASE_URL: asset URLs point there when set
	Concurrency   int    // jobs followed at once
	PollMin       time.Duration
	PollMax       time.Duration
	Lease         time.Duration
	// GiveUpAfter ends a job whose steps have failed transiently (fal or storage unreachable)
	// for this long without a success in between.
	GiveUpAfter time.Duration
	Now         func() time.Time
	Logger      *slog.Logger
	// AfterAssetSaved runs right after an output's asset row is inserted (thumbnails); it
	// reports nothing back, so it can never fail the generation.
	AfterAssetSaved func(context.Context, *model.Asset)
	// Events carries changes to the event streams; nil is an in-process hub.
	Events *events.Hub
	// Instance names this process in the leases it takes (generated once into DATA_DIR).
	Instance string
	// PerUser caps the jobs one person has worked at once, so one person's slow jobs never
	// take every worker; 0 is half the workers (at least 1).
	PerUser int
	// MaxJobBytes caps what one job may store (all its outputs); 0 is 4 GiB.
	MaxJobBytes int64
	// StorageQuotaBytes caps what one person may store in all (STORAGE_QUOTA_MB); 0 is none.
	StorageQuotaBytes int64
	// BeforeStep, when set, runs before each job step (tests inject faults with it).
	BeforeStep func(*model.Generation)
	// Metrics records job outcomes and phases; nil records nothing.
	Metrics *metrics.Metrics
	// Budget prices each submit and enforces monthly budgets (package cost); nil: unpriced.
	Budget Budget
}

// Service is the generation service.
type Service struct {
	st         *store.Store
	falKeys    *falkey.Keys
	fal        *fal.Client
	storage    *media.Storage
	fetcher    *media.Fetcher
	events     *events.Hub
	log        *slog.Logger
	now        func() time.Time
	publicBase string
	opts       Options
	wake       chan struct{}
	instance   string

	keysMu sync.Mutex
	keys   map[int64]cachedKey // decrypted fal keys by user, for the runner
	// journalPrunedAt is when the event journal was last pruned (epoch ms).
	journalPrunedAt atomic.Int64
	journal         journalQueue
}

// New builds the service.
func New(st *store.Store, falKeys *falkey.Keys, fc *fal.Client, storage *media.Storage, fetcher *media.Fetcher, o Options) *Service {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.PollMin <= 0 {
		o.PollMin = 500 * time.Millisecond
	}
	if o.PollMax <= 0 {
		o.PollMax = 5 * time.Second
	}
	if o.Lease <= 0 || o.Lease > time.Minute {
		o.Lease = time.Minute // SPEC §5: a dead replica's jobs resume within 60 s
	}
	if o.PerUser <= 0 {
		o.PerUser = max(1, o.Concurrency/2)
	}
	if o.MaxJobBytes <= 0 {
		o.MaxJobBytes = 4 << 30
	}
	if o.Instance == "" {
		o.Instance = "proc-" + newID()
	}
	if o.GiveUpAfter <= 0 {
		o.GiveUpAfter = 30 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Events == nil {
		o.Events = events.NewHub()
	}
	return &Service{st: st, falKeys: falKeys, fal: fc, storage: storage, fetcher: fetcher, events: o.Events,
		log: o.Logger, now: o.Now, publicBase: strings.TrimRight(o.PublicBaseURL, "/"), opts: o, wake: make(chan struct{}, 1),
		instance: o.Instance, keys: map[int64]cachedKey{}}
}

// userFalKey reads userID's row and opens the fal key saved on it.
func (s *Service) userFalKey(ctx context.Context, userID int64) (secret.Secret, error) {
	u, err := s.st.UserByID(ctx, userID)
	if err != nil {
		return secret.Secret{}, err
	}
	return s.falKeys.Of(u)
}

// Events is the change hub the event streams subscribe to.
func (s *Service) Events() *events.Hub { return s.events }

func newID() string { return strings.ToLower(rand.Text()) }

// SubmitInput is a request to generate.
type SubmitInput struct {
	Model  string
	Prompt string
	Params map[string]any
	Group  string // the variation group ("" for a single generation)
	// CollectionID names one of the user's collections the outputs land in ("" for none).
	CollectionID string
}

// Submit validates, stores the generation and sends it to fal's queue with the user's key.
// A fal rejection is returned as the error, and the generation stays listed as failed.
func (s *Service) Submit(ctx context.Context, userID int64, in SubmitInput) (*GenerationView, error) {
	in.Model = strings.TrimSpace(in.Model)
	in.Prompt = strings.TrimSpace(in.Prompt)
	if !ValidModelID(in.Model) {
		return nil, model.Errf(model.CodeInvalidInput, "Choose a model, or enter a fal model id like fal-ai/flux/dev.")
	}
	if utf8.RuneCountInString(in.Prompt) > MaxPromptChars {
		return nil, model.Errf(model.CodeInvalidInput, "The prompt is too long (at most %d characters).", MaxPromptChars)
	}
	m := modelByID(in.Model)
	if m != nil && m.PromptRequired && in.Prompt == "" {
		return nil, model.Errf(model.CodeInvalidInput, "Write a prompt first.")
	}
	if in.Params == nil {
		in.Params = map[string]any{}
	}
	if len(in.Params) > MaxParams {
		return nil, model.Errf(model.CodeInvalidInput, "Too many parameters (at most %d).", MaxParams)
	}
	delete(in.Params, "prompt")
	if err := validateParams(m, in.Params); err != nil {
		return nil, err
	}
	params, err := json.Marshal(in.Params)
	if err != nil || len(params) > MaxParamsBytes {
		return nil, model.Errf(model.CodeInvalidInput, "The parameters are too large.")
	}
	// library (issue 12): a named collection must be the caller's; another's answers 404.
	if in.CollectionID != "" {
		if _, err := s.st.Collection(ctx, userID, in.CollectionID); err != nil {
			return nil, err
		}
	}
	key, err := s.userFalKey(ctx, userID)
	if err != nil {
		return nil, err
	}
	if s.opts.StorageQuotaBytes > 0 {
		used, err := s.st.UserBytes(ctx, userID)
		if err != nil {
			return nil, err
		}
		if used >= s.opts.StorageQuotaBytes {
			return nil, model.Errf(model.CodeQuotaExceeded, "Your storage quota (%d MB) is full. Delete some files from the gallery before generating more.", s.opts.StorageQuotaBytes>>20)
		}
	}

	g := &model.Generation{ID: newID(), UserID: userID, Model: in.Model, Prompt: in.Prompt, Params: params, GroupID: in.Group}
	if err := s.insert(ctx, key.Reveal(), g, in.Params); err != nil { // costs: priced, within the budget
		return nil, err
	}
	// library (issue 12): recorded before fal sees the job, so every output finds it.
	if in.CollectionID != "" {
		if err := s.st.SetGenerationCollection(ctx, userID, g.ID, in.CollectionID); err != nil {
			return nil, err
		}
	}
	input := map[string]any{}
	for k, v := range in.Params {
		input[k] = v
	}
	if in.Prompt != "" {
		input["prompt"] = in.Prompt
	}
	// The submit is sent once: fal has no idempotency key, so a retry could bill twice.
	// It runs detached from the request so a client hanging up cannot leave it half-recorded.
	// The lease is renewed while fal answers, so no replica's recovery calls a slow submit
	// interrupted.
	sctx, cancel := context.WithTimeoutCause(context.WithoutCancel(ctx), 60*time.Second, errors.New("fal did not answer the submit in time"))
	defer cancel()
	lctx, stopLease := context.WithCancelCause(sctx)
	leased := make(chan struct{})
	go func() { defer close(leased); s.keepLease(lctx, stopLease, g.ID) }()
	sub, subErr := s.fal.Submit(sctx, key.Reveal(), in.Model, input)
	stopLease(nil)
	<-leased
	if subErr != nil {
		code, msg := classify(subErr)
		s.fail(sctx, g, code, msg)
		s.log.Info("submit refused by fal", "generation_id", g.ID, "user_id", userID, "code", code)
		return nil, subErr
	}
	status := model.StatusQueued
	if sub.Status == fal.StateInProgress {
		status = model.StatusRunning
	}
	if _, err := s.st.MarkSubmitted(sctx, g.ID, s.instance, status, sub.RequestID, sub.QueuePosition); err != nil {
		return nil, err
	}
	s.log.Info("generation submitted", "generation_id", g.ID, "user_id", userID, "model", in.Model)
	s.changed(g)
	s.Wake()
	return s.Get(ctx, userID, g.ID)
}

// validateParams checks the curated models' known parameters; fal validates the rest.
func validateParams(m *Model, p map[string]any) error {
	for k := range p {
		if k == "" || len(k) > 64 {
			return model.Errf(model.CodeInvalidInput, "A parameter name is empty or too long.")
		}
	}
	if m == nil {
		return nil
	}
	for _, d := range m.Params {
		v, ok := p[d.Name]
		if !ok || v == nil {
			continue
		}
		bad := func() error {
			return model.Errf(model.CodeInvalidInput, "%s: not a valid value for %s.", d.Name, m.Name)
		}
		switch d.Type {
		case "enum":
			if d.Name == "image_size" {
				if obj, ok := v.(map[string]any); ok { // fal also takes a custom {width, height}
					w, okW := number(obj["width"])
					h, okH := number(obj["height"])
					if !okW || !okH || len(obj) != 2 || w < 16 || h < 16 || w > 14142 || h > 14142 || w != float64(int64(w)) || h != float64(int64(h)) {
						return model.Errf(model.CodeInvalidInput, "image_size must be a preset or {width, height} in pixels.")
					}
					continue
				}
			}
			sv, ok := v.(string)
			if !ok {
				return bad()
			}
			found := false
			for _, o := range d.Options {
				found = found || o == sv
			}
			if !found {
				return bad()
			}
		case "integer", "number", "seed":
			n, ok := number(v)
			if !ok || (d.Type != "number" && n != float64(int64(n))) {
				return bad()
			}
			if (d.Min != nil && n < *d.Min) || (d.Max != nil && n > *d.Max) {
				return model.Errf(model.CodeInvalidInput, "%s must be between %g and %g.", d.Name, *d.Min, *d.Max)
			}
		case "boolean":
			if _, ok := v.(bool); !ok {
				return bad()
			}
		case "string":
			if sv, ok := v.(string); !ok || len(sv) > 4000 {
				return bad()
			}
		}
	}
	if r := m.Reference; r != nil {
		var urls []string
		switch v := p[r.Field].(type) {
		case nil:
		case string:
			if r.Multiple {
				return model.Errf(model.CodeInvalidInput, "%s must list image URLs.", r.Field)
			}
			urls = []string{v}
		case []any:
			if !r.Multiple {
				return model.Errf(model.CodeInvalidInput, "%s takes one image URL, not a list.", r.Field)
			}
			for _, x := range v {
				sv, ok := x.(string)
				if !ok {
					return model.Errf(model.CodeInvalidInput, "%s must list image URLs.", r.Field)
				}
				urls = append(urls, sv)
			}
		default:
			return model.Errf(model.CodeInvalidInput, "%s must be an image URL.", r.Field)
		}
		if len(urls) < r.Min {
			return model.Errf(model.CodeInvalidInput, "%s needs a reference image.", m.Name)
		}
		if len(urls) > r.Max {
			return model.Errf(model.CodeInvalidInput, "%s takes at most %d reference images.", m.Name, r.Max)
		}
		for _, u := range urls {
			if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "data:image/") {
				return model.Errf(model.CodeInvalidInput, "Reference images must be uploaded first.")
			}
		}
	}
	return nil
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// classify turns any failure into a SPEC error code and a message a person can act on.
func classify(err error) (string, string) {
	var fe *fal.Error
	if errors.As(err, &fe) {
		return fe.Code, fe.Message
	}
	var me *model.Error
	if errors.As(err, &me) {
		return me.Code, me.Message
	}
	switch {
	case errors.Is(err, media.ErrUnsafeOutput):
		return model.CodeUnsafeOutput, "The model returned a file that is not an image, video or audio file, or from a host that is not allowed; it was not saved."
	case errors.Is(err, media.ErrOutputExpired):
		return model.CodeOutputExpired, "fal no longer has the output file, so it could not be saved."
	case errors.Is(err, media.ErrTooLarge):
		return model.CodeOutputTooLarge, "The model's output file is larger than this studio stores, so it was not saved."
	case errors.Is(err, media.ErrDownload):
		return fal.CodeUnavailable, "fal's file host could not be reached to download the result. Try again in a moment."
	}
	return model.CodeInternal, internalMsg
}

// Get returns one of the user's generations with its assets.
func (s *Service) Get(ctx context.Context, userID int64, id string) (*GenerationView, error) {
	g, err := s.st.Generation(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	assets, err := s.st.AssetsOfGeneration(ctx, userID, g.ID)
	if err != nil {
		return nil, err
	}
	v := []GenerationView{s.generationView(g, assets[g.ID])}
	if err := s.withCosts(ctx, userID, v); err != nil { // costs: costUsd, costSource
		return nil, err
	}
	return &v[0], nil
}

// List returns the user's newest generations (only the unfinished ones when active).
func (s *Service) List(ctx context.Context, userID int64, active bool) ([]GenerationView, error) {
	gens, err := s.st.Generations(ctx, userID, active, maxListed)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(gens))
	for i, g := range gens {
		ids[i] = g.ID
	}
	assets, err := s.st.AssetsOfGeneration(ctx, userID, ids...)
	if err != nil {
		return nil, err
	}
	out := make([]GenerationView, 0, len(gens))
	for _, g := range gens {
		out = append(out, s.generationView(g, assets[g.ID]))
	}
	if err := s.withCosts(ctx, userID, out); err != nil { // costs: costUsd, costSource
		return nil, err
	}
	return out, nil
}

// CancelResult says what a cancel achieved.
type CancelResult struct {
	Generation *GenerationView
	Outcome    string // canceled | requested | too_late
	Message    string
}

// Cancel asks fal to cancel the job. A queued job is removed and never runs; a job that already
// started can only be asked to stop, and may still finish (and be billed) — the result says so.
func (s *Service) Cancel(ctx context.Context, userID int64, id string) (*CancelResult, error) {
	g, err := s.st.Generation(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	res := &CancelResult{}
	switch {
	case model.Terminal(g.Status):
		res.Outcome, res.Message = "too_late", "This generation has already finished."
	case g.Status == model.StatusSubmitting:
		return nil, model.Errf(model.CodeConflict, "The job is still being sent to fal. Try again in a moment.")
	case g.Status == model.StatusSaving:
		res.Outcome, res.Message = "too_late", "The job had already finished at fal; its result is being saved."
	default:
		key, err := s.userFalKey(ctx, userID)
		if err != nil {
			return nil, err
		}
		out, err := s.fal.Cancel(ctx, key.Reveal(), g.Model, g.FalRequestID)
		if err != nil {
			return nil, err
		}
		switch out {
		case fal.CancelRemoved, fal.CancelNotFound:
			ok, err := s.st.CancelQueued(ctx, userID, g.ID)
			if err != nil {
				return nil, err
			}
			if ok {
				res.Outcome, res.Message = "canceled", "Canceled before it ran; fal does not bill it."
			} else {
				res.Outcome, res.Message = "too_late", "The job finished while it was being canceled."
			}
		case fal.CancelRequested:
			if _, err := s.st.RequestCancel(ctx, userID, g.ID); err != nil {
				return nil, err
			}
			res.Outcome, res.Message = "requested", "The job had already started, so fal was asked to stop it. It may still finish, and fal may bill it."
		default: // already completed
			res.Outcome, res.Message = "too_late", "The job had already finished at fal; its result will be saved."
		}
		s.log.Info("cancel", "generation_id", g.ID, "user_id", userID, "outcome", res.Outcome)
		s.changed(g)
		s.Wake()
	}
	res.Generation, err = s.Get(ctx, userID, id)
	return res, err
}

// Storage is the media storage (the HTTP layer serves objects from it).
func (s *Service) Storage() *media.Storage { return s.storage }

// UploadReference sends an image to fal storage with the user's key and returns its CDN URL.
// The type is taken from the bytes: only images pass.
func (s *Service) UploadReference(ctx context.Context, userID int64, fileName string, body io.Reader) (string, error) {
	key, err := s.userFalKey(ctx, userID)
	if err != nil {
		return "", err
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(body, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("generation: read upload: %w", err)
	}
	head = head[:n]
	ctype, kind := media.Sniff(head)
	if kind != model.KindImage {
		return "", model.Errf(model.CodeInvalidInput, "Upload an image (PNG, JPEG, WebP, GIF or AVIF).")
	}
	return s.fal.Upload(ctx, key.Reveal(), ctype, safeFileName(fileName, ctype), io.MultiReader(bytes.NewReader(head), body), -1)
}

// UploadAssetReference sends one of the user's own image assets to fal storage.
func (s *Service) UploadAssetReference(ctx context.Context, userID int64, assetID string) (string, error) {
	a, err := s.st.Asset(ctx, userID, assetID)
	if err != nil {
		return "", err
	}
	if a.Kind != model.KindImage {
		return "", model.Errf(model.CodeInvalidInput, "Only images can be used as references.")
	}
	key, err := s.userFalKey(ctx, userID)
	if err != nil {
		return "", err
	}
	rc, obj, err := s.storage.Open(ctx, a.Storage, a.StorageKey, 0, -1)
	if err != nil {
		return "", fmt.Errorf("generation: open asset: %w", err)
	}
	defer rc.Close()
	return s.fal.Upload(ctx, key.Reveal(), a.ContentType, safeFileName(a.ID, a.ContentType), rc, obj.Size)
}

func safeFileName(name, ctype string) string {
	base := media.Slug(strings.TrimSuffix(name, extOf(name)))
	return base + "." + media.ExtFor(ctype)
}

func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}

// LiveModel is an entry of fal's live catalogue.
type LiveModel struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Category    string `json:"category"`
	Description string `json:"description"`
}

// SearchModels searches fal's live model catalogue (with the user's key when one is saved,
// which fal rate-limits more generously; the catalogue itself is public).
func (s *Service) SearchModels(ctx context.Context, userID int64, q, category string) ([]LiveModel, error) {
	q, category = strings.TrimSpace(q), strings.TrimSpace(category)
	if len(q) > 100 || len(category) > 50 {
		return nil, model.Errf(model.CodeInvalidInput, "The search text is too long.")
	}
	key := ""
	if k, err := s.userFalKey(ctx, userID); err == nil {
		key = k.Reveal()
	}
	page, err := s.fal.Models(ctx, key, fal.ModelQuery{Q: q, Category: category, Limit: 20})
	if err != nil {
		return nil, err
	}
	out := make([]LiveModel, 0, len(page.Models))
	for _, m := range page.Models {
		if !ValidModelID(m.EndpointID) {
			continue
		}
		var meta struct {
			DisplayName string `json:"display_name"`
			Category    string `json:"category"`
			Description string `json:"description"`
		}
		_ = json.Unmarshal(m.Metadata, &meta)
		if meta.DisplayName == "" {
			meta.DisplayName = m.EndpointID
		}
		out = append(out, LiveModel{ID: m.EndpointID, Name: meta.DisplayName, Category: meta.Category, Description: meta.Description})
	}
	return out, nil
}
