package generation

import (
	"encoding/json"
	"testing"

	"github.com/falstudio/falstudio/internal/model"
)

// The reference arity is enforced: a single-image field refuses a list, a list field a string;
// referenced assets (SPEC §13.2, extra) count with the URLs params lists.
func TestValidateParamsReferenceArity(t *testing.T) {
	single, multi := modelByID("fal-ai/flux-pro/kontext"), modelByID("fal-ai/nano-banana/edit")
	if single == nil || multi == nil || single.Reference.Multiple || !multi.Reference.Multiple {
		t.Fatal("catalogue models changed")
	}
	u := "https://v3.fal.media/files/x.png"
	for _, tc := range []struct {
		name  string
		m     *Model
		v     any
		ok    bool
		extra int
	}{
		{"one url", single, u, true, 0},
		{"a list for one", single, []any{u}, false, 0},
		{"a list", multi, []any{u, u}, true, 0},
		{"a string for a list", multi, u, false, 0},
		{"too many", multi, []any{u, u, u, u, u}, false, 0},
		{"none when one is needed", multi, []any{}, false, 0},
		{"not uploaded", single, "file:///etc/passwd", false, 0},
		{"one referenced asset for one", single, nil, true, 1},
		{"a referenced asset and a url for one", single, u, false, 1},
		{"two referenced assets for one", single, nil, false, 2},
		{"referenced assets for a list", multi, nil, true, 2},
		{"urls then referenced assets", multi, []any{u, u, u}, true, 1},
		{"urls and referenced assets over the max", multi, []any{u, u, u}, false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := map[string]any{tc.m.Reference.Field: tc.v}
			err := validateParams(tc.m, p)
			if err == nil {
				err = checkReferenceField(tc.m.Reference, p, tc.extra)
			}
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				if me, isModel := err.(*model.Error); !isModel || me.Code != model.CodeInvalidInput {
					t.Fatalf("error %v is not invalid_input", err)
				}
			}
		})
	}
}

func TestTakesSeed(t *testing.T) {
	if !takesSeed("fal-ai/flux/schnell", nil) || takesSeed("fal-ai/nano-banana", map[string]any{"seed": 1}) {
		t.Fatal("curated models say whether they take a seed")
	}
	if takesSeed("someone/app", nil) || !takesSeed("someone/app", map[string]any{"seed": json.Number("3")}) {
		t.Fatal("another model takes a seed when one is set")
	}
	for range 100 {
		if s := randomSeed(); s < 0 || s > maxSeed {
			t.Fatalf("seed %d out of range", s)
		}
	}
}
