// Package generation turns a person's request into a job at fal and follows it to its stored
// outputs. Two types, each with its own files:
//
//   - Service, the one submission pipeline every entry point calls (submit.go: validate → quota
//     and budget → the one INSERT → fal → the journal), plus cancel, reads, reference uploads
//     and the model catalogue;
//   - Runner, the durable worker pool (runner.go: claims and leases; follow.go: polling fal;
//     save.go: storing outputs).
//
// The event journal is package journal, stored-object housekeeping is package cleaner, and the
// API's JSON shapes live in httpapi.
package generation

import (
	"context"
	"log/slog"
	"time"

	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/falkey"
	"github.com/falstudio/falstudio/internal/journal"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/metrics"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/policy"
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

// Options configure the submission service and the runner; zero values take defaults.
type Options struct {
	Concurrency int // jobs followed at once
	PollMin     time.Duration
	PollMax     time.Duration
	Lease       time.Duration
	// GiveUpAfter ends a job whose steps have failed transiently (fal or storage unreachable)
	// for this long without a success in between.
	GiveUpAfter time.Duration
	Now         func() time.Time
	Logger      *slog.Logger
	// AfterAssetSaved runs right after an output's asset row is inserted (it hands the asset to
	// the preview worker); it must not block, and it reports nothing back.
	AfterAssetSaved func(*model.Asset)
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
	// Budgets prices each submit and guards monthly budgets (package cost); nil: unpriced.
	Budgets Budgets
	// Video is ffmpeg for Stitch and Extend (SPEC §15); nil or without ffmpeg refuses them.
	Video *media.Video
	// StitchMaxSeconds is the longest total length of a stitch's clips (0: no limit).
	StitchMaxSeconds int
	// Policies binds members to what an admin lets them generate (SPEC §12.2); nil: no policies.
	Policies *policy.Service
	// Webhooks: every submit asks fal to call back (the fal client carries the URL), so status
	// polling becomes a fallback: at most one status request per job per FallbackPoll (SPEC
	// §17.1). FallbackPoll 0 is a minute.
	Webhooks     bool
	FallbackPoll time.Duration
	// DeriveModels maps each derive action to its model (SPEC §14); missing ones take the
	// catalogue's defaults.
	DeriveModels map[string]string
}

func (o Options) withDefaults() Options {
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
	if o.FallbackPoll <= 0 {
		o.FallbackPoll = time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	dm := map[string]string{ActionUpscale: DefaultUpscaleModel, ActionRemoveBackground: DefaultRemoveBackgroundModel}
	for k, v := range o.DeriveModels {
		if v != "" {
			dm[k] = v
		}
	}
	o.DeriveModels = dm
	return o
}

// The derive actions' default models (SPEC §14).
const (
	DefaultUpscaleModel          = "fal-ai/recraft/upscale/crisp"
	DefaultRemoveBackgroundModel = "fal-ai/bria/background/remove"
)

// Budgets prices a submit and returns the guard its insert runs inside the transaction (package
// cost implements it): it sets g.CostUSD and g.CostSource, and the guard refuses the insert when
// the person's monthly budget would be exceeded.
type Budgets interface {
	// GuardSet prices the generations of one submit (one, or a compare's runs) and guards them
	// as a whole: all fit the budget, or none is inserted.
	GuardSet(ctx context.Context, falKey string, gs []*model.Generation, params []map[string]any) (*store.BudgetGuard, error)
	// TokenCap checks a token's monthly cap for a set of generations, priced by GuardSet (nil:
	// no cap).
	TokenCap(gs []*model.Generation, via *model.Via) func(store.TokenSpend) error
}

// Service is the submission service: submit, variations, cancel, reads and uploads.
type Service struct {
	st      *store.Store
	keys    *falkey.Keys
	fal     *fal.Client
	storage *media.Storage
	journal *journal.Journal
	runner  *Runner
	log     *slog.Logger
	now     func() time.Time
	opts    Options
	bg      background  // variations submitted after the request answered
	uploads uploadCache // reference pictures already uploaded with a key (SPEC §14)
}

// New builds the submission service; runner follows what it submits.
func New(st *store.Store, keys *falkey.Keys, fc *fal.Client, storage *media.Storage, j *journal.Journal, runner *Runner, o Options) *Service {
	o = o.withDefaults()
	return &Service{st: st, keys: keys, fal: fc, storage: storage, journal: j, runner: runner, log: o.Logger, now: o.Now, opts: o,
		uploads: uploadCache{now: o.Now}}
}

// optionalKey is the caller's fal key when one is saved ("" otherwise): fal's public catalogue
// and schemas answer without one, but rate-limit a key more generously.
func (s *Service) optionalKey(caller *model.User) string {
	if k, err := s.keys.Of(caller); err == nil {
		return k.Reveal()
	}
	return ""
}
