package jsonappend

import (
	"bytes"
	"encoding/json"
	"testing"
)

// tricky strings: every escape class encoding/json knows, invalid UTF-8, and plain text.
var tricky = []string{
	"", "a fox at dusk", `quote " and backslash \`, "<script>&amp;</script>", "tab\tnew\nline\rcr",
	"\b\f\x00\x01\x1f\x7f", "é ü 中文 🦊", "line\u2028para\u2029end", "bad \xff\xfe utf8 \xe2\x80", "\xed\xa0\x80 surrogate",
	"ends in \xe2", "/media/0123/thumb", "https://cdn.example.com/users/1/a%20b.png",
}

func encodingJSON(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range tricky {
		if got, want := String(nil, s), encodingJSON(t, s); !bytes.Equal(got, want) {
			t.Errorf("String(%q) = %s, encoding/json: %s", s, got, want)
		}
	}
}

func TestRawMatchesEncodingJSON(t *testing.T) {
	for _, raw := range []string{
		`{}`, `{"seed":42}`, ` { "image_size" : "square_hd" ,
		"steps": [1, 2,	3], "nested": {"a": null, "b": true} } `,
		`{"prompt":"a <b> & \"c\" \\ d","x":"\u2028"}`, "{\"p\":\"raw \u2028 and \u2029 in a string\"}",
		`{"s":"spaces   inside strings stay","e":"\\"}`, `[1.5e3, -0, "x"]`, `"just a string"`, `12`,
	} {
		if got, want := Raw(nil, []byte(raw)), encodingJSON(t, json.RawMessage(raw)); !bytes.Equal(got, want) {
			t.Errorf("Raw(%q) = %s, encoding/json: %s", raw, got, want)
		}
	}
	if got := Raw(nil, nil); string(got) != "null" {
		t.Errorf("Raw(nil) = %s, want null", got)
	}
}

func TestNumbersAndBools(t *testing.T) {
	for _, n := range []int64{0, -1, 42, 1 << 53, -1 << 63} {
		if got, want := Int(nil, n), encodingJSON(t, n); !bytes.Equal(got, want) {
			t.Errorf("Int(%d) = %s, want %s", n, got, want)
		}
	}
	if string(Bool(nil, true)) != "true" || string(Bool(nil, false)) != "false" {
		t.Error("Bool")
	}
}

// FuzzString: any string encodes as encoding/json encodes it.
func FuzzString(f *testing.F) {
	for _, s := range tricky {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := String(nil, s), encodingJSON(t, s); !bytes.Equal(got, want) {
			t.Fatalf("String(%q) = %s, encoding/json: %s", s, got, want)
		}
	})
}

// FuzzRaw: any valid JSON value compacts as encoding/json compacts a json.RawMessage.
func FuzzRaw(f *testing.F) {
	f.Add(`{"a": "<&>", "b": [1, 2]}`)
	f.Add("{\"p\": \"\u2028\"}")
	f.Fuzz(func(t *testing.T, raw string) {
		if !json.Valid([]byte(raw)) {
			return // Raw is only given what the studio validated
		}
		if got, want := Raw(nil, []byte(raw)), encodingJSON(t, json.RawMessage(raw)); !bytes.Equal(got, want) {
			t.Fatalf("Raw(%q) = %s, encoding/json: %s", raw, got, want)
		}
	})
}
