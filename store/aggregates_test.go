package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/shopwatch/shopwatch/rules"
)

// TestUpdateSyncRejectsImportedInChunks: however many records a sync
// imported, each of them leaves the rejects, and only they do.
func TestUpdateSyncRejectsImportedInChunks(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 7, 0, 0, 0, time.UTC)
	id := func(i int) string { return fmt.Sprintf("o%04d", i) }
	for _, tt := range []struct {
		name     string
		imported int   // ids 0 .. imported-1 were imported
		rejected []int // rejected before
		want     []int // still rejected after
	}{
		{"nothing imported", 0, []int{1, 2}, []int{1, 2}},
		{"fewer than a chunk", 3, []int{1, 2, 7}, []int{7}},
		{"exactly one chunk", 500, []int{0, 499, 500}, []int{500}},
		{"across chunks", 1201, []int{0, 499, 500, 999, 1000, 1200, 1201}, []int{1201}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := MustOpen(t, testConfig)
			var rejects []SyncReject
			for _, i := range tt.rejected {
				rejects = append(rejects, SyncReject{RecordID: id(i), Problem: "created_at: is required", At: t0})
			}
			if err := db.RecordSyncRun(ctx, SyncRun{ShopID: "7495001", Kind: Orders, At: t0}); err != nil {
				t.Fatal(err)
			}
			if err := db.UpdateSyncRejects(ctx, "7495001", Orders, rejects, nil); err != nil {
				t.Fatal(err)
			}
			var imported []string
			for i := range tt.imported {
				imported = append(imported, id(i))
			}
			if err := db.UpdateSyncRejects(ctx, "7495001", Orders, nil, imported); err != nil {
				t.Fatal(err)
			}
			st, err := db.SyncStatuses(ctx, "7495001")
			if err != nil || len(st) != 1 {
				t.Fatalf("SyncStatuses = %+v, %v", st, err)
			}
			var got, want []string
			for _, r := range st[0].RejectedRecords {
				got = append(got, r.RecordID)
			}
			for _, i := range tt.want {
				want = append(want, id(i))
			}
			slices.Sort(got)
			if st[0].Rejected != len(tt.want) || !slices.Equal(got, want) {
				t.Errorf("rejected %d %v, want %v", st[0].Rejected, got, want)
			}
		})
	}
}

// TestSaveEvaluationClearsAcksOfEveryMetric: one evaluation ends the
// acknowledged episodes of each metric whose episode changed, and keeps
// those of the metrics whose episode goes on.
func TestSaveEvaluationClearsAcksOfEveryMetric(t *testing.T) {
	at := time.Date(2026, 11, 21, 7, 0, 0, 0, time.UTC)
	d := rules.DateDay(2026, 11, 20)
	metrics := []rules.Metric{rules.NRR, rules.SFRR, rules.ChatResponseRate}
	for _, tt := range []struct {
		name  string
		roots map[rules.Metric]string // the episodes after the evaluation ("": resolved)
		kept  []rules.Metric          // acknowledgements that stay
	}{
		{"every episode goes on", map[rules.Metric]string{rules.NRR: "nrr-1", rules.SFRR: "sfrr-1", rules.ChatResponseRate: "chat-1"}, metrics},
		{"two resolve, one goes on", map[rules.Metric]string{rules.NRR: "", rules.SFRR: "sfrr-1", rules.ChatResponseRate: ""}, []rules.Metric{rules.SFRR}},
		{"one starts anew", map[rules.Metric]string{rules.NRR: "nrr-2", rules.SFRR: "sfrr-1", rules.ChatResponseRate: "chat-1"},
			[]rules.Metric{rules.SFRR, rules.ChatResponseRate}},
		{"a metric not evaluated keeps its own", map[rules.Metric]string{rules.NRR: ""}, []rules.Metric{rules.SFRR, rules.ChatResponseRate}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := MustOpen(t, testConfig)
			first := map[rules.Metric]string{rules.NRR: "nrr-1", rules.SFRR: "sfrr-1", rules.ChatResponseRate: "chat-1"}
			for _, m := range metrics {
				if _, _, err := db.Acknowledge(ctx, Ack{ShopID: "7495001", Metric: m, Root: first[m], By: "U1", At: at}); err != nil {
					t.Fatal(err)
				}
			}
			ev := Evaluation{ShopID: "7495001", Day: d, At: at}
			for _, m := range metrics {
				if root, ok := tt.roots[m]; ok {
					ev.States = append(ev.States, rules.AlertState{Metric: m, Day: d, Level: rules.LevelWarn, Root: root})
				}
			}
			if _, err := db.SaveEvaluation(ctx, ev); err != nil {
				t.Fatal(err)
			}
			for _, m := range metrics {
				_, err := db.Acknowledged(ctx, "7495001", m, first[m])
				if kept := slices.Contains(tt.kept, m); (err == nil) != kept || (err != nil && !errors.Is(err, ErrNotFound)) {
					t.Errorf("%s: acknowledgement kept %v (%v), want %v", m, err == nil, err, kept)
				}
			}
		})
	}
}
