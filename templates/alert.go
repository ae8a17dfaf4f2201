package templates

// The data of the monitor's messages (alert.tmpl): alerts, their resolution,
// stale data and chats close to the response target. Figures come
// formatted, so that a template only places them.

// Alert is the data of the "alert.*" blocks.
type Alert struct {
	Command    string // the slash command, such as "/shopwatch"
	Shop       Shop
	Metric     string // the metric's short name: "NRR", "the chat response rate"
	Title      string // its name in a list: "Negative review rate (NRR)"
	Transition string // warn, critical, improving, reminder, resolved, stale, unacknowledged
	Level      string // the level now, in words: "critical", "warn", "ok"
	From       string // the level announced before, in words
	Value      string // "0.61%"
	Threshold  string // the threshold passed, in words: "critical above 0.5%"
	Warn       string // "0.4%"
	ClearAt    string // the value at which the alert resolves: "0.36%"
	Date       string // the evaluated date: "Fri 20 Nov 2026"
	Since      string // the date the alert first opened: "Fri 20 Nov 2026"
	Days       int    // days since the alert opened, to the evaluated date
	Changed    string // the first date at the level, when later than Since; "" otherwise
	RepeatDays int    // days between reminders
	Waited     string // unacknowledged: how long ago the critical alert was posted, "1 day 2 h"
	Group      string // "product" or "service": which enforcement actions apply
	LastData   string // stale data: the last date with records; "" when there are none
	// A record kind that stopped arriving (alert.kind.*):
	Kind      string // "reviews"
	KindOne   string // "review"
	DaysSince int    // days since the kind's newest record
	Affects   string // the metrics computed from it: "NRR"
	Inbox     string // the inbox folder that imports dropped exports; "" for none
	Synced    bool   // the TikTok Shop sync can bring the kind (all but reviews)
}

// Nudge is the data of the "nudge" block.
type Nudge struct {
	Command     string
	Shop        Shop
	Count       int     // chats waiting
	TargetHours float64 // the response target
	Within      string  // how soon the first deadline passes: "2 h 10 min"
}

// Sync is the data of the "sync.failing" and "sync.working" blocks.
type Sync struct {
	Command string
	Shop    Shop
	Kinds   string // failing: "orders and returns"
	Since   string // when the records were last brought up to date: "Sat 21 Nov 14:05"; "" for never
}
