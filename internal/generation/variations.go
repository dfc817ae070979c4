package generation

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"maps"

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

// VariationsResult is what a variations submit started. Err is the refusal that stopped the
// run after the first generation (the earlier ones keep running).
type VariationsResult struct {
	Group       string
	Generations []*model.Generation
	Err         error
}

// SubmitVariations submits in.Count generations with the same settings, each its own job under
// one group id. When the model takes a seed, each gets an explicit one (so every result can be
// made again): s, s+1, … or random. A refusal of the first submit is returned as the error.
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
	for i := range v.Count {
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
		g, err := s.Submit(ctx, caller, one)
		if err != nil {
			if i == 0 {
				return nil, err
			}
			res.Err = err
			break
		}
		res.Generations = append(res.Generations, g)
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
