package monitor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/store"
)

const syncConfig = `shops:
  - {id: "7495001", name: "Acme Beauty TH", timezone: Asia/Bangkok, profile: sea, channel: C0BEAUTY01}
  - {id: "7495002", name: "Acme Home US", timezone: America/New_York, channel: C0HOMEUS01}
  - {id: "7495003", name: "Acme Pets US", timezone: America/New_York, channel: C0PETSUS01}
  - {id: "7495004", name: "Acme Toys US", timezone: America/New_York, channel: C0TOYSUS01}
`

// TestSyncAlerts runs the hourly sweep over a day of TikTok sync runs:
// a failure is announced once it has lasted SyncAlertAfter (at once for a
// shop that never synced), once per failure, and its end in its thread.
func TestSyncAlerts(t *testing.T) {
	ctx := context.Background()
	db := MustOpen(t, syncConfig)
	rec := newRecorder()
	m := MustMonitor(t, db, rec)
	t0 := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	run := func(shop string, kind store.Kind, at time.Duration, err error) func() {
		return func() {
			if e := db.RecordSyncRun(ctx, store.SyncRun{ShopID: shop, Kind: kind, At: t0.Add(at), Records: 1, Err: err}); e != nil {
				t.Fatal(e)
			}
		}
	}
	unavailable := errors.New("TikTok answered 503 Service Unavailable")
	expired := errors.New("the TikTok authorization of seller \"acme\" expired: the seller must authorize again")
	if err := db.SetMute(ctx, store.Mute{ShopID: "7495003", Metric: store.MuteAll, Until: t0.Add(48 * time.Hour), At: t0.Add(-time.Hour), By: "U1", Channel: "C0PETSUS01"}); err != nil {
		t.Fatal(err)
	}
	beauty := fmt.Sprintf("7495001/sync_failing/%d", t0.Add(-30*time.Minute).UnixMilli())
	steps := []struct {
		name  string
		runs  []func()
		at    time.Duration // the sweep, after t0
		added []string      // keys of the messages the sweep writes
	}{
		{"a failure that has not lasted an hour waits; a shop that never synced is announced; a muted one is not", []func(){
			run("7495001", store.Orders, -20*time.Minute, nil),
			run("7495001", store.Returns, -30*time.Minute, nil),
			run("7495001", store.Returns, -10*time.Minute, unavailable),
			run("7495002", store.Orders, -10*time.Minute, expired),
			run("7495003", store.Orders, -10*time.Hour, nil),
			run("7495003", store.Orders, -10*time.Minute, unavailable),
			run("7495004", store.Orders, -10*time.Minute, nil),
		}, 0, []string{"7495002/sync_failing/0"}},
		{"an hour on, the failure is announced, once", []func(){
			run("7495001", store.Returns, 50*time.Minute, unavailable),
			run("7495002", store.Orders, 50*time.Minute, expired),
		}, time.Hour, []string{beauty}},
		{"another kind failing adds no message", []func(){
			run("7495001", store.Orders, 110*time.Minute, expired),
			run("7495001", store.Returns, 110*time.Minute, unavailable),
		}, 2 * time.Hour, nil},
		{"every kind synced: it works again, in the failure's thread", []func(){
			run("7495001", store.Orders, 170*time.Minute, nil),
			run("7495001", store.Returns, 170*time.Minute, nil),
		}, 3 * time.Hour, []string{beauty + "/working"}},
		{"and that is said once", nil, 4 * time.Hour, nil},
		{"a new failure is a new message", []func(){
			run("7495001", store.Orders, 4*time.Hour+50*time.Minute, unavailable),
		}, 6 * time.Hour, []string{fmt.Sprintf("7495001/sync_failing/%d", t0.Add(170*time.Minute).UnixMilli())}},
	}
	var all []string
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			for _, r := range st.runs {
				r()
			}
			added, err := m.sweep(ctx, t0.Add(st.at))
			if err != nil {
				t.Fatal(err)
			}
			if added != len(st.added) {
				t.Errorf("the sweep wrote %d messages, want %d: %q", added, len(st.added), st.added)
			}
			for _, key := range st.added {
				if _, err := db.OutboxByKey(ctx, key); err != nil {
					t.Error(err)
				}
				all = append(all, key)
			}
		})
	}

	// The failure's message says what fails, since when, and the latest error.
	msg, err := db.OutboxByKey(ctx, beauty)
	if err != nil {
		t.Fatal(err)
	}
	dm, err := DecodeMessage(msg.Payload)
	if err != nil || dm.Sync == nil {
		t.Fatalf("%v %+v", err, dm)
	}
	if got := dm.Sync; got.Working || !slices.Equal(got.Kinds, []string{"returns"}) || !got.Since.Equal(t0.Add(-30*time.Minute)) || got.Error != unavailable.Error() || msg.Channel != "C0BEAUTY01" {
		t.Errorf("failure message %+v in %s", got, msg.Channel)
	}

	// Delivered (channels in parallel): the end of the failure is threaded
	// under it.
	MustDrain(t, m)
	got := rec.keys()
	slices.Sort(got)
	slices.Sort(all)
	if !slices.Equal(got, all) {
		t.Errorf("delivered %q, want %q", got, all)
	}
	for _, p := range rec.posted {
		if p.Message.Key == beauty+"/working" && (p.Root == nil || p.Root.Message.Key != beauty) {
			t.Errorf("the end of the failure is not in its thread: root %+v", p.Root)
		}
	}
}
