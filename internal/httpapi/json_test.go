package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"
)

// scanJSON takes untrusted bodies: it never panics, refuses what is not valid JSON, and when
// it accepts an object, the object has no duplicate key and its non-null keys are reported.
func FuzzScanJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":1,"a":2}`, `{"a":{"b":1,"b":2}}`, `[{"a":1},{"a":1}]`, `{"a":null,"b":[1,{"c":2}]}`, `{`, `{"a":}`, `"x"`, `{} {}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		present, err := scanJSON(body)
		if err != nil {
			return
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(body))
		if derr := dec.Decode(&v); derr != nil {
			t.Fatalf("scanJSON accepted %q, which does not decode: %v", body, derr)
		}
		if m, ok := v.(map[string]any); ok {
			for k, val := range m {
				if (val != nil) != present[k] {
					t.Fatalf("%q: key %q present=%v, value %v", body, k, present[k], val)
				}
			}
		}
	})
}

func TestScanJSONDuplicates(t *testing.T) {
	for body, ok := range map[string]bool{
		`{"a":1,"b":2}`: true, `{"a":1,"a":2}`: false, `{"a":{"x":1},"b":{"x":1}}`: true,
		`{"p":{"seed":1,"seed":2}}`: false, `{"l":[{"k":1},{"k":2}]}`: true, `{"l":[{"k":1,"k":2}]}`: false,
	} {
		if _, err := scanJSON([]byte(body)); (err == nil) != ok {
			t.Errorf("%s: err %v, want ok=%v", body, err, ok)
		}
	}
}
