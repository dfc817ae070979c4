package generation

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/falstudio/falstudio/internal/model"
)

// SPEC §14's mention rule: "@" at the start or after a non-word character, the name ending at
// the end or before a character that is not a letter, digit, "_" or "-".
func TestMentions(t *testing.T) {
	cases := map[string][]string{
		"@Mia":                        {"Mia"},
		"(@mia) and @MIA,":            {"mia", "MIA"},
		"me@mia":                      nil,
		"@Miami":                      {"Miami"},
		"a_@mia":                      nil,
		"@mia-2 and @-x @_y":          {"mia-2"},
		"@Zoë in the snow":            {"Zoë"},
		"@" + strings.Repeat("m", 41): nil,
		"@@mia":                       {"mia"},
		"email@example.com @bob.":     {"bob."[:3]},
	}
	for prompt, want := range cases {
		got := Mentions(prompt)
		var names []string
		for _, m := range got {
			names = append(names, m.Name)
			if prompt[m.At] != '@' {
				t.Fatalf("%q: At %d is not an @", prompt, m.At)
			}
		}
		if strings.Join(names, ",") != strings.Join(want, ",") {
			t.Errorf("%q: %v, want %v", prompt, names, want)
		}
	}
}

// Cast pictures are taken in turns up to the field's room.
func TestCastTurns(t *testing.T) {
	m := func(id string, n int) *model.CastMember {
		c := &model.CastMember{ID: id}
		for i := range n {
			c.Images = append(c.Images, model.CastImage{ID: id + string(rune('0'+i))})
		}
		return c
	}
	var got []string
	for _, p := range castTurns([]*model.CastMember{m("a", 3), m("b", 1), m("c", 2)}, 5) {
		got = append(got, p.name)
	}
	if strings.Join(got, ",") != "a0,b0,c0,a1,c1" {
		t.Fatalf("turns: %v", got)
	}
	if len(castTurns([]*model.CastMember{m("a", 3)}, 0)) != 0 || len(castTurns([]*model.CastMember{m("a", 2)}, 9)) != 2 {
		t.Fatal("bounds")
	}
}

func FuzzMentions(f *testing.F) {
	f.Add("(@mia) and @MIA, me@mia")
	f.Add("@\xff@a")
	f.Fuzz(func(t *testing.T, prompt string) {
		for _, m := range Mentions(prompt) {
			if m.At < 0 || m.At >= len(prompt) || prompt[m.At] != '@' || !ValidCastName(m.Name) || !utf8.ValidString(m.Name) ||
				!strings.HasPrefix(prompt[m.At+1:], m.Name) {
				t.Fatalf("%q: bad mention %+v", prompt, m)
			}
		}
	})
}
