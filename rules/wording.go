package rules

// Unit is how a metric's value is shown.
type Unit uint8

const (
	UnitPercent Unit = iota // a fraction shown as a percentage
	UnitHours               // hours shown as a duration
)

// MetricWords are the names of a metric in what users read: one table for
// the bot's answers and messages, the digest chart and the CLI.
type MetricWords struct {
	Label  string // the human name: "Negative review rate"
	Title  string // in a list of figures: "Negative review rate (NRR)"
	Short  string // in a sentence: "NRR", "the chat response rate"
	Abbrev string // the shortest: "NRR", "chat rate"
	Chart  string // a chart panel's title: "NRR - negative review rate"
	Unit   Unit
}

var metricWords = map[Metric]MetricWords{
	NRR: {Label: "Negative review rate", Title: "Negative review rate (NRR)", Short: "NRR",
		Chart: "NRR - negative review rate"},
	NRRProduct: {Label: "Negative review rate (product)", Title: "NRR, product-related", Short: "product NRR",
		Chart: "NRR product-related"},
	NRRService: {Label: "Negative review rate (service)", Title: "NRR, service-related", Short: "service NRR",
		Chart: "NRR service-related"},
	SFRR: {Label: "Seller-fault return/refund rate", Title: "Seller-fault return/refund rate (SFRR)", Short: "SFRR",
		Chart: "SFRR - seller-fault return/refund rate"},
	ChatResponseRate: {Label: "Chat response rate", Short: "the chat response rate", Abbrev: "chat rate",
		Chart: "Chat response rate"},
	ChatAvgResponseHours: {Label: "Chat average response time", Short: "the average chat response time", Abbrev: "chat time",
		Unit: UnitHours},
}

// Words returns m's names. A name the table leaves out falls back: Title to
// Label, Abbrev to Short, and Label, Short and Chart to the metric's key.
func (m Metric) Words() MetricWords {
	w := metricWords[m]
	if w.Label == "" {
		w.Label = string(m)
	}
	if w.Title == "" {
		w.Title = w.Label
	}
	if w.Short == "" {
		w.Short = string(m)
	}
	if w.Abbrev == "" {
		w.Abbrev = w.Short
	}
	if w.Chart == "" {
		w.Chart = string(m)
	}
	return w
}

// Label is the human name of m.
func (m Metric) Label() string { return m.Words().Label }
