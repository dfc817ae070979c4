package library_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/library"
	"github.com/falstudio/falstudio/internal/media"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/testutil"
)

const exportPassword = "a long enough passphrase"

// signUp makes an account and returns its client and id.
func signUp(t *testing.T, st *testutil.Studio, email string) (*testutil.Client, int64) {
	t.Helper()
	c := st.NewClient(t)
	c.SignUp(email, exportPassword)
	u, err := st.App.Store().UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return c, u.ID
}

// seedAssets stores n assets of a few bytes each for a user, each with the given prompt and
// params, created a second apart; it returns their ids, oldest first.
func seedAssets(t *testing.T, st *testutil.Studio, uid int64, n int, prompt string, params json.RawMessage) []string {
	t.Helper()
	ctx := context.Background()
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ids := make([]string, 0, n)
	for i := range n {
		id := strings.ToLower(rand.Text())
		created := base.Add(time.Duration(i) * time.Second)
		key := media.ObjectKey(uid, model.KindImage, "p", id, "image/png", created)
		body := []byte(fmt.Sprintf("png %d", i))
		saved, err := st.App.Library().Storage().Save(ctx, key, bytes.NewReader(body), int64(len(body)), "image/png")
		if err != nil {
			t.Fatalf("save: %v", err)
		}
		a := &model.Asset{ID: id, UserID: uid, Model: "acme/any-app", Prompt: prompt, Kind: model.KindImage, StorageKey: key,
			Storage: saved.Storage, ContentType: "image/png", Bytes: saved.Bytes, Width: 8, Height: 8, Params: params, CreatedAt: created}
		if ok, err := st.App.Store().InsertAsset(ctx, a); err != nil || !ok {
			t.Fatalf("insert asset: %v %v", ok, err)
		}
		ids = append(ids, id)
	}
	return ids
}

// exportPeak downloads an export and returns the archive and the peak heap while it ran (the
// archive is small: the files are a few bytes and metadata.json deflates well).
func exportPeak(t *testing.T, c *testutil.Client, ids []string) ([]byte, uint64) {
	t.Helper()
	runtime.GC()
	sampler := testutil.SamplePeakHeap()
	req, err := http.NewRequest("GET", c.Base+"/api/export.zip?ids="+strings.Join(ids, ","), nil)
	if err != nil {
		t.Fatal(err)
	}
	client := *c.HTTP
	client.Timeout = 5 * time.Minute // a slow machine under -race
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	peak := sampler.Stop()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("export of %d: %d, %v", len(ids), resp.StatusCode, err)
	}
	return body, peak
}

// TestExportMemoryIsFlat: an export reads its rows and writes metadata.json in pages, so 300
// assets with 10,000-character prompts and 60 KB of params each (about 30 MB of rows) take no
// more memory than 20 of them. Before, every row and the whole metadata.json were held at once
// (a review measured 430 MB for 500 such rows; this test saw 317 MiB for 500).
func TestExportMemoryIsFlat(t *testing.T) {
	st := testutil.NewStudio(t, testutil.StudioOptions{})
	c, uid := signUp(t, st, "flat@example.com")
	prompt := strings.Repeat("🙂", 9_999)
	p := map[string]string{}
	for i := range 60 {
		p[fmt.Sprintf("k%d", i)] = strings.Repeat("x", 1000)
	}
	params, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	ids := seedAssets(t, st, uid, 300, prompt, params)

	_, few := exportPeak(t, c, ids[:20])
	archive, many := exportPeak(t, c, ids)
	t.Logf("peak heap: %d MiB for 20 assets, %d MiB for %d", few>>20, many>>20, len(ids))
	if many > few+24<<20 {
		t.Fatalf("an export of %d large rows peaked at %d MiB, %d MiB above one of 20: memory grows with the rows",
			len(ids), many>>20, (many-few)>>20)
	}

	// The archive is whole: every file and every entry of metadata.json, in order.
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	if len(zr.File) != len(ids)+1 || zr.File[0].Name != "metadata.json" {
		t.Fatalf("archive holds %d files, first %q", len(zr.File), zr.File[0].Name)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Format string
		Assets []struct {
			ID, Prompt, File string
			Params           map[string]string
		}
	}
	err = json.NewDecoder(rc).Decode(&meta)
	rc.Close()
	if err != nil {
		t.Fatalf("metadata.json: %v", err)
	}
	if meta.Format != "fal-studio-export/1" || len(meta.Assets) != len(ids) {
		t.Fatalf("metadata: format %q, %d assets", meta.Format, len(meta.Assets))
	}
	for i, a := range meta.Assets {
		if a.ID != ids[i] || a.Prompt != prompt || a.Params["k59"] != p["k59"] || zr.File[i+1].Name != a.File {
			t.Fatalf("metadata entry %d: %s, file %q (archive %q)", i, a.ID, a.File, zr.File[i+1].Name)
		}
	}
}

// TestExportsAreBounded: at most 2 exports at once per person and 8 in all (SPEC §18); another
// answers 429 too_many_exports with Retry-After, and a slot given back serves again.
func TestExportsAreBounded(t *testing.T) {
	st := testutil.NewStudio(t, testutil.StudioOptions{})
	ctx := context.Background()
	type person struct {
		c   *testutil.Client
		id  int64
		ids []string
	}
	var people []person
	for i := range 5 {
		c, id := signUp(t, st, fmt.Sprintf("exporter%d@example.com", i))
		people = append(people, person{c, id, seedAssets(t, st, id, 1, "one", json.RawMessage(`{}`))})
	}
	lib := st.App.Library()
	hold := func(p person) *library.Export {
		t.Helper()
		ex, err := lib.PrepareExport(ctx, p.id, p.ids, "")
		if err != nil {
			t.Fatalf("export for %d: %v", p.id, err)
		}
		return ex
	}
	refused := func(p person, want string) {
		t.Helper()
		r := p.c.Do("GET", "/api/export.zip?ids="+p.ids[0], nil)
		if r.Status != 429 || r.ErrorCode() != model.CodeTooManyExports || r.Header.Get("Retry-After") == "" {
			t.Fatalf("export over the limit: %d %v %s", r.Status, r.Header, r.Body)
		}
		if msg := r.JSON()["error"].(map[string]any)["message"].(string); !strings.Contains(msg, want) {
			t.Fatalf("message %q does not say %q", msg, want)
		}
	}
	// Two of one person's exports in progress: a third is refused, another person's is not.
	first, second := hold(people[0]), hold(people[0])
	refused(people[0], "2 exports in progress")
	if r := people[1].c.Do("GET", "/api/export.zip?ids="+people[1].ids[0], nil); r.Status != 200 {
		t.Fatalf("another person's export: %d %s", r.Status, r.Body)
	}
	// A slot given back (Close may come twice: once from WriteTo's caller, once from a defer).
	first.Close()
	first.Close()
	if r := people[0].c.Do("GET", "/api/export.zip?ids="+people[0].ids[0], nil); r.Status != 200 {
		t.Fatalf("export after one finished: %d %s", r.Status, r.Body)
	}
	// Eight in progress in all: anyone's next is refused until one ends.
	held := []*library.Export{second, hold(people[0])}
	for _, p := range people[1:4] {
		held = append(held, hold(p), hold(p))
	}
	refused(people[4], "as many exports as it allows")
	held[len(held)-1].Close()
	if r := people[4].c.Do("GET", "/api/export.zip?ids="+people[4].ids[0], nil); r.Status != 200 {
		t.Fatalf("export after a slot freed: %d %s", r.Status, r.Body)
	}
	for _, ex := range held {
		ex.Close()
	}
	// A refused or failed preparation holds no slot: unknown ids answer 404 every time.
	for range 3 {
		if r := people[4].c.Do("GET", "/api/export.zip?ids=unknown", nil); r.Status != 404 {
			t.Fatalf("unknown ids: %d", r.Status)
		}
	}
	if r := people[4].c.Do("GET", "/api/export.zip?ids="+people[4].ids[0], nil); r.Status != 200 {
		t.Fatalf("export after refusals: %d %s", r.Status, r.Body)
	}
}
