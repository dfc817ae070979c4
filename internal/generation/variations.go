package generation

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"maps"
	"sync"

	"github.com/falstudio/falstudio/internal/model"
)

// Variation limits and seed modes.
const (
	MaxVariations  = 8
	SeedsIncrement = "increment" // s, s+1, s+2, … from the given seed (or a random s)
	SeedsRandom    = "random"    // a fresh random seed for each
	maxSeed        = 1<<31 - 1   // fal's models take a 32-bit signed seed
)

// Variations is a request to run the same settings several times.
type Variations struct {
	Count int
	Seeds string // SeedsIncrement (default) | SeedsRandom
}

// VariationsResult is what a variations submit started before it answered: the first
// generation (the others follow in the background, in the same group). Err is kept for the
// answer's shape; a later variation's refusal reaches the person as that generation's failure
// (fal's) or in the log (a budget or quota refusal, which creates nothing).
type VariationsResult struct {
	Group       string
	Generations []*model.Generation
	Err         error
}

// background tracks the variations still being submitted after their request answered, so a
// shutdown stops starting new ones and waits for the one fal is answering.
type background struct {
	mu       sync.Mutex
	stopping bool
	wg       sync.WaitGroup
}

// start runs f unless the service is stopping.
func (b *background) start(f func()) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopping {
		return false
	}
	b.wg.Go(f)
	return true
}

func (b *background) isStopping() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stopping
}

// Wait stops submitting the rest of any variations and waits for the submits under way (each
// bounded by fal's submit timeout). Call it before closing the store.
func (s *Service) Wait() {
	s.bg.mu.Lock()
	s.bg.stopping = true
	s.bg.mu.Unlock()
	s.bg.wg.Wait()
}

// SubmitVariations submits in.Count generations with the same settings, each its own job under
// one group id, each through Submit. When the model takes a seed, each gets an explicit one (so
// every result can be made again): s, s+1, … or random. The first is submitted before the
// answer (its refusal is returned as the error); the rest are submitted one by one in the
// background, so a request never waits for up to eight of fal's answers (each may take 60 s,
// past the request's deadline: the jobs would exist but the answer be lost, and a retry would
// double them). The person sees them arrive on the event stream, in the same group.
func (s *Service) SubmitVariations(ctx context.Context, caller *model.User, in SubmitInput, v Variations) (*VariationsResult, error) {
	if v.Count < 1 || v.Count > MaxVariations {
		return nil, model.Errf(model.CodeInvalidInput, "Variations must be between 1 and %d.", MaxVariations)
	}
	switch v.Seeds {
	case "":
		v.Seeds = SeedsIncrement
	case SeedsIncrement, SeedsRandom:
	default:
		return nil, model.Errf(model.CodeInvalidInput, "seeds must be %q or %q.", SeedsIncrement, SeedsRandom)
	}
	seeded := takesSeed(in.Model, in.Params)
	base := int64(0)
	if seeded {
		if n, ok := number(in.Params["seed"]); ok && n >= 0 && n <= maxSeed && n == float64(int64(n)) {
			base = int64(n)
		} else {
			base = randomSeed()
		}
	}
	res := &VariationsResult{Group: newID()}
	nth := func(i int) SubmitInput {
		one := in
		one.Group = res.Group
		one.Params = maps.Clone(in.Params)
		if one.Params == nil {
			one.Params = map[string]any{}
		}
		if seeded {
			seed := (base + int64(i)) % (maxSeed + 1)
			if v.Seeds == SeedsRandom {
				seed = randomSeed()
			}
			one.Params["seed"] = seed
		}
		return one
	}
	g, err := s.Submit(ctx, caller, nth(0))
	if err != nil {
		return nil, err
	}
	res.Generations = append(res.Generations, g)
	if v.Count == 1 {
		return res, nil
	}
	rest := make([]SubmitInput, 0, v.Count-1)
	for i := 1; i < v.Count; i++ {
		rest = append(rest, nth(i))
	}
	// Detached from the request, which has answered; the caller as loaded for it is kept.
	bctx := context.WithoutCancel(ctx)
	started := s.bg.start(func() {
		for i, one := range rest {
			if s.bg.isStopping() {
				s.log.Info("variations not submitted: the studio is stopping", "group", res.Group, "user_id", caller.ID, "count", len(rest)-i)
				return
			}
			if _, err := s.Submit(bctx, caller, one); err != nil {
				// A fal refusal leaves that generation listed as failed; anything refused before
				// fal (budget, quota) stops the rest, as it would refuse them too.
				code, _ := Describe(err)
				s.log.Info("variation refused", "group", res.Group, "user_id", caller.ID, "code", code, "not_submitted", len(rest)-i-1)
				return
			}
		}
	})
	if !started {
		res.Err = model.Errf(model.CodeNotReady, "The studio is stopping; only the first variation was started.")
	}
	return res, nil
}

// takesSeed: a curated model says so in its parameters; for any other model a "seed" the caller
// already set is the sign (its form came from the model's schema).
func takesSeed(id string, params map[string]any) bool {
	if m := modelByID(id); m != nil {
		for _, p := range m.Params {
			if p.Name == "seed" {
				return true
			}
		}
		return false
	}
	_, ok := params["seed"]
	return ok
}

func randomSeed() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:]) % (maxSeed + 1))
}
