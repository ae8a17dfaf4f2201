package chart

import (
	"image"
	"image/color"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// face is the chart's font: a 7×13 bitmap font with all of ASCII (a
// character outside it is drawn as a box).
var face = basicfont.Face7x13

// Glyph metrics at scale 1, in pixels: the advance of a character and the
// height of a line.
var (
	glyphW = face.Advance
	glyphH = face.Height
)

// titleScale is the scale of the chart's title.
const titleScale = 2

// textWidth is the width in pixels of s drawn at scale.
func textWidth(s string, scale int) int {
	return font.MeasureString(face, s).Round() * scale
}

// drawText draws s with its top-left corner at (x, y), each font pixel a
// scale×scale square.
func drawText(img *image.RGBA, x, y int, s string, scale int, c color.Color) {
	if scale <= 1 {
		d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y+face.Ascent)}
		d.DrawString(s)
		return
	}
	// Drawn at scale 1 on a transparent image, then enlarged pixel by pixel
	// over the chart.
	small := image.NewRGBA(image.Rect(0, 0, textWidth(s, 1), glyphH))
	d := font.Drawer{Dst: small, Src: image.NewUniform(c), Face: face, Dot: fixed.P(0, face.Ascent)}
	d.DrawString(s)
	dst := image.Rect(x, y, x+small.Bounds().Dx()*scale, y+glyphH*scale)
	xdraw.NearestNeighbor.Scale(img, dst, small, small.Bounds(), xdraw.Over, nil)
}
