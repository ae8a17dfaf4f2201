package chart

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"testing"

	"github.com/shopwatch/shopwatch/rules"
)

func values(vs ...float64) []*float64 {
	out := make([]*float64, len(vs))
	for i := range vs {
		out[i] = &vs[i]
	}
	return out
}

// week is 56 days of values around v, with one day missing.
func week(v float64) []*float64 {
	vs := make([]float64, 56)
	for i := range vs {
		vs[i] = v * (0.8 + 0.4*float64(i%7)/6)
	}
	out := values(vs...)
	out[20] = nil
	return out
}

func decode(t *testing.T, b []byte) *image.RGBA {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the chart is not a PNG: %v", err)
	}
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, image.Point{}, draw.Src)
	return rgba
}

// count counts the pixels of colour c in r.
func count(img *image.RGBA, r image.Rectangle, c color.RGBA) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.RGBAAt(x, y) == c {
				n++
			}
		}
	}
	return n
}

var (
	nrr  = Series{Metric: rules.NRR, Thresholds: &rules.Thresholds{Warn: 0.01, Critical: 0.02}, Values: week(0.012)}
	chat = Series{Metric: rules.ChatResponseRate, Thresholds: &rules.Thresholds{Warn: 0.9, Critical: 0.8}, Values: week(0.85)}
	bare = Series{Metric: rules.SFRR, Values: week(0.01)}
)

func TestPNGSize(t *testing.T) {
	for _, tt := range []struct {
		name   string
		series []Series
	}{
		{"one panel", []Series{nrr}},
		{"three panels", []Series{nrr, chat, bare}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := PNG("Beauty Hub", 100, 155, tt.series)
			if err != nil {
				t.Fatal(err)
			}
			img := decode(t, b)
			w, h := Size(len(tt.series))
			if img.Bounds().Dx() != w || img.Bounds().Dy() != h || w != 960 || h != 40+len(tt.series)*190+16 {
				t.Errorf("chart %v, want %dx%d", img.Bounds(), w, h)
			}
		})
	}
	if _, err := PNG("x", 1, 2, nil); !errors.Is(err, ErrNoSeries) {
		t.Errorf("a chart without series: %v, want ErrNoSeries", err)
	}
}

// TestPNGDrawsLinesAndLabels checks each panel's parts by their colours in
// the regions they belong to.
func TestPNGDrawsLinesAndLabels(t *testing.T) {
	img := decode(t, must(PNG("Beauty Hub", 100, 155, []Series{nrr, chat, bare})))
	for i, tt := range []struct {
		name       string
		thresholds bool
	}{
		{"higher is worse, with thresholds", true},
		{"lower is worse, with thresholds", true},
		{"no thresholds", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			panel := image.Rect(chartMargin, titleH+i*panelH, chartW-chartMargin, titleH+(i+1)*panelH)
			plot := image.Rect(panel.Min.X+plotLeft, panel.Min.Y+plotTop, panel.Max.X-plotRight, panel.Max.Y-plotBottom)
			right := image.Rect(plot.Max.X+1, plot.Min.Y-glyphH, panel.Max.X, plot.Max.Y+glyphH)
			for _, c := range []struct {
				what  string
				r     image.Rectangle
				col   color.RGBA
				drawn bool
			}{
				{"the warn line", plot, colWarnLine, tt.thresholds},
				{"the critical line", plot, colCritLine, tt.thresholds},
				{"the warn label", right, colWarnLine, tt.thresholds},
				{"the critical label", right, colCritLine, tt.thresholds},
				{"the values", plot, colValue, true},
				{"the latest value's label", right, colLast, true},
				{"the dates", image.Rect(plot.Min.X-glyphW*4, plot.Max.Y+1, plot.Max.X, panel.Max.Y), colMuted, true},
			} {
				if n := count(img, c.r, c.col); (n > 0) != c.drawn {
					t.Errorf("%s: %d pixels in %v, want drawn %v", c.what, n, c.r, c.drawn)
				}
			}
		})
	}
}

// TestPNGText checks that the title and the panels' metric names are drawn
// where they belong, in the font: the pixels of text on the chart match
// those of the same text drawn alone.
func TestPNGText(t *testing.T) {
	img := decode(t, must(PNG("Beauty Hub", 100, 155, []Series{nrr, chat})))
	for _, tt := range []struct {
		name  string
		text  string
		x, y  int
		scale int
	}{
		{"title", "Beauty Hub - daily values, " + dateLabel(100) + " to " + dateLabel(155), chartMargin, 8, titleScale},
		{"first panel's metric", rules.NRR.Label(), chartMargin, titleH + 8, 1},
		{"second panel's metric", rules.ChatResponseRate.Label(), chartMargin, titleH + panelH + 8, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := image.NewRGBA(img.Bounds())
			drawText(want, tt.x, tt.y, tt.text, tt.scale, colText)
			r := image.Rect(tt.x, tt.y, tt.x+textWidth(tt.text, tt.scale), tt.y+glyphH*tt.scale)
			ink := 0
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					w := want.RGBAAt(x, y) == colText
					if w {
						ink++
					}
					if got := img.RGBAAt(x, y) == colText; got != w {
						t.Fatalf("pixel (%d, %d): text %v, want %v", x, y, got, w)
					}
				}
			}
			if ink < 10*len(tt.text) {
				t.Errorf("%q has %d pixels of ink: not drawn", tt.text, ink)
			}
		})
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
