package policy

import (
	"testing"

	"github.com/falstudio/falstudio/internal/model"
)

func TestBlockedMatchesWholeWords(t *testing.T) {
	p := &model.Policy{BlockedTerms: []string{"dragon", "red  fox", "ß"}}
	for prompt, want := range map[string]string{
		"a red DRAGON":      "dragon",
		"dragon, again":     "dragon",
		"the dragon's lair": "dragon",
		"snapdragon":        "",
		"dragonfly":         "",
		"a Red\t\nFox runs": "red  fox",
		"a redfox":          "",
		"dragon":            "dragon",
		"Straße ß":          "ß",
		"":                  "",
		"dragon2":           "",
		"(dragon)":          "dragon",
		"ドラゴン dragon ドラゴン":  "dragon",
	} {
		if got := Blocked(p, prompt); got != want {
			t.Errorf("Blocked(%q) = %q, want %q", prompt, got, want)
		}
	}
	if Blocked(nil, "dragon") != "" || !Allows(nil, "x") || !Allows(&model.Policy{}, "x") || Allows(&model.Policy{AllowedModels: []string{"a"}}, "b") {
		t.Fatal("nil or empty policies must allow everything")
	}
}
