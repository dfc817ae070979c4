package model

import "testing"

func TestHasInvisible(t *testing.T) {
	for _, s := range []string{"ad\u200bmin", "\u202egnp.exe", "x\u2066y", "x\u2069", "\ufeffa", "a\u200e", "a\u2060"} {
		if !HasInvisible(s, true) || !HasInvisible(s, false) {
			t.Errorf("%q passes", s)
		}
	}
	for _, s := range []string{"plain", "Zoë's board", "👩\u200d💻", "می\u200cخواهم", "日本語"} {
		if HasInvisible(s, true) {
			t.Errorf("name %q refused", s)
		}
	}
	if !HasInvisible("👩\u200d💻", false) || !HasInvisible("a\u200cb", false) {
		t.Error("a joiner passes outside a name")
	}
}
