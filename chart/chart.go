// Package chart draws the weekly digest's chart: one panel per metric with
// thresholds, its daily values as a line over bands that show where it is
// ok, at warn and critical, with the threshold lines labelled. It draws from
// plain inputs (rules' metrics and thresholds, values per day) and knows
// nothing of the store, the monitor or Slack. The text is
// golang.org/x/image's basicfont.
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"slices"
	"time"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/templates"
)

// Chart layout, in pixels.
const (
	chartW      = 960
	panelH      = 190
	chartMargin = 16
	plotLeft    = 64  // room for the value labels
	plotRight   = 110 // room for the threshold labels
	plotTop     = 30  // the panel title
	plotBottom  = 26  // the date labels
	titleH      = 40
)

var (
	colBackground = color.RGBA{255, 255, 255, 255}
	colText       = color.RGBA{40, 40, 48, 255}
	colMuted      = color.RGBA{120, 120, 130, 255}
	colGrid       = color.RGBA{228, 228, 234, 255}
	colOK         = color.RGBA{232, 246, 236, 255}
	colWarnBand   = color.RGBA{255, 244, 214, 255}
	colCritBand   = color.RGBA{253, 226, 226, 255}
	colWarnLine   = color.RGBA{230, 150, 20, 255}
	colCritLine   = color.RGBA{210, 40, 40, 255}
	colValue      = color.RGBA{30, 80, 190, 255}
	colLast       = color.RGBA{20, 40, 120, 255}
)

// ErrNoSeries is returned by PNG when there is no metric to draw.
var ErrNoSeries = errors.New("chart: nothing to chart: no metric has thresholds")

// Series is one metric's panel: its daily values from the chart's first
// day, and its thresholds (nil: none).
type Series struct {
	Metric     rules.Metric
	Thresholds *rules.Thresholds
	Values     []*float64 // one per day from the first; nil when there is no value
}

// Size is the width and height in pixels of a chart of n series.
func Size(n int) (w, h int) { return chartW, titleH + n*panelH + chartMargin }

// PNG draws a shop's daily values from first to last as a PNG.
func PNG(shopName string, first, last rules.Day, series []Series) ([]byte, error) {
	if len(series) == 0 {
		return nil, ErrNoSeries
	}
	w, h := Size(len(series))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{colBackground}, image.Point{}, draw.Src)
	title := fmt.Sprintf("%s - daily values, %s to %s", shopName, dateLabel(first), dateLabel(last))
	drawText(img, chartMargin, 8, clip(title, (chartW-2*chartMargin)/(titleScale*glyphW)), titleScale, colText)
	for i, s := range series {
		panel := image.Rect(chartMargin, titleH+i*panelH, chartW-chartMargin, titleH+(i+1)*panelH)
		drawPanel(img, panel, s, first)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	return b.Bytes(), nil
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-2]) + ".."
}

// dateLabel is "20 Nov".
func dateLabel(d rules.Day) string {
	y, m, dd := d.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC).Format("2 Jan")
}

// drawPanel draws one metric's panel in r.
func drawPanel(img *image.RGBA, r image.Rectangle, s Series, first rules.Day) {
	plot := image.Rect(r.Min.X+plotLeft, r.Min.Y+plotTop, r.Max.X-plotRight, r.Max.Y-plotBottom)
	drawText(img, r.Min.X, r.Min.Y+8, s.Metric.Label(), 1, colText)

	// The value range: from 0 (or, lower-is-worse, below the lowest value
	// and critical) to above the highest value and critical.
	lo, hi := 0.0, 0.0
	var last *float64
	for _, v := range s.Values {
		if v != nil {
			hi = max(hi, *v)
			last = v
		}
	}
	th := s.Thresholds
	lower := s.Metric.LowerIsWorse()
	if lower {
		lo, hi = 1.0, 1.0
		for _, v := range s.Values {
			if v != nil {
				lo = min(lo, *v)
			}
		}
		if th != nil {
			lo = min(lo, th.Critical)
		}
		lo = max(0, lo-(hi-lo)*0.25-0.01)
	} else {
		if th != nil {
			hi = max(hi, th.Critical)
		}
		hi = hi*1.2 + 1e-9
	}
	y := func(v float64) int {
		return plot.Max.Y - int(math.Round((v-lo)/(hi-lo)*float64(plot.Dy())))
	}
	clampY := func(v int) int { return min(max(v, plot.Min.Y), plot.Max.Y) }

	// Bands.
	if th != nil {
		yw, yc := clampY(y(th.Warn)), clampY(y(th.Critical))
		if lower {
			fillRect(img, image.Rect(plot.Min.X, plot.Min.Y, plot.Max.X, yw), colOK)
			fillRect(img, image.Rect(plot.Min.X, yw, plot.Max.X, yc), colWarnBand)
			fillRect(img, image.Rect(plot.Min.X, yc, plot.Max.X, plot.Max.Y), colCritBand)
		} else {
			fillRect(img, image.Rect(plot.Min.X, plot.Min.Y, plot.Max.X, yc), colCritBand)
			fillRect(img, image.Rect(plot.Min.X, yc, plot.Max.X, yw), colWarnBand)
			fillRect(img, image.Rect(plot.Min.X, yw, plot.Max.X, plot.Max.Y), colOK)
		}
	} else {
		fillRect(img, plot, colOK)
	}

	// Weekly grid and dates.
	n := len(s.Values)
	x := func(i int) int {
		if n <= 1 {
			return plot.Min.X
		}
		return plot.Min.X + int(math.Round(float64(i)*float64(plot.Dx()-1)/float64(n-1)))
	}
	for i := n - 1; i >= 0; i -= 7 {
		xi := x(i)
		vline(img, xi, plot.Min.Y, plot.Max.Y, colGrid)
		label := dateLabel(first + rules.Day(i))
		drawText(img, min(xi-textWidth(label, 1)/2, plot.Max.X-textWidth(label, 1)), plot.Max.Y+8, label, 1, colMuted)
	}
	// Value axis: the range's ends.
	drawText(img, r.Min.X, plot.Min.Y, templates.Threshold(roundTo(hi, lower)), 1, colMuted)
	drawText(img, r.Min.X, plot.Max.Y-glyphH, templates.Threshold(roundTo(lo, lower)), 1, colMuted)

	// Threshold lines, labelled on the right (with the latest value).
	var labels []label
	if th != nil {
		for _, t := range []struct {
			v    float64
			c    color.RGBA
			name string
		}{{th.Warn, colWarnLine, "WARN "}, {th.Critical, colCritLine, "CRIT "}} {
			yt := y(t.v)
			if yt < plot.Min.Y || yt > plot.Max.Y {
				continue
			}
			dashed(img, plot.Min.X, plot.Max.X, yt, t.c)
			labels = append(labels, label{y: yt - glyphH/2, text: t.name + templates.Threshold(t.v), c: t.c})
		}
	}

	// The values.
	prev := -1
	for i, v := range s.Values {
		if v == nil {
			prev = -1
			continue
		}
		if prev >= 0 {
			thickLine(img, x(prev), clampY(y(*s.Values[prev])), x(i), clampY(y(*v)), colValue)
		}
		prev = i
	}
	if last != nil && n > 0 && s.Values[n-1] != nil {
		xl, yl := x(n-1), clampY(y(*last))
		fillRect(img, image.Rect(xl-3, yl-3, xl+4, yl+4), colLast)
		labels = append(labels, label{y: yl - glyphH/2, text: "NOW " + templates.Threshold(math.Round(*last*10000)/10000), c: colLast})
	}
	for _, l := range spread(labels, plot.Min.Y, plot.Max.Y-glyphH, glyphH+4) {
		drawText(img, plot.Max.X+6, l.y, l.text, 1, l.c)
	}
	// Frame.
	hline(img, plot.Min.X, plot.Max.X, plot.Max.Y, colMuted)
	vline(img, plot.Min.X, plot.Min.Y, plot.Max.Y, colMuted)
}

// label is a text at the right of a panel.
type label struct {
	y    int
	text string
	c    color.RGBA
}

// spread moves labels apart so that they are at least gap pixels from each
// other, within [lo, hi], keeping their order from top to bottom.
func spread(labels []label, lo, hi, gap int) []label {
	out := slices.Clone(labels)
	slices.SortStableFunc(out, func(a, b label) int { return a.y - b.y })
	for i := range out {
		out[i].y = min(max(out[i].y, lo), hi)
		if i > 0 && out[i].y < out[i-1].y+gap {
			out[i].y = out[i-1].y + gap
		}
	}
	// Pushed past the bottom: shift the run up.
	for i := len(out) - 1; i >= 0; i-- {
		limit := hi
		if i < len(out)-1 {
			limit = out[i+1].y - gap
		}
		out[i].y = min(out[i].y, limit)
	}
	return out
}

// roundTo rounds an axis end to a tidy percentage: down for the low end of
// a lower-is-worse axis, up otherwise.
func roundTo(v float64, down bool) float64 {
	p := v * 1000 // tenths of a percent
	if down {
		return math.Floor(p) / 1000
	}
	return math.Ceil(p) / 1000
}

func fillRect(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r.Intersect(img.Bounds()), &image.Uniform{c}, image.Point{}, draw.Src)
}

func hline(img *image.RGBA, x0, x1, y int, c color.Color) {
	fillRect(img, image.Rect(x0, y, x1+1, y+1), c)
}

func vline(img *image.RGBA, x, y0, y1 int, c color.Color) {
	fillRect(img, image.Rect(x, y0, x+1, y1+1), c)
}

func dashed(img *image.RGBA, x0, x1, y int, c color.Color) {
	for x := x0; x <= x1; x += 9 {
		fillRect(img, image.Rect(x, y, min(x+6, x1+1), y+2), c)
	}
}

// thickLine draws a two-pixel line from (x0, y0) to (x1, y1).
func thickLine(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	e := dx + dy
	for {
		fillRect(img, image.Rect(x0, y0, x0+2, y0+2), c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
