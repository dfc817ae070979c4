// Package web embeds the built UI.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist returns the built UI rooted at dist/.
func Dist() fs.FS { sub, _ := fs.Sub(dist, "dist"); return sub }
