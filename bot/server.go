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

// Server is the Slack side of `shopwatch serve`: the HTTP endpoints
// (POST /slack/commands, /slack/interactions and /slack/events, GET
// /healthz), the App Home tab (with a bot token) and, when
// an app token is set, a Socket Mode connection, both answered by one
// Handler. Other parts of the daemon may add routes with Handle.
type Server struct {
	h    *Handler
	opts Options
	log  *slog.Logger
	api  *slack.Client
	mux  *http.ServeMux

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
	s := &Server{h: h, opts: opts, log: opts.Logger.With("component", "slack"), mux: http.NewServeMux(), warmed: make(chan struct{})}
	s.base, s.cancel = context.WithCancel(context.Background())
	apiOpts := []slack.Option{slack.OptionHTTPClient(opts.HTTPClient)}
	if opts.AppToken != "" {
		apiOpts = append(apiOpts, slack.OptionAppLevelToken(opts.AppToken))
	}
	if opts.APIURL != "" {
		apiOpts = append(apiOpts, slack.OptionAPIURL(opts.APIURL))
	}
	s.api = slack.New(opts.BotToken, apiOpts...)
	s.members = newMembers(s.api, h.now, s.log)
	s.home = newHomeQueue()
	s.mux.HandleFunc("POST /slack/commands", s.handleCommand)
	s.mux.HandleFunc("POST /slack/interactions", s.handleInteraction)
	s.mux.HandleFunc("POST /slack/events", s.handleEvents)
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	if opts.SigningSecret == "" {
		s.log.Warn("SLACK_SIGNING_SECRET is not set: every request to /slack/* is rejected (Socket Mode still works)")
	}
	return s, nil
}

// Handler returns the command router, shared by every transport.
func (s *Server) Handler() *Handler { return s.h }

// HTTPHandler returns the server's routes.
func (s *Server) HTTPHandler() http.Handler { return s.mux }

// Handle adds a route, such as the monitor's /metrics. Call it before Serve.
func (s *Server) Handle(pattern string, handler http.Handler) { s.mux.Handle(pattern, handler) }

// ListenAndServe listens on addr and serves until ctx is done.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves HTTP on ln, and Socket Mode when an app token is set, until
// ctx is done. It then stops taking requests and waits (up to
// ShutdownTimeout) for the requests and late answers in flight.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.mux,
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
			c.warm(warmCtx, s.h.cfg.Shops, s.h.now, s.log, s.warmed)
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

// Close cancels background work. Serve calls it; tests that use
// HTTPHandler without Serve may too.
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
