// Package enhance is the prompt enhancer (SPEC §14): fal's LLM endpoint rewrites a person's
// prompt for the model it is meant for, with the person's own key. An enhance is not a
// generation, but its cost is spend: it is recorded (package store's enhancements) and counts
// in the month's spend and the usage totals, and a budget refuses it before anything is sent.
package enhance

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/falstudio/falstudio/internal/cost"
	"github.com/falstudio/falstudio/internal/fal"
	"github.com/falstudio/falstudio/internal/falkey"
	"github.com/falstudio/falstudio/internal/generation"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/policy"
	"github.com/falstudio/falstudio/internal/store"
)

// Endpoint is fal's "any LLM" endpoint, powered by OpenRouter.
const Endpoint = "openrouter/router"

// Defaults of ENHANCE_LLM_MODEL and ENHANCE_RESERVE_USD.
const (
	DefaultLLMModel   = "google/gemini-2.5-flash"
	DefaultReserveUSD = 0.01
	// timeout is the longest the studio waits for the LLM's answer.
	timeout = 60 * time.Second
	// maxTokens bounds the rewrite (a prompt is at most 10,000 characters).
	maxTokens = 4096
)

// Options configure the enhancer.
type Options struct {
	LLMModel   string  // the model openrouter/router runs
	ReserveUSD float64 // the budget room one enhance needs
	Logger     *slog.Logger
	Timeout    time.Duration // 0: 60 s
	// Policies binds members (SPEC §12.2): the prompt goes to fal as a submit's does, so the
	// same model list and blocked terms apply. nil: no policies.
	Policies *policy.Service
}

// Service rewrites prompts.
type Service struct {
	st    *store.Store
	keys  *falkey.Keys
	fal   *fal.Client
	costs *cost.Service
	o     Options
	log   *slog.Logger
}

// New builds the enhancer.
func New(st *store.Store, keys *falkey.Keys, fc *fal.Client, costs *cost.Service, o Options) *Service {
	if o.LLMModel == "" {
		o.LLMModel = DefaultLLMModel
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Timeout <= 0 {
		o.Timeout = timeout
	}
	return &Service{st: st, keys: keys, fal: fc, costs: costs, o: o, log: o.Logger}
}

// Result is a rewritten prompt and what it cost (nil: fal sent no cost).
type Result struct {
	Prompt  string
	CostUSD *float64
}

// SystemPrompt is what the LLM is told: answer with the improved prompt only, in the prompt's
// language, keeping every subject and constraint, following the target model's guide verbatim.
func SystemPrompt(targetModel string) string {
	return "You improve prompts for the AI media model " + targetModel + ". Rewrite the user's prompt so that " +
		"model gives the best result. Answer with the improved prompt only: no preface, no quotes, no notes. " +
		"Write in the language of the user's prompt. Keep every subject, name, number and constraint of the " +
		"original; add detail, never change what is asked for. Words that start with @ name reusable " +
		"characters: keep them exactly as written.\n\nHow this model likes to be prompted:\n" +
		generation.PromptGuide(targetModel)
}

// checkPolicy refuses a model the caller's policy does not allow and a blocked term (audited
// like a refused submit's) before anything is sent to fal.
func (s *Service) checkPolicy(ctx context.Context, caller *model.User, prompt, targetModel string) error {
	if s.o.Policies == nil {
		return nil
	}
	p, err := s.o.Policies.For(ctx, caller)
	if err != nil {
		return err
	}
	_, err = s.o.Policies.Check(ctx, caller, p, targetModel, prompt, nil, true)
	return err
}

// llmAnswer is fal's answer from openrouter/router.
type llmAnswer struct {
	Output  string  `json:"output"`
	Error   *string `json:"error"`
	Partial bool    `json:"partial"`
	Usage   *struct {
		Cost *float64 `json:"cost"`
	} `json:"usage"`
}

// Enhance rewrites prompt for targetModel. In order: check the input and the key (nothing is
// sent on a refusal), hold the reserve under the budget in one transaction, call fal, record the
// cost fal reports.
func (s *Service) Enhance(ctx context.Context, caller *model.User, prompt, targetModel string) (*Result, error) {
	prompt = strings.TrimSpace(prompt)
	targetModel = strings.TrimSpace(targetModel)
	if prompt == "" {
		return nil, model.Errf(model.CodeInvalidInput, "Write a prompt first.")
	}
	if utf8.RuneCountInString(prompt) > generation.MaxPromptChars {
		return nil, model.Errf(model.CodeInvalidInput, "The prompt is too long (at most %d characters).", generation.MaxPromptChars)
	}
	if !generation.ValidModelID(targetModel) {
		return nil, model.Errf(model.CodeInvalidInput, "Choose the model the prompt is for, like fal-ai/flux/dev.")
	}
	if err := s.checkPolicy(ctx, caller, prompt, targetModel); err != nil {
		return nil, err
	}
	key, err := s.keys.Of(caller)
	if err != nil {
		return nil, err
	}
	id := strings.ToLower(rand.Text())
	if err := s.st.BeginEnhance(ctx, id, caller.ID, Endpoint, s.o.ReserveUSD, s.costs.EnhanceGuard(s.o.ReserveUSD)); err != nil {
		return nil, err
	}
	// Detached from the request, bounded: the answer is recorded even if the client hangs up.
	cctx, cancel := context.WithTimeoutCause(context.WithoutCancel(ctx), s.o.Timeout, errors.New("the LLM did not answer in time"))
	defer cancel()
	input := map[string]any{"model": s.o.LLMModel, "system_prompt": SystemPrompt(targetModel), "prompt": prompt,
		"temperature": 0.7, "max_tokens": maxTokens}
	raw, err := s.fal.Run(cctx, key.Reveal(), Endpoint, input)
	if err != nil {
		if derr := s.st.DropEnhance(context.WithoutCancel(ctx), id); derr != nil {
			s.log.Warn("enhance: reserve not released", "user_id", caller.ID, "err", derr)
		}
		if cctx.Err() != nil {
			return nil, &fal.Error{Op: "run", Code: fal.CodeUnavailable, Message: "The prompt enhancer did not answer within a minute. Try again."}
		}
		return nil, err
	}
	var ans llmAnswer
	if err := json.Unmarshal(raw, &ans); err != nil {
		ans = llmAnswer{}
	}
	var costUSD *float64
	if ans.Usage != nil && ans.Usage.Cost != nil && !math.IsNaN(*ans.Usage.Cost) && !math.IsInf(*ans.Usage.Cost, 0) && *ans.Usage.Cost >= 0 {
		v := math.Round(*ans.Usage.Cost*1e9) / 1e9
		costUSD = &v
	}
	// fal ran (and billed) the call whatever it answered: the cost is recorded either way.
	if err := s.st.FinishEnhance(context.WithoutCancel(ctx), id, costUSD); err != nil {
		return nil, err
	}
	out := strings.TrimSpace(ans.Output)
	if (ans.Error != nil && *ans.Error != "") || out == "" {
		s.log.Info("enhance: the LLM gave no prompt", "user_id", caller.ID, "llm_error", ans.Error != nil)
		return nil, &fal.Error{Op: "run", Code: fal.CodeUnavailable, Message: "The prompt enhancer gave no answer. Try again."}
	}
	s.log.Info("prompt enhanced", "user_id", caller.ID, "target_model", targetModel)
	return &Result{Prompt: out, CostUSD: costUSD}, nil
}
