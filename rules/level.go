package rules

// Level is where a metric stands against its thresholds.
type Level string

// Levels. None is the level of informational metrics, which have no thresholds.
const (
	LevelOK           Level = "ok"
	LevelWarn         Level = "warn"
	LevelCritical     Level = "critical"
	LevelInsufficient Level = "insufficient_data"
	LevelNone         Level = "none"
)

// Severity orders levels for alerting: ok < warn < critical. Levels that do
// not alert (insufficient data, none) are -1.
func (l Level) Severity() int {
	switch l {
	case LevelOK:
		return 0
	case LevelWarn:
		return 1
	case LevelCritical:
		return 2
	}
	return -1
}

// Worse reports whether value is past threshold in the metric's bad direction.
func (m Metric) Worse(value, threshold float64) bool {
	if m.LowerIsWorse() {
		return value < threshold
	}
	return value > threshold
}

// LevelOf is the level of a metric's value. A nil th makes the metric
// informational; volume below minVolume, or no value, is insufficient data.
func LevelOf(m Metric, value float64, valid bool, volume, minVolume int, th *Thresholds) Level {
	switch {
	case th == nil:
		return LevelNone
	case !valid || volume < minVolume:
		return LevelInsufficient
	case m.Worse(value, th.Critical):
		return LevelCritical
	case m.Worse(value, th.Warn):
		return LevelWarn
	}
	return LevelOK
}
