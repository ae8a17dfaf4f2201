package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// acker acknowledges Socket Mode requests; *socketmode.Client is one.
type acker interface {
	Ack(req socketmode.Request, payload ...any) error
}

var _ acker = (*socketmode.Client)(nil)

// runSocketMode connects to Slack over Socket Mode and answers its
// requests until ctx is done. The socketmode client reconnects on its own;
// an error it cannot recover from (a bad app token) ends the server.
func (s *Server) runSocketMode(ctx context.Context) error {
	client := socketmode.New(s.api, socketmode.OptionLog(slogOutput{s.log}))
	errc := make(chan error, 1)
	go func() { errc <- client.RunContext(ctx) }()
	for {
		select {
		case err := <-errc:
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return nil
			}
			return fmt.Errorf("socket mode: %w", err)
		case evt := <-client.Events:
			s.socketEvent(ctx, client, evt)
		}
	}
}

// socketEvent handles one Socket Mode event. Slash commands go through the
// same router and slow-answer path as HTTP; their answer is the ack's
// payload. Button presses are acknowledged at once.
func (s *Server) socketEvent(ctx context.Context, client acker, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		s.log.Debug("socket mode: connecting")
	case socketmode.EventTypeConnected:
		s.log.Info("socket mode: connected")
	case socketmode.EventTypeConnectionError:
		s.log.Warn("socket mode: connection failed, retrying", "err", errOf(evt.Data))
	case socketmode.EventTypeInvalidAuth:
		s.log.Error("socket mode: the app token was refused")
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		req := *evt.Request
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			start := time.Now()
			reply := s.answer(ctx, requestOf(cmd))
			s.ackCommand(client, req, reply, cmd.ResponseURL)
			s.log.Info("command", "transport", "socket", "channel", cmd.ChannelID, "user", cmd.UserID, "command", firstWord(cmd.Text),
				"kind", reply.Kind, "duration", time.Since(start))
		}()
	case socketmode.EventTypeInteractive:
		if evt.Request != nil {
			if err := client.Ack(*evt.Request); err != nil {
				s.log.Warn("socket mode: ack", "err", err)
			}
		}
		if cb, ok := evt.Data.(slack.InteractionCallback); ok {
			s.interaction(cb, "socket")
		}
	case socketmode.EventTypeEventsAPI:
		if evt.Request != nil {
			if err := client.Ack(*evt.Request); err != nil {
				s.log.Warn("socket mode: ack", "err", err)
			}
		}
		if ev, ok := evt.Data.(slackevents.EventsAPIEvent); ok {
			s.event(ev, "socket")
		}
	}
}

// ackCommand acknowledges a slash command with its answer. An answer too
// large for a Socket Mode ack goes through the response_url instead.
func (s *Server) ackCommand(client acker, req socketmode.Request, reply Reply, responseURL string) {
	err := client.Ack(req, reply.message())
	if err == nil {
		return
	}
	if responseURL == "" {
		s.log.Error("socket mode: ack", "err", err)
		return
	}
	s.log.Warn("socket mode: answer too large for an ack: using the response_url", "err", err)
	if err := client.Ack(req, s.h.working().message()); err != nil {
		s.log.Error("socket mode: ack", "err", err)
	}
	ctx, cancel := context.WithTimeout(s.base, 15*time.Second)
	defer cancel()
	s.postResponse(ctx, responseURL, reply, true)
}

func errOf(data any) error {
	if e, ok := data.(*slack.ConnectionErrorEvent); ok {
		return e.ErrorObj
	}
	return nil
}

// slogOutput lets the socketmode client log through slog (debug only).
type slogOutput struct{ log *slog.Logger }

func (o slogOutput) Output(_ int, s string) error {
	o.log.Debug(s, "source", "socketmode")
	return nil
}
