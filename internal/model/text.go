package model

// Invisible and direction-changing characters (SPEC §18): they make one email or name look like
// another ("ad\u200bmin@…") or reverse what a reader sees ("\u202egnp.exe").
//
// HasInvisible reports whether s holds one: U+200B–U+200F, U+202A–U+202E, U+2060–U+2069 or
// U+FEFF. In a name (name true) the zero-width joiner and non-joiner, U+200C and U+200D, are
// allowed: emoji sequences and several scripts need them.
func HasInvisible(s string, name bool) bool {
	for _, r := range s {
		switch {
		case name && (r == 0x200C || r == 0x200D):
		case r >= 0x200B && r <= 0x200F, r >= 0x202A && r <= 0x202E, r >= 0x2060 && r <= 0x2069, r == 0xFEFF:
			return true
		}
	}
	return false
}
