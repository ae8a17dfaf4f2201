package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// handleCommand serves POST /slack/commands: a signed slash command. The
// answer is the response body, or, when it takes longer than SlowAfter, an
// acknowledgement followed by the answer through the response_url.
func (s *Server) handleCommand(w http.ResponseWriter, r *http.Request) {
	body, ok := s.verify(w, r)
	if !ok {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	cmd, err := slack.SlashCommandParse(r)
	if err != nil {
		s.reject(w, r, http.StatusBadRequest, "malformed form body")
		return
	}
	start := time.Now()
	reply := s.answer(r.Context(), requestOf(cmd))
	s.log.Info("command", "transport", "http", "channel", cmd.ChannelID, "user", cmd.UserID, "command", firstWord(cmd.Text),
		"kind", reply.Kind, "duration", time.Since(start))
	writeJSON(w, reply.message())
}

func requestOf(cmd slack.SlashCommand) Request {
	return Request{Command: cmd.Command, Text: cmd.Text, ChannelID: cmd.ChannelID, UserID: cmd.UserID, ResponseURL: cmd.ResponseURL}
}

func firstWord(text string) string {
	name, _ := parse(text)
	return truncateRunes(name, 20)
}

// handleInteraction serves POST /slack/interactions: button presses. It
// acknowledges at once and does the work in the background.
func (s *Server) handleInteraction(w http.ResponseWriter, r *http.Request) {
	body, ok := s.verify(w, r)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		s.reject(w, r, http.StatusBadRequest, "malformed form body")
		return
	}
	cb, err := parseInteraction(form.Get("payload"))
	if err != nil {
		s.reject(w, r, http.StatusBadRequest, err.Error())
		return
	}
	w.WriteHeader(http.StatusOK)
	s.interaction(cb, "http")
}

// parseInteraction decodes an interaction payload: a JSON object with a
// type. Anything else (null, [], {}) is malformed, not a press to ignore.
func parseInteraction(payload string) (slack.InteractionCallback, error) {
	var cb slack.InteractionCallback
	if p := strings.TrimSpace(payload); !strings.HasPrefix(p, "{") {
		return cb, errors.New("interaction payload is not a JSON object")
	}
	if err := json.Unmarshal([]byte(payload), &cb); err != nil {
		return cb, errors.New("malformed interaction payload")
	}
	if cb.Type == "" {
		return cb, errors.New("interaction payload without a type")
	}
	return cb, nil
}

// interaction handles a button press from either transport.
func (s *Server) interaction(cb slack.InteractionCallback, transport string) {
	if cb.Type != slack.InteractionTypeBlockActions {
		return
	}
	for _, a := range cb.ActionCallback.BlockActions {
		var run func(context.Context, slack.InteractionCallback, string, string)
		switch a.ActionID {
		case shareAction:
			run = s.share
		case commandAction:
			run = s.press
		case homeBreakdownAction, homeTipsAction, homeAppealAction:
			run = s.homePress
		case ackAction:
			run = s.acknowledge
		default:
			continue
		}
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			ctx, cancel := context.WithTimeout(s.base, s.opts.AnswerTimeout)
			defer cancel()
			run(ctx, cb, a.Value, transport)
		}()
	}
}

// shareable are the commands whose answers may be shared: they only read.
var shareable = map[string]bool{"status": true, "breakdown": true, "tips": true, "appeal": true, "digest": true}

// answer runs req through the handler. When the answer takes longer than
// SlowAfter and there is a response_url, it returns an acknowledgement and
// the answer follows through the response_url, replacing it.
func (s *Server) answer(ctx context.Context, req Request) Reply {
	actx, cancel := context.WithTimeout(s.base, s.opts.AnswerTimeout)
	done := make(chan Reply, 1)
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer cancel()
		done <- s.h.Answer(actx, req)
	}()
	timer := time.NewTimer(s.opts.SlowAfter)
	defer timer.Stop()
	select {
	case r := <-done:
		return r
	case <-timer.C:
	}
	if req.ResponseURL == "" {
		select {
		case r := <-done:
			return r
		case <-ctx.Done():
			return s.h.failure()
		}
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		r := <-done
		pctx, cancel := context.WithTimeout(s.base, 15*time.Second)
		defer cancel()
		s.postResponse(pctx, req.ResponseURL, r, true)
	}()
	return s.h.working()
}

// working is the acknowledgement of a slow answer.
func (h *Handler) working() Reply {
	text, err := h.tmpl.Render("working", nil)
	if err != nil {
		text = "Working on it…"
	}
	return textReply(KindWorking, text)
}

// postResponse sends a reply to a response_url, trying twice.
func (s *Server) postResponse(ctx context.Context, responseURL string, r Reply, replace bool) {
	var err error
	for attempt := range 2 {
		if attempt > 0 {
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
			}
		}
		if err = slack.PostWebhookCustomHTTPContext(ctx, responseURL, s.opts.HTTPClient, r.webhook(replace)); err == nil {
			return
		}
	}
	s.log.Error("post to response_url", "err", err)
}

// share posts a shared answer in the channel. The command is answered
// again for the channel it is shared to, so the channel's authorization
// applies.
func (s *Server) share(ctx context.Context, cb slack.InteractionCallback, value, transport string) {
	v, ok := s.buttonValue(value)
	if !ok {
		return
	}
	channel := callbackChannel(cb)
	if name, _ := parse(v.Text); !shareable[name] {
		// Only answers are shared, never commands that change something,
		// whatever a button says.
		s.log.Warn("share: not a shareable command", "command", truncateRunes(name, 20), "user", cb.User.ID)
		if cb.ResponseURL != "" {
			s.postResponse(ctx, cb.ResponseURL, textReply(KindUsage, "Sorry, that answer can't be shared."), false)
		}
		return
	}
	req := Request{Command: s.opts.Command, Text: v.Text, ChannelID: channel, UserID: cb.User.ID, At: time.Unix(v.At, 0)}
	r := s.h.Answer(ctx, req)
	s.log.Info("share", "transport", transport, "channel", channel, "user", cb.User.ID, "command", firstWord(v.Text), "kind", r.Kind)
	if r.Kind != KindAnswer || r.Share == "" {
		if cb.ResponseURL != "" {
			s.postResponse(ctx, cb.ResponseURL, r, false) // ephemeral: why it could not be shared
		}
		return
	}
	s.postInChannel(ctx, channel, cb.ResponseURL, r.shared(cb.User.ID))
}

// press runs the command of an alert's button for the user who pressed
// it, in the alert's channel (whose authorization applies): an answer
// (breakdown, tips) as of the alert's run, shown to the user alone with
// its Share button; a mute from the press on, posted in the channel so
// that the team knows.
func (s *Server) press(ctx context.Context, cb slack.InteractionCallback, value, transport string) {
	v, ok := s.buttonValue(value)
	if !ok {
		return
	}
	channel := callbackChannel(cb)
	req := Request{Command: s.opts.Command, Text: v.Text, ChannelID: channel, UserID: cb.User.ID}
	switch name, _ := parse(v.Text); {
	case shareable[name]:
		req.At = time.Unix(v.At, 0)
	case name == "mute":
	default:
		s.log.Warn("button: not a button's command", "command", truncateRunes(name, 20), "user", cb.User.ID)
		return
	}
	r := s.h.Answer(ctx, req)
	s.log.Info("button", "transport", transport, "channel", channel, "user", cb.User.ID, "command", firstWord(v.Text), "kind", r.Kind)
	if r.InChannel {
		s.postInChannel(ctx, channel, cb.ResponseURL, r)
		return
	}
	if cb.ResponseURL == "" {
		s.log.Error("button: no response_url to answer through", "channel", channel)
		return
	}
	s.postResponse(ctx, cb.ResponseURL, r, false)
}

// buttonValue decodes a share or command button's value.
func (s *Server) buttonValue(value string) (shareValue, bool) {
	var v shareValue
	if err := json.Unmarshal([]byte(value), &v); err != nil || v.Text == "" {
		s.log.Warn("button: bad value", "err", err)
		return v, false
	}
	return v, true
}

func callbackChannel(cb slack.InteractionCallback) string {
	if cb.Channel.ID != "" {
		return cb.Channel.ID
	}
	return cb.Container.ChannelID
}

// postInChannel posts r in the channel: with chat.postMessage when a bot
// token is set, else (or when that fails) through the response_url.
func (s *Server) postInChannel(ctx context.Context, channel, responseURL string, r Reply) {
	r.InChannel = true
	if s.opts.BotToken != "" {
		_, _, err := s.api.PostMessageContext(ctx, channel, slack.MsgOptionBlocks(r.Blocks...), slack.MsgOptionText(r.Text, true))
		if err == nil {
			return
		}
		s.log.Warn("chat.postMessage failed, using the response_url", "channel", channel, "err", err)
	}
	if responseURL == "" {
		s.log.Error("no way to post in the channel", "channel", channel)
		return
	}
	s.postResponse(ctx, responseURL, r, false)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(b)
}
