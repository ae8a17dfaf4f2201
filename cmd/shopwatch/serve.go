package main

import (
	"context"
	"flag"
	"log/slog"
	"net/http"

	"github.com/shopwatch/shopwatch/bot"
	"github.com/shopwatch/shopwatch/ingest/tiktoksync"
	"github.com/shopwatch/shopwatch/internal/promtext"
	"github.com/shopwatch/shopwatch/templates"
)

// cmdServe runs the daemon: the Slack endpoints over HTTP and, with
// SLACK_APP_TOKEN, Socket Mode. It owns the HTTP mux: the Slack routes and
// GET /healthz (bot), GET /metrics (one Prometheus registry for the
// process), POST /tiktok/webhook (sync.go) and GET /healthz/monitor
// (monitor.go). It stops gracefully when ctx is cancelled
// (SIGINT, SIGTERM).
func cmdServe(ctx context.Context, e *env, g globals, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	g.register(fs)
	addr := fs.String("addr", or(e.getenv("SHOPWATCH_ADDR"), ":8080"), "HTTP listen address (env SHOPWATCH_ADDR)")
	tmplDir := fs.String("templates", e.getenv("SHOPWATCH_TEMPLATES"), "directory of *.tmpl files overriding the built-in texts (env SHOPWATCH_TEMPLATES)")
	command := fs.String("command", or(e.getenv("SHOPWATCH_COMMAND"), bot.DefaultCommand), "the slash command's name (env SHOPWATCH_COMMAND)")
	debug := fs.Bool("debug", false, "log at debug level")
	if err := parseOnlyFlags(fs, args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	e.log = log
	tmpl, err := templates.Load(*tmplDir)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, e, g)
	if err != nil {
		return err
	}
	defer db.Close()
	opts := bot.Options{
		Logger:        log,
		Clock:         e.clock,
		Templates:     tmpl,
		Command:       *command,
		SigningSecret: e.getenv("SLACK_SIGNING_SECRET"),
		BotToken:      e.getenv("SLACK_BOT_TOKEN"),
		AppToken:      e.getenv("SLACK_APP_TOKEN"),
		APIURL:        e.getenv("SLACK_API_URL"),
	}
	release, err := bot.PrepareStore(ctx, db, &opts)
	if err != nil {
		return err
	}
	defer release()
	srv, err := bot.New(opts)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", srv.CommandHandler())
	mux.Handle("POST /slack/interactions", srv.InteractionHandler())
	mux.Handle("POST /slack/events", srv.EventHandler())
	mux.Handle("GET /healthz", srv.HealthHandler())
	reg := &promtext.Registry{} // the process's metrics, served at GET /metrics
	reg.Register(tiktoksync.NewCollector(db))
	mux.Handle("GET /metrics", reg.Handler(log.With("component", "metrics")))
	stopSync, err := startSync(ctx, e, db, mux.Handle) // TikTok sync and webhook, inbox (sync.go)
	if err != nil {
		return err
	}
	defer stopSync()
	// scheduler, delivery, its metrics and /healthz/monitor (monitor.go); each evaluation refreshes the App Home tabs
	stopMonitor, err := startMonitor(ctx, e, db, tmpl, *command, mux.Handle, reg, srv.RefreshHome)
	if err != nil {
		return err
	}
	defer stopMonitor()
	return srv.ListenAndServe(ctx, *addr, mux)
}
