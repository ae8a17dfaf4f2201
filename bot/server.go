package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// Server is the Slack side of `shopwatch serve`: the HTTP handlers of the
// Slack endpoints (commands, interactions, events) and of the health
// check, which the caller mounts on its mux; the App Home tab (with a bot
// token); and, when an app token is set, a Socket Mode connection, all
// answered by one Handler.
type Server struct {
	h    *Handler
	opts Options
	log  *slog.Logger
	api  *slack.Client

	members *members   // channel members, for the Home tab
	home    *homeQueue // users whose Home is to be published

	// bg tracks work that outlives a request: late answers and shares.
	bg     sync.WaitGroup
	warmed chan struct{} // closed when the cache has been filled once
	base   context.Context
	cancel context.CancelFunc
}

// New returns a server for opts.
func New(opts Options) (*Server, error) {
	h, err := NewHandler(opts)
	if err != nil {
		return nil, err
	}
	opts = h.opts()
	s := &Server{h: h, opts: opts, log: opts.Logger.With("component", "slack"), warmed: make(chan struct{})}
	s.base, s.cancel = context.WithCancel(context.Background())
	apiOpts := []slack.Option{slack.OptionHTTPClient(opts.HTTPClient)}
	if opts.AppToken != "" {
		apiOpts = append(apiOpts, slack.OptionAppLevelToken(opts.AppToken))
	}
	if opts.APIURL != "" {
		apiOpts = append(apiOpts, slack.OptionAPIURL(opts.APIURL))
	}
	s.api = slack.New(opts.BotToken, apiOpts...)
	s.members = newMembers(s.api, h.clock, s.log)
	s.home = newHomeQueue()
	if opts.SigningSecret == "" {
		s.log.Warn("SLACK_SIGNING_SECRET is not set: every request to /slack/* is rejected (Socket Mode still works)")
	}
	return s, nil
}

// Handler returns the command router, shared by every transport.
func (s *Server) Handler() *Handler { return s.h }

// CommandHandler serves POST /slack/commands: signed slash commands.
func (s *Server) CommandHandler() http.Handler { return http.HandlerFunc(s.handleCommand) }

// InteractionHandler serves POST /slack/interactions: button presses.
func (s *Server) InteractionHandler() http.Handler { return http.HandlerFunc(s.handleInteraction) }

// EventHandler serves POST /slack/events: the Events API.
func (s *Server) EventHandler() http.Handler { return http.HandlerFunc(s.handleEvents) }

// HealthHandler serves GET /healthz: 200 "ok" when the database answers.
func (s *Server) HealthHandler() http.Handler { return http.HandlerFunc(s.handleHealth) }

// ListenAndServe listens on addr and serves h until ctx is done.
func (s *Server) ListenAndServe(ctx context.Context, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	return s.Serve(ctx, ln, h)
}

// Serve serves h (the process's mux, with the server's handlers mounted)
// over HTTP on ln, and Socket Mode when an app token is set, until ctx is
// done. It then stops taking requests and waits (up to ShutdownTimeout)
// for the requests and late answers in flight.
func (s *Server) Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 2)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("listening", "addr", ln.Addr().String(), "socket_mode", s.opts.AppToken != "")
	smCtx, stopSM := context.WithCancel(ctx)
	defer stopSM()
	smDone := make(chan struct{})
	if s.opts.AppToken != "" {
		go func() {
			defer close(smDone)
			if err := s.runSocketMode(smCtx); err != nil {
				errc <- err
			}
		}()
	} else {
		close(smDone)
	}

	warmCtx, stopWarm := context.WithCancel(ctx)
	defer stopWarm()
	warmDone := make(chan struct{})
	if c, ok := s.h.db.(*cachedStore); ok {
		go func() {
			defer close(warmDone)
			c.warm(warmCtx, s.h.cfg.Shops(), s.h.clock, s.log, s.warmed)
		}()
	} else {
		close(warmDone)
		close(s.warmed)
	}

	homeCtx, stopHome := context.WithCancel(ctx)
	defer stopHome()
	homeDone := make(chan struct{})
	if s.homeEnabled() {
		go func() {
			defer close(homeDone)
			s.runHome(homeCtx)
		}()
	} else {
		close(homeDone)
	}

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	stopWarm()
	<-warmDone
	stopHome()
	<-homeDone
	stopSM()
	s.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	if serr := hs.Shutdown(sctx); serr != nil {
		s.log.Warn("HTTP shutdown", "err", serr)
	}
	<-smDone
	if !s.wait(sctx) {
		s.log.Warn("late answers still running at shutdown: cancelling them")
	}
	s.cancel()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// wait waits for background work until ctx is done.
func (s *Server) wait(ctx context.Context) bool {
	done := make(chan struct{})
	go func() { s.bg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// Warmed is closed once the answer cache has been filled for every shop
// (at once when there is no cache).
func (s *Server) Warmed() <-chan struct{} { return s.warmed }

// Close cancels background work. Serve calls it; tests that use the
// handlers without Serve may too.
func (s *Server) Close() {
	s.cancel()
	s.bg.Wait()
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.h.db.Ping(ctx); err != nil {
		s.log.Error("health check: database", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "database unavailable")
		return
	}
	fmt.Fprintln(w, "ok")
}
