package httpapi

import "github.com/falstudio/falstudio/internal/jsonappend"

// AppendJSON appends the asset as encoding/json would encode it (the field order and
// spelling of AssetView's tags; TestPageJSONMatchesEncodingJSON checks the two agree). A gallery page encodes 50
// of these per request: without reflection that is about a fifth of the time.
func (v *AssetView) AppendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = jsonappend.String(b, v.ID)
	b = append(b, `,"generationId":`...)
	if v.GenerationID == nil {
		b = append(b, "null"...)
	} else {
		b = jsonappend.String(b, *v.GenerationID)
	}
	b = append(b, `,"model":`...)
	b = jsonappend.String(b, v.Model)
	b = append(b, `,"prompt":`...)
	b = jsonappend.String(b, v.Prompt)
	b = append(b, `,"kind":`...)
	b = jsonappend.String(b, v.Kind)
	b = append(b, `,"url":`...)
	b = jsonappend.String(b, v.URL)
	b = append(b, `,"contentType":`...)
	b = jsonappend.String(b, v.ContentType)
	b = append(b, `,"bytes":`...)
	b = jsonappend.Int(b, v.Bytes)
	b = append(b, `,"width":`...)
	b = appendIntPtr(b, v.Width)
	b = append(b, `,"height":`...)
	b = appendIntPtr(b, v.Height)
	b = append(b, `,"storage":`...)
	b = jsonappend.String(b, v.Storage)
	b = append(b, `,"params":`...)
	b = jsonappend.Raw(b, v.Params)
	b = append(b, `,"createdAt":`...)
	b = jsonappend.String(b, v.CreatedAt)
	b = append(b, `,"favorite":`...)
	b = jsonappend.Bool(b, v.Favorite)
	b = append(b, `,"collectionIds":`...)
	if v.CollectionIDs == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, id := range v.CollectionIDs {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonappend.String(b, id)
		}
		b = append(b, ']')
	}
	b = append(b, `,"thumbUrl":`...)
	if v.ThumbURL == nil {
		b = append(b, "null"...)
	} else {
		b = jsonappend.String(b, *v.ThumbURL)
	}
	return append(b, '}')
}

func appendIntPtr(b []byte, n *int) []byte {
	if n == nil {
		return append(b, "null"...)
	}
	return jsonappend.Int(b, int64(*n))
}

// AssetPage is one page of the gallery as the SPEC shows it.
type AssetPage struct {
	Assets     []AssetView `json:"assets"`
	NextCursor *string     `json:"nextCursor"`
}

// AppendJSON appends the page as encoding/json would encode it, without reflection: the
// gallery's list is the studio's hottest answer (see AssetView.AppendJSON).
func (p *AssetPage) AppendJSON(b []byte) []byte {
	if p.Assets == nil {
		b = append(b, `{"assets":null`...)
	} else {
		b = append(b, `{"assets":[`...)
		for i := range p.Assets {
			if i > 0 {
				b = append(b, ',')
			}
			b = p.Assets[i].AppendJSON(b)
		}
		b = append(b, ']')
	}
	b = append(b, `,"nextCursor":`...)
	if p.NextCursor == nil {
		b = append(b, "null"...)
	} else {
		b = jsonappend.String(b, *p.NextCursor)
	}
	return append(b, '}')
}
