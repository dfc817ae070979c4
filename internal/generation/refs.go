package generation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/falstudio/falstudio/internal/model"
)

// Limits of the pictures a submit names.
const (
	MaxReferenceAssets = 10
	MaxCastPerSubmit   = 8
)

// prepared is a checked submit: the generation to insert, its stored parameters, the prompt fal
// receives and the pictures that fill the model's reference field.
type prepared struct {
	g      *model.Generation
	params map[string]any // as stored: without the URLs the studio fills in
	prompt string         // the prompt fal receives ("" sends none)
	ref    *Reference     // the model's reference field (nil: none, and no pictures)
	// pictures fill the field after the URLs the person set: references first, then the cast
	// members' pictures in turns; only as many as the field takes are uploaded.
	pictures []picture
	// frames are the start and end frames (SPEC §15.5), uploaded once the whole set is checked.
	frames []frameUpload
}

// picture is a stored object the studio uploads to fal storage with the person's key.
type picture struct {
	storage, key, contentType, name string
}

// prepare checks one submit before anything is stored or sent: the model, prompt and
// parameters, the lineage (reference assets, relation, parent: SPEC §13.2), the cast (by id
// and by @mention) and the reference field's arity with every picture counted.
func (s *Service) prepare(ctx context.Context, caller *model.User, in SubmitInput) (*prepared, error) {
	in.Model = strings.TrimSpace(in.Model)
	in.Prompt = strings.TrimSpace(in.Prompt)
	if !ValidModelID(in.Model) {
		return nil, model.Errf(model.CodeInvalidInput, "Choose a model, or enter a fal model id like fal-ai/flux/dev.")
	}
	if in.Local != strings.HasPrefix(in.Model, localPrefix) {
		return nil, model.Errf(model.CodeInvalidInput, "Choose a fal model; studio/ models are the studio's own actions (POST /api/stitch).")
	}
	if !in.Local {
		// The caller's policy first (models, blocked terms, forced params), here and nowhere
		// else, so every way to start a job obeys it; the usual checks then run on the result.
		// Then the token's model list (SPEC §11).
		params, err := s.ApplyPolicy(ctx, caller, in.Model, in.Prompt, in.Params, true)
		if err != nil {
			return nil, err
		}
		in.Params = params
		if err := in.Via.Allows(in.Model); err != nil {
			return nil, err
		}
	}
	lin, err := s.resolveLineage(ctx, caller, &in)
	if err != nil {
		return nil, err
	}
	refs := make([]picture, 0, len(lin.assets))
	for _, a := range lin.assets {
		refs = append(refs, assetPicture(a))
	}
	members, prompt, err := s.resolveCast(ctx, caller.ID, in.Cast, in.Prompt, in.UseDescription)
	if err != nil {
		return nil, err
	}
	p := &prepared{prompt: prompt}
	if in.PromptNotSent {
		p.prompt = ""
	}
	if len(refs) > 0 || len(members) > 0 {
		if p.ref, err = s.referenceModel(ctx, caller, in.Model); err != nil {
			return nil, err
		}
		lin.field = p.ref
		set := userURLs(in.Params, p.ref.Field)
		switch {
		case len(refs) > 0:
			// References fill the field first; the arity check below refuses a bad count.
			p.pictures = refs
			if p.ref.Multiple {
				p.pictures = append(p.pictures, castTurns(members, p.ref.Max-len(set)-len(refs))...)
			}
		case !p.ref.Multiple:
			if len(set) == 0 {
				p.pictures = castTurns(members, 1)
			}
		default:
			p.pictures = castTurns(members, p.ref.Max-len(set))
		}
	}
	if p.frames, err = s.resolveFrames(ctx, caller, &in); err != nil {
		return nil, err
	}
	g, params, err := validate(caller.ID, in, lin, p.ref, len(p.pictures))
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		g.Cast = append(g.Cast, m.ID)
	}
	p.g, p.params = g, params
	return p, nil
}

func assetPicture(a *model.Asset) picture {
	return picture{storage: a.Storage, key: a.StorageKey, contentType: a.ContentType, name: a.ID}
}

// userURLs are the URLs the person set in the reference field themselves.
func userURLs(params map[string]any, field string) []string {
	switch v := params[field].(type) {
	case string:
		if v != "" {
			return []string{v}
		}
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if sv, ok := x.(string); ok {
				out = append(out, sv)
			}
		}
		return out
	}
	return nil
}

// castTurns takes the members' pictures in turns — each member's first, then each one's
// second, … — up to n.
func castTurns(members []*model.CastMember, n int) []picture {
	var out []picture
	for round := 0; len(out) < n; round++ {
		added := false
		for _, m := range members {
			if round < len(m.Images) && len(out) < n {
				im := m.Images[round]
				out = append(out, picture{storage: im.Storage, key: im.StorageKey, contentType: im.ContentType, name: im.ID})
				added = true
			}
		}
		if !added {
			break
		}
	}
	return out
}

// CheckCast checks a submit's cast ids and @mentions as Submit does — too many, malformed, or
// an id that is not the caller's own or a shared member — without uploading anything
// (POST /api/generations/estimate). Whether the model takes the pictures is not checked: they
// do not change a price.
func (s *Service) CheckCast(ctx context.Context, caller *model.User, in SubmitInput) error {
	_, _, err := s.resolveCast(ctx, caller.ID, in.Cast, strings.TrimSpace(in.Prompt), in.UseDescription)
	return err
}

// resolveCast finds the members a submit uses — the ids in their order, then the @mentions in
// the order they appear, each once — and the prompt fal receives: each resolved mention without
// its "@", and with useDescription each used member's description appended.
func (s *Service) resolveCast(ctx context.Context, callerID int64, ids []string, prompt string, useDescription bool) ([]*model.CastMember, string, error) {
	if len(ids) > MaxCastPerSubmit {
		return nil, "", model.Errf(model.CodeInvalidInput, "At most %d cast members per generation.", MaxCastPerSubmit)
	}
	var used []*model.CastMember
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || len(id) > 64 {
			return nil, "", model.Errf(model.CodeInvalidInput, "cast must list cast member ids.")
		}
		if seen[id] {
			continue
		}
		c, err := s.st.Cast(ctx, callerID, id)
		if err != nil {
			return nil, "", err
		}
		seen[id] = true
		used = append(used, c)
	}
	mentions := Mentions(prompt)
	sent := prompt
	if len(mentions) > 0 {
		names := make([]string, 0, len(mentions))
		for _, m := range mentions {
			names = append(names, m.Name)
		}
		found, err := s.st.CastByNames(ctx, callerID, names)
		if err != nil {
			return nil, "", err
		}
		resolved := map[string]*model.CastMember{} // lower-cased name → member
		for _, m := range mentions {
			k := strings.ToLower(m.Name)
			if _, done := resolved[k]; done {
				continue
			}
			c, err := pickMention(callerID, k, found)
			if err != nil {
				return nil, "", err
			}
			resolved[k] = c // nil: plain text
			if c != nil && !seen[c.ID] {
				seen[c.ID] = true
				used = append(used, c)
			}
		}
		var b strings.Builder
		last := 0
		for _, m := range mentions {
			if resolved[strings.ToLower(m.Name)] == nil {
				continue
			}
			b.WriteString(prompt[last:m.At]) // drop the "@" only; the word stays as typed
			last = m.At + 1
		}
		b.WriteString(prompt[last:])
		sent = b.String()
	}
	if len(used) > MaxCastPerSubmit {
		return nil, "", model.Errf(model.CodeInvalidInput, "At most %d cast members per generation.", MaxCastPerSubmit)
	}
	if useDescription {
		for _, c := range used {
			if d := strings.TrimSpace(c.Description); d != "" {
				sent = strings.TrimRight(sent, " ") + ". " + d
			}
		}
	}
	return used, sent, nil
}

// pickMention resolves one mentioned name: the caller's own member, else the one member of that
// name someone else shared; several people's → cast_ambiguous; none → nil (plain text).
func pickMention(callerID int64, nameKey string, found []*model.CastMember) (*model.CastMember, error) {
	var shared []*model.CastMember
	for _, c := range found {
		if strings.ToLower(c.Name) != nameKey {
			continue
		}
		if c.UserID == callerID {
			return c, nil
		}
		shared = append(shared, c)
	}
	switch len(shared) {
	case 0:
		return nil, nil
	case 1:
		return shared[0], nil
	}
	return nil, model.Errf(model.CodeCastAmbiguous, "Several people share a cast member called @%s; pick one from the cast chips instead.", shared[0].Name)
}

// Mention is an @name in a prompt: At is the byte offset of its "@".
type Mention struct {
	Name string
	At   int
}

// castNameChar is a character of a cast name after its first: a letter, a digit, "_" or "-".
func castNameChar(r rune) bool {
	return r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// Mentions finds the @name mentions of a prompt (SPEC §14): the "@" starts the prompt or
// follows a character that is not a letter, digit or "_"; the name is a valid cast name
// followed by the end or by a character that is not a letter, digit, "_" or "-".
func Mentions(prompt string) []Mention {
	var out []Mention
	prev := rune(-1)
	for i, r := range prompt {
		if r == '@' && (prev == -1 || !(prev == '_' || unicode.IsLetter(prev) || unicode.IsDigit(prev))) {
			end := i + 1
			for j, c := range prompt[i+1:] {
				if !castNameChar(c) {
					break
				}
				end = i + 1 + j + len(string(c))
			}
			if name := prompt[i+1 : end]; ValidCastName(name) {
				out = append(out, Mention{Name: name, At: i})
			}
		}
		prev = r
	}
	return out
}

// ValidCastName: 1–40 letters, digits, "_" and "-", starting with a letter or digit.
func ValidCastName(name string) bool {
	n := 0
	for i, r := range name {
		if !castNameChar(r) || (i == 0 && (r == '_' || r == '-')) {
			return false
		}
		n++
	}
	return n >= 1 && n <= 40
}

// falInput is what fal receives for a prepared submit: the parameters, the prompt, and the
// reference field filled with the pictures uploaded to fal storage with the person's key.
func (s *Service) falInput(ctx context.Context, key string, p *prepared) (map[string]any, error) {
	input := maps.Clone(p.params)
	if p.prompt != "" {
		input["prompt"] = p.prompt
	}
	if p.ref == nil || len(p.pictures) == 0 {
		return input, nil
	}
	urls := make([]any, 0, len(p.pictures))
	for _, pic := range p.pictures {
		u, err := s.uploads.upload(ctx, key, pic, s.uploadPicture)
		if err != nil {
			return nil, err
		}
		urls = append(urls, u)
	}
	if !p.ref.Multiple {
		input[p.ref.Field] = urls[0]
		return input, nil
	}
	list := []any{}
	for _, u := range userURLs(p.params, p.ref.Field) {
		list = append(list, u)
	}
	input[p.ref.Field] = append(list, urls...)
	return input, nil
}

// uploadPicture sends one stored object (an asset's original, a cast picture) to fal storage
// with the person's key, unchanged.
func (s *Service) uploadPicture(ctx context.Context, key string, pic picture) (string, error) {
	rc, obj, err := s.storage.Open(ctx, pic.storage, pic.key, 0, -1)
	if err != nil {
		return "", fmt.Errorf("generation: open %s: %w", pic.name, err)
	}
	defer rc.Close()
	return s.fal.Upload(ctx, key, pic.contentType, safeFileName(pic.name, pic.contentType), rc, obj.Size)
}

// uploadTTL is how long an upload's URL is reused for the same key and object (SPEC §14 allows
// an hour); maxCachedUploads bounds the cache.
const (
	uploadTTL        = time.Hour
	maxCachedUploads = 4096
)

// uploadCache remembers the fal URL of an object one key uploaded, so a compare's runs (or the
// next submit with the same cast) upload each picture once. Entries are per key: another
// person's upload is never reused. Concurrent uploads of one object wait for the first.
type uploadCache struct {
	mu      sync.Mutex
	entries map[string]*uploadEntry
	now     func() time.Time
}

type uploadEntry struct {
	ready chan struct{}
	url   string
	err   error
	at    time.Time
}

func (c *uploadCache) upload(ctx context.Context, key string, pic picture, do func(context.Context, string, picture) (string, error)) (string, error) {
	h := sha256.Sum256([]byte(key))
	k := hex.EncodeToString(h[:]) + "\x00" + pic.storage + "\x00" + pic.key
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*uploadEntry{}
	}
	e := c.entries[k]
	if e != nil && e.ready != nil {
		select {
		case <-e.ready:
			if e.err != nil || c.now().Sub(e.at) > uploadTTL {
				e = nil
			}
		default:
		}
	}
	if e == nil {
		if len(c.entries) >= maxCachedUploads {
			for ek, old := range c.entries { // drop finished entries; the cache is a convenience
				select {
				case <-old.ready:
					delete(c.entries, ek)
				default:
				}
			}
		}
		e = &uploadEntry{ready: make(chan struct{})}
		c.entries[k] = e
		c.mu.Unlock()
		e.url, e.err = do(ctx, key, pic)
		e.at = c.now()
		close(e.ready)
		if e.err != nil {
			c.mu.Lock()
			if c.entries[k] == e {
				delete(c.entries, k)
			}
			c.mu.Unlock()
		}
		return e.url, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.ready:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	if e.err != nil {
		return "", e.err
	}
	return e.url, nil
}
