package rules

import (
	"strings"
	"testing"
	"time"
)

func TestParseConfigAlerts(t *testing.T) {
	const shop = "shops:\n  - id: \"1\"\n    timezone: Asia/Bangkok\n"
	t.Run("defaults", func(t *testing.T) {
		c, err := ParseConfig([]byte(shop))
		if err != nil {
			t.Fatal(err)
		}
		if c.Alerts != DefaultAlertPolicy() || c.Evaluation != (DailySchedule{Hour: 7}) {
			t.Errorf("alerts %+v, evaluation %+v", c.Alerts, c.Evaluation)
		}
	})
	t.Run("set", func(t *testing.T) {
		c, err := ParseConfig([]byte(shop + "evaluation: {time: \"06:30\"}\nalerts: {repeat_every: 2w, hysteresis: \"5%\", stale_days: 3d, remind_after: 36h}\n"))
		if err != nil {
			t.Fatal(err)
		}
		want := AlertPolicy{Hysteresis: 0.05, RepeatEvery: 14, StaleDays: 3, RemindAfter: 36 * time.Hour}
		if c.Alerts != want || c.Evaluation != (DailySchedule{Hour: 6, Minute: 30}) {
			t.Errorf("alerts %+v, evaluation %+v", c.Alerts, c.Evaluation)
		}
	})
	t.Run("zero turns reminders and staleness off", func(t *testing.T) {
		c, err := ParseConfig([]byte(shop + "alerts:\n  repeat_every: 0\n  stale_days: 0\n  remind_after: 0\n"))
		if err != nil {
			t.Fatal(err)
		}
		if c.Alerts.RepeatEvery != 0 || c.Alerts.StaleDays != 0 || c.Alerts.RemindAfter != 0 || c.Alerts.Hysteresis != 0.1 {
			t.Errorf("alerts %+v", c.Alerts)
		}
	})
	for _, tt := range []struct{ name, yaml, want string }{
		{"bad time", "evaluation: {time: \"7am\"}\n", `evaluation: time "7am"`},
		{"bad days", "alerts: {repeat_every: weekly}\n", `line 4: "weekly": want a number of days`},
		{"negative days", "alerts: {stale_days: -1}\n", `"-1": want a number of days`},
		{"hysteresis 100%", "alerts: {hysteresis: \"100%\"}\n", "alerts: hysteresis 1"},
		{"bad remind_after", "alerts: {remind_after: soon}\n", `line 4: "soon": want a duration like 15m, 2h or 90d`},
		{"negative remind_after", "alerts: {remind_after: -1h}\n", `"-1h": want a duration`},
		{"unknown key", "alerts: {repeat: 7}\n", `line 4: unknown key "repeat"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(shop + tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
