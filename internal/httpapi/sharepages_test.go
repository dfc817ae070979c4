package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/falstudio/falstudio/internal/app"
	"github.com/falstudio/falstudio/internal/model"
	"github.com/falstudio/falstudio/internal/testutil"
)

type publicPageJSON struct {
	Kind       string  `json:"kind"`
	Name       *string `json:"name"`
	NextCursor *string `json:"nextCursor"`
	Assets     []struct {
		ID, URL, Prompt string
	} `json:"assets"`
}

// TestPublicCollectionIsPaged: a shared collection's JSON is keyset-paged like the gallery
// (SPEC §18: limit 1–100, default 50, newest first, nextCursor null on the last page) and its
// rows are read without params; an asset share answers its one asset and a null nextCursor.
func TestPublicCollectionIsPaged(t *testing.T) {
	e := newLibEnv(t)
	const n = 120
	base := time.Now().UTC().Add(-time.Hour)
	ids := make([]string, n) // oldest first
	for i := range n {
		ids[i] = e.seed(t, e.aID, fmt.Sprintf("frame %d", i), "fal-ai/flux/dev", model.KindImage, base.Add(time.Duration(i)*time.Second), 16)
	}
	c := createCollection(t, e.a, "Big board")
	mustJSON(t, e.a.Do("POST", "/api/collections/"+c+"/assets", map[string]any{"assetIds": ids}), 200, nil)
	var cs shareJSON
	mustJSON(t, e.a.Do("POST", "/api/shares", map[string]any{"collectionId": c}), 201, &cs)
	token := tokenURL.FindStringSubmatch(*cs.Share.URL)[1]
	anon := e.studio.NewClient(t)

	// Default pages of 50, newest first, every asset once, then a null cursor.
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatalf("more pages than %d assets need", n)
		}
		path := "/api/s/" + token
		if cursor != "" {
			path += "?cursor=" + url.QueryEscape(cursor)
		}
		r := anon.Do("GET", path, nil)
		var p publicPageJSON
		mustJSON(t, r, 200, &p)
		if hasAssetKey(t, r.Body, "params", "seed") || p.Name == nil || *p.Name != "Big board" {
			t.Fatalf("page shows params or lost its name: %.300s", r.Body)
		}
		for _, a := range p.Assets {
			got = append(got, a.ID)
		}
		if p.NextCursor == nil {
			if len(p.Assets) != n%50 {
				t.Fatalf("last page holds %d", len(p.Assets))
			}
			break
		}
		if len(p.Assets) != 50 {
			t.Fatalf("page %d holds %d assets, want the default 50", pages, len(p.Assets))
		}
		cursor = *p.NextCursor
	}
	if len(got) != n {
		t.Fatalf("pages gave %d assets, want %d", len(got), n)
	}
	for i, id := range got {
		if id != ids[n-1-i] {
			t.Fatalf("asset %d is %s, want %s (newest first)", i, id, ids[n-1-i])
		}
	}
	// limit: 1–100.
	var p publicPageJSON
	mustJSON(t, anon.Do("GET", "/api/s/"+token+"?limit=100", nil), 200, &p)
	if len(p.Assets) != 100 || p.NextCursor == nil {
		t.Fatalf("limit=100: %d assets, cursor %v", len(p.Assets), p.NextCursor)
	}
	mustJSON(t, anon.Do("GET", "/api/s/"+token+"?limit=7&cursor="+url.QueryEscape(*p.NextCursor), nil), 200, &p)
	if len(p.Assets) != 7 || p.Assets[0].ID != ids[n-101] {
		t.Fatalf("limit=7 after 100: %d assets", len(p.Assets))
	}
	for _, bad := range []string{"limit=101", "limit=0", "limit=-1", "limit=x", "cursor=not-a-cursor"} {
		if r := anon.Do("GET", "/api/s/"+token+"?"+bad, nil); r.Status != 400 || r.ErrorCode() != model.CodeInvalidInput {
			t.Fatalf("%s: %d %s", bad, r.Status, r.Body)
		}
	}
	// Every page's media serves; nothing outside the collection does.
	if r := anon.Do("GET", "/s/"+token+"/media/"+ids[0], nil); r.Status != 200 || !bytes.Equal(r.Body, e.files[ids[0]]) {
		t.Fatalf("media of the oldest asset: %d", r.Status)
	}
	// The store reads a shared page without params (a share never shows them; they may be 64 KB).
	page, _, err := e.studio.App.Store().SharedCollectionPage(context.Background(), e.aID, c, "", 5)
	if err != nil || len(page) != 5 || page[0].Params != nil || page[0].Prompt != "frame 119" {
		t.Fatalf("store page: %d rows, %v", len(page), err)
	}

	// An asset share: its one asset, nextCursor null (a cursor is ignored).
	var as shareJSON
	mustJSON(t, e.a.Do("POST", "/api/shares", map[string]any{"assetId": ids[3]}), 201, &as)
	atoken := tokenURL.FindStringSubmatch(*as.Share.URL)[1]
	r := anon.Do("GET", "/api/s/"+atoken, nil)
	mustJSON(t, r, 200, &p)
	if len(p.Assets) != 1 || p.Assets[0].ID != ids[3] || p.NextCursor != nil || !bytes.Contains(r.Body, []byte(`"nextCursor":null`)) {
		t.Fatalf("asset share: %s", r.Body)
	}
}

type adminSharesJSON struct {
	Shares []struct {
		ID, Kind, TargetID, CreatedAt string
		URL                           *string
		ExpiresAt                     *string
	} `json:"shares"`
}

// TestDisabledOwnersSharesAreSuspended: while an account is disabled its share links answer 404
// (JSON, page and media) like a revoked one, and serve again once it is enabled (SPEC §18); an
// admin lists a person's live links and takes one down (audited), a member can do neither.
func TestDisabledOwnersSharesAreSuspended(t *testing.T) {
	// A is the first account: an admin; B a member. The UI fixture makes /s/{token} a page.
	off := &atomic.Int64{}
	st := testutil.NewStudio(t, testutil.StudioOptions{App: app.Options{UI: uiFixture}})
	e := &libEnv{studio: st, offset: off, files: map[string][]byte{}}
	e.a, e.aID = libUser(t, st, "suspend-a@example.com")
	e.b, e.bID = libUser(t, st, "suspend-b@example.com")
	b1 := e.seed(t, e.bID, "b's fox", "fal-ai/flux/dev", model.KindImage, time.Now().UTC(), 500)
	c := createCollection(t, e.b, "B board")
	mustJSON(t, e.b.Do("POST", "/api/collections/"+c+"/assets", map[string]any{"assetIds": []string{b1}}), 200, nil)
	var as, cs shareJSON
	mustJSON(t, e.b.Do("POST", "/api/shares", map[string]any{"assetId": b1}), 201, &as)
	mustJSON(t, e.b.Do("POST", "/api/shares", map[string]any{"collectionId": c, "expiresAt": time.Now().Add(24 * time.Hour).Format(time.RFC3339)}), 201, &cs)
	atoken := tokenURL.FindStringSubmatch(*as.Share.URL)[1]
	ctoken := tokenURL.FindStringSubmatch(*cs.Share.URL)[1]
	anon := e.studio.NewClient(t)
	bID := strconv.FormatInt(e.bID, 10)

	serves := func(want int) {
		t.Helper()
		for _, tok := range []string{atoken, ctoken} {
			if r := anon.Do("GET", "/api/s/"+tok, nil); r.Status != want {
				t.Fatalf("share JSON: %d, want %d", r.Status, want)
			}
			if r := anon.Do("GET", "/s/"+tok, nil, "Accept-Encoding", "identity"); r.Status != want {
				t.Fatalf("share page: %d, want %d", r.Status, want)
			}
			if r := anon.Do("GET", "/s/"+tok+"/media/"+b1, nil); r.Status != want || (want == 200 && !bytes.Equal(r.Body, e.files[b1])) {
				t.Fatalf("share media: %d, want %d", r.Status, want)
			}
		}
	}
	serves(200)
	mustJSON(t, e.a.Do("PATCH", "/api/admin/users/"+bID, map[string]any{"disabled": true}), 200, nil)
	serves(404)
	mustJSON(t, e.a.Do("PATCH", "/api/admin/users/"+bID, map[string]any{"disabled": false}), 200, nil)
	serves(200)

	// The admin's list: B's live links, no URL (only hashes are kept).
	var list adminSharesJSON
	r := e.a.Do("GET", "/api/admin/users/"+bID+"/shares", nil)
	mustJSON(t, r, 200, &list)
	if len(list.Shares) != 2 || list.Shares[0].ID != cs.Share.ID || list.Shares[1].ID != as.Share.ID ||
		list.Shares[0].URL != nil || list.Shares[0].ExpiresAt == nil || list.Shares[1].Kind != "asset" || list.Shares[1].TargetID != b1 ||
		bytes.Contains(r.Body, []byte(atoken)) || bytes.Contains(r.Body, []byte(ctoken)) {
		t.Fatalf("admin share list: %s", r.Body)
	}
	var mine adminSharesJSON
	mustJSON(t, e.a.Do("GET", "/api/admin/users/"+strconv.FormatInt(e.aID, 10)+"/shares", nil), 200, &mine)
	if len(mine.Shares) != 0 {
		t.Fatalf("the admin's own shares: %+v", mine.Shares)
	}
	for _, unknown := range []string{"999999", "0", "x"} {
		if r := e.a.Do("GET", "/api/admin/users/"+unknown+"/shares", nil); r.Status != 404 {
			t.Fatalf("shares of unknown user %s: %d", unknown, r.Status)
		}
	}
	// A member can neither list nor revoke (B signs in again: disabling ended B's sessions).
	mustJSON(t, e.b.Do("POST", "/api/auth/login", map[string]any{"email": "suspend-b@example.com", "password": goodPassword}), 200, nil)
	if r := e.b.Do("GET", "/api/admin/users/"+bID+"/shares", nil); r.Status != 403 || r.ErrorCode() != model.CodeForbidden {
		t.Fatalf("member list: %d %s", r.Status, r.Body)
	}
	if r := e.b.Do("DELETE", "/api/admin/shares/"+as.Share.ID, nil); r.Status != 403 || r.ErrorCode() != model.CodeForbidden {
		t.Fatalf("member revoke: %d %s", r.Status, r.Body)
	}
	// The admin takes one link down: it stops at once, once; the other still serves.
	if r := e.a.Do("DELETE", "/api/admin/shares/"+as.Share.ID, nil); r.Status != 204 {
		t.Fatalf("admin revoke: %d %s", r.Status, r.Body)
	}
	for _, again := range []string{as.Share.ID, "unknown"} {
		if r := e.a.Do("DELETE", "/api/admin/shares/"+again, nil); r.Status != 404 {
			t.Fatalf("revoke %s again: %d", again, r.Status)
		}
	}
	if r := anon.Do("GET", "/api/s/"+atoken, nil); r.Status != 404 {
		t.Fatalf("revoked link: %d", r.Status)
	}
	if r := anon.Do("GET", "/api/s/"+ctoken, nil); r.Status != 200 {
		t.Fatalf("the other link: %d", r.Status)
	}
	mustJSON(t, e.a.Do("GET", "/api/admin/users/"+bID+"/shares", nil), 200, &list)
	if len(list.Shares) != 1 || list.Shares[0].ID != cs.Share.ID {
		t.Fatalf("after the take-down: %+v", list.Shares)
	}
	// Audited as a share revoked, by the admin, naming the owner.
	var events struct {
		Events []struct {
			Action string
			Actor  *struct{ ID int64 }
			Target *struct{ Type, ID string }
			Detail map[string]any
		}
	}
	mustJSON(t, e.a.Do("GET", "/api/admin/audit?limit=100", nil), 200, &events)
	found := false
	for _, ev := range events.Events {
		if ev.Action == "share.revoke" && ev.Target != nil && ev.Target.ID == as.Share.ID {
			if ev.Actor == nil || ev.Actor.ID != e.aID || ev.Target.Type != "share" || ev.Detail["ownerId"] != float64(e.bID) {
				t.Fatalf("audit entry: %+v", ev)
			}
			found = true
		}
	}
	if !found {
		raw, err := json.Marshal(events)
		t.Fatalf("no share.revoke entry for the take-down (%v): %s", err, raw)
	}
}

// hasAssetKey reports whether any asset object on a public page carries one of keys; it looks
// at keys, not bytes, so a random id or token that happens to spell "seed" cannot trip it.
func hasAssetKey(t *testing.T, body []byte, keys ...string) bool {
	t.Helper()
	var page struct {
		Assets []map[string]json.RawMessage `json:"assets"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatalf("public page is not JSON: %v: %.200s", err, body)
	}
	for _, a := range page.Assets {
		for _, k := range keys {
			if _, ok := a[k]; ok {
				return true
			}
		}
	}
	return false
}
