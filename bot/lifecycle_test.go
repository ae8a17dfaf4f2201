package bot

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

type downStore struct{ Store }

func (downStore) Ping(context.Context) error { return errors.New("disk I/O error") }

func TestHealthz(t *testing.T) {
	db, _ := MustFixtureDB(t)
	tests := []struct {
		name   string
		store  Store
		status int
		body   string
	}{
		{"up", db, http.StatusOK, "ok\n"},
		{"database down", downStore{db}, http.StatusServiceUnavailable, "database unavailable\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := MustServe(t, Options{DB: tt.store, SigningSecret: testSecret})
			req, _ := http.NewRequest(http.MethodGet, ts.URL+"/healthz", nil)
			status, body := do(t, req)
			if status != tt.status || body != tt.body {
				t.Errorf("GET /healthz = %d %q, want %d %q", status, body, tt.status, tt.body)
			}
		})
	}
}

func TestGracefulShutdown(t *testing.T) {
	db, _ := MustFixtureDB(t)
	ts := MustServe(t, Options{DB: slowStore{Store: db, delay: 500 * time.Millisecond}, SigningSecret: testSecret, SlowAfter: 10 * time.Second})
	type result struct {
		status int
		body   string
	}
	got := make(chan result, 1)
	go func() {
		s, b := do(t, signedPost(t, ts.URL+"/slack/commands", testSecret, time.Now(), commandForm(chanBeauty, "status", "")))
		got <- result{s, b}
	}()
	time.Sleep(150 * time.Millisecond) // the command is in flight
	if err := ts.stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	r := <-got
	if r.status != http.StatusOK || !strings.Contains(r.body, "Acme Beauty TH") {
		t.Errorf("in-flight command got %d %s", r.status, r.body)
	}
	if _, err := http.Get(ts.URL + "/healthz"); err == nil {
		t.Error("the server still answers after shutdown")
	}
}
