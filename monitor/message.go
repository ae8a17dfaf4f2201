package monitor

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shopwatch/shopwatch/rules"
	"github.com/shopwatch/shopwatch/store"
)

// The messages the monitor sends, as the outbox keeps them (JSON) and the
// notifier renders them: views made from reports and breakdowns, decoupled
// from database rows.

// Kinds of messages.
const (
	KindAlert       = "alert"        // an alert notification (rules.Notification)
	KindDigest      = "digest"       // a shop's weekly digest
	KindDigestChart = "digest_chart" // the digest's chart, posted in its thread
	KindOverview    = "overview"     // the all-shops digest for the admin channel
	KindNudge       = "nudge"        // buyer chats close to the response target
	KindSync        = "sync"         // a shop's TikTok sync failing, or working again
)

// Message is one notification: what the outbox holds for it.
type Message struct {
	Kind     string
	Key      string
	Channel  string
	ShopID   string // "" for the overview
	ShopName string

	Alert    *Alert    `json:",omitempty"`
	Digest   *Digest   `json:",omitempty"` // KindDigest and KindDigestChart
	Overview *Overview `json:",omitempty"`
	Nudge    *Nudge    `json:",omitempty"`
	Sync     *SyncNews `json:",omitempty"`
}

// DecodeMessage decodes an outbox payload.
func DecodeMessage(payload []byte) (*Message, error) {
	var m Message
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, fmt.Errorf("monitor: decode message: %w", err)
	}
	return &m, nil
}

// Alert is a notification of SPEC section 4 with what explains it.
type Alert struct {
	Metric     rules.Metric // rules.MetricData for stale data
	Day        rules.Day
	Transition rules.Transition
	From, To   rules.Level
	Since      rules.Day // the date the alert first opened (stale data: the first stale date)
	Changed    rules.Day `json:",omitempty"` // the first date at To
	Root       string    // key of the episode's first message
	Figure     rules.Result
	WeekAgo    *rules.Result        `json:",omitempty"` // the metric 7 days earlier: the trend
	ClearAt    float64              // the value at which the alert resolves (hysteresis)
	Products   []store.ProductCount `json:",omitempty"`
	// Tally is the shop's tally (rules.Tally) cut to the entries counted in
	// the metric, in the tally's order: the same causes and counts as the
	// tips and digests.
	Tally      []rules.TallyEntry `json:",omitempty"`
	Hours      []store.HourStat   `json:",omitempty"` // chat: slowest hours
	LastData   rules.Day          `json:",omitempty"` // stale data: the last date with records
	HasData    bool               `json:",omitempty"`
	RepeatDays int                `json:",omitempty"` // the policy's reminder interval
	// Waited is, in a KindAckReminder, how long the critical alert has
	// waited for an acknowledgement (whole hours).
	Waited time.Duration `json:",omitempty"`
}

// Series is one metric's daily values over the digest's eight weeks.
type Series struct {
	Metric     rules.Metric
	Thresholds *rules.Thresholds `json:",omitempty"`
	Values     []*float64        // one per date from Digest.First; nil when there is no value
	Levels     []rules.Level
}

// Digest is a shop's weekly digest.
type Digest struct {
	Day     rules.Day      // the last date of the week
	First   rules.Day      // the first date of the series (eight weeks)
	Current []rules.Result // every metric on Day
	Before  []rules.Result // every metric a week before
	Series  []Series       // metrics with thresholds, daily
	// LevelDays counts, per metric with thresholds, the dates of the last
	// 30 at each level.
	LevelDays  map[rules.Metric]map[rules.Level]int
	Inputs     []rules.Input        `json:",omitempty"` // the freshness of each record kind on Day
	Products   []store.ProductCount // top products behind NRR and SFRR
	Tally      []rules.TallyEntry   // the top of the shop's tally (rules.Tally)
	WindowDays int
	Muted      []store.Mute `json:",omitempty"`
}

// ShopLine is one shop's line of the overview.
type ShopLine struct {
	ShopID   string
	Name     string
	Day      rules.Day
	Worst    rules.Level // the worst level of a metric with thresholds
	Critical int         // metrics at critical
	Warn     int
	Stale    bool           // no new records for the stale-data period
	Figures  []rules.Result // metrics at warn or critical, or that cannot be judged (stale, no data)
	Err      string         `json:",omitempty"`
}

// Overview is the all-shops digest, shops worst first.
type Overview struct {
	Day   rules.Day // the week's last date
	Shops []ShopLine
}

// Nudge is a list of buyer chats whose response deadline is close.
type Nudge struct {
	Chats       []store.WaitingChat
	TargetHours float64
	Within      float64 // hours from the sweep to the latest of the deadlines
}

// SyncNews is a shop's TikTok sync failing, or working again after a
// failure was announced.
type SyncNews struct {
	Working bool     // every kind's latest run succeeded: the failure is over
	Kinds   []string // failing: the record kinds whose latest run failed
	// Since is when the failing kinds last synced (the oldest of them);
	// zero when one never has. Working: when the records were brought up
	// to date.
	Since time.Time
	Error string // failing: why the latest failed run failed
}
