package bot

import (
	"encoding/json"
	"net/http"

	"github.com/slack-go/slack/slackevents"
)

// handleEvents serves POST /slack/events: the Events API over HTTP. It
// answers Slack's url_verification challenge, and acknowledges an event
// at once before handling it in the background. Every request is signed.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	body, ok := s.verify(w, r)
	if !ok {
		return
	}
	var outer struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if err := json.Unmarshal(body, &outer); err != nil {
		s.reject(w, r, http.StatusBadRequest, "malformed event body")
		return
	}
	switch outer.Type {
	case slackevents.URLVerification:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(outer.Challenge))
		return
	case slackevents.CallbackEvent:
	default:
		w.WriteHeader(http.StatusOK) // app_rate_limited and the like: nothing to do
		return
	}
	w.WriteHeader(http.StatusOK)
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
	if err != nil {
		s.log.Debug("event not handled", "err", err) // an event shopwatch does not subscribe to
		return
	}
	s.event(ev, "http")
}

// event handles an Events API event from either transport.
func (s *Server) event(ev slackevents.EventsAPIEvent, transport string) {
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppHomeOpenedEvent:
		s.homeOpened(e.User, e.Tab, transport)
	}
}
