package httpapi

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// TestPageJSONMatchesEncodingJSON: the hand-written page encoding is byte-for-byte what
// encoding/json writes, for pages with every optional field set, unset and full of characters
// that need escaping — so the gallery's answer (and its ETag-cached copy) never depends on
// which encoder wrote it.
func TestPageJSONMatchesEncodingJSON(t *testing.T) {
	texts := []string{"", "a fox", `"quoted" \ slash`, "<b>&</b>", "tab\there\nnl", "中文 🦊 é", "bad \xff utf8", "sep\u2028\u2029", "\x00\x1f"}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return texts[rng.IntN(len(texts))] }
	intPtr := func() *int {
		if rng.IntN(3) == 0 {
			return nil
		}
		n := rng.IntN(5000)
		return &n
	}
	strPtr := func() *string {
		if rng.IntN(2) == 0 {
			return nil
		}
		s := pick()
		return &s
	}
	params := []string{`{}`, `{"seed": 42, "image_size" : "square_hd"}`, `{"prompt":"<x> & y"}`, "{\"a\": [1,\n 2]}", ``}
	for round := range 300 {
		page := &AssetPage{}
		if round%17 != 0 { // now and then a page with no assets at all (null, as encoding/json)
			page.Assets = []AssetView{}
		}
		for range rng.IntN(6) {
			v := AssetView{ID: pick(), GenerationID: strPtr(), Model: pick(), Prompt: pick(), Kind: pick(), URL: pick(),
				ContentType: pick(), Bytes: rng.Int64N(1 << 40), Width: intPtr(), Height: intPtr(), Storage: pick(),
				Params: json.RawMessage(params[rng.IntN(len(params))]), CreatedAt: pick(), Favorite: rng.IntN(2) == 0, ThumbURL: strPtr()}
			if n := rng.IntN(4); n > 0 {
				v.CollectionIDs = []string{}
				for range n - 1 {
					v.CollectionIDs = append(v.CollectionIDs, pick())
				}
			}
			if len(v.Params) == 0 {
				v.Params = nil // encoding/json writes a nil RawMessage as null
			}
			page.Assets = append(page.Assets, v)
		}
		page.NextCursor = strPtr()
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(page); err != nil {
			t.Fatal(err)
		}
		got := append(page.AppendJSON(nil), '\n')
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("round %d:\n got  %s\n want %s", round, got, want.Bytes())
		}
	}
}
