package bot

import (
	"errors"
	"io"
	"net/http"

	"github.com/slack-go/slack"
)

// verify reads the body of a Slack request and checks its v0 signature:
// slack.NewSecretsVerifier rejects timestamps more than 5 minutes from now,
// and Ensure compares the HMAC in constant time (hmac.Equal). On failure it
// answers 401 (413 for a body over the limit) without saying why; the
// reason, never a secret, goes to the log.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBody))
	if err != nil {
		if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
			s.reject(w, r, http.StatusRequestEntityTooLarge, "body over the size limit")
			return nil, false
		}
		s.reject(w, r, http.StatusBadRequest, "unreadable body")
		return nil, false
	}
	if s.opts.SigningSecret == "" {
		s.reject(w, r, http.StatusUnauthorized, "no signing secret configured")
		return nil, false
	}
	sv, err := slack.NewSecretsVerifier(r.Header, s.opts.SigningSecret)
	if err != nil {
		s.reject(w, r, http.StatusUnauthorized, rejectReason(err))
		return nil, false
	}
	if _, err := sv.Write(body); err != nil {
		s.reject(w, r, http.StatusUnauthorized, "signature check failed")
		return nil, false
	}
	if err := sv.Ensure(); err != nil {
		s.reject(w, r, http.StatusUnauthorized, "signature mismatch")
		return nil, false
	}
	return body, true
}

// rejectReason names a verifier error for the log.
func rejectReason(err error) string {
	switch {
	case errors.Is(err, slack.ErrExpiredTimestamp):
		return "timestamp outside the 5-minute window"
	case errors.Is(err, slack.ErrMissingHeaders):
		return "missing signature headers"
	case errors.Is(err, slack.ErrInvalidSignature):
		return "malformed signature"
	}
	return "malformed signature headers"
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request, code int, reason string) {
	s.log.Warn("rejected Slack request", "path", r.URL.Path, "status", code, "reason", reason, "remote", r.RemoteAddr)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, http.StatusText(code)+"\n")
}
