package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/shopwatch/shopwatch/delivery"
)

func TestClassifySlack(t *testing.T) {
	for _, tt := range []struct {
		name       string
		err        error
		class      delivery.Class
		retryAfter time.Duration
		uncertain  bool
	}{
		{"rate limited with Retry-After", &slack.RateLimitedError{RetryAfter: time.Second}, delivery.ClassRateLimited, time.Second, false},
		{"wrapped rate limit", fmt.Errorf("chat.postMessage: %w", &slack.RateLimitedError{RetryAfter: 3 * time.Second}), delivery.ClassRateLimited, 3 * time.Second, false},
		{"HTTP 429", slack.StatusCodeError{Code: 429}, delivery.ClassRateLimited, 0, false},
		{"ratelimited code", slack.SlackErrorResponse{Err: "ratelimited"}, delivery.ClassRateLimited, 0, false},
		{"HTTP 502 may have posted", fmt.Errorf("post: %w", slack.StatusCodeError{Code: 502}), delivery.ClassTemporary, 0, true},
		{"HTTP 503 may have posted", slack.StatusCodeError{Code: 503}, delivery.ClassTemporary, 0, true},
		{"HTTP 404 is config", slack.StatusCodeError{Code: 404}, delivery.ClassConfig, 0, false},
		{"HTTP 401 is config", slack.StatusCodeError{Code: 401}, delivery.ClassConfig, 0, false},
		{"HTTP 400 is temporary", slack.StatusCodeError{Code: 400}, delivery.ClassTemporary, 0, false},
		{"channel_not_found", slack.SlackErrorResponse{Err: "channel_not_found"}, delivery.ClassConfig, 0, false},
		{"not_in_channel", fmt.Errorf("chat.postMessage: %w", slack.SlackErrorResponse{Err: "not_in_channel"}), delivery.ClassConfig, 0, false},
		{"invalid_auth", slack.SlackErrorResponse{Err: "invalid_auth"}, delivery.ClassConfig, 0, false},
		{"msg_too_long", slack.SlackErrorResponse{Err: "msg_too_long"}, delivery.ClassPermanent, 0, false},
		{"invalid_blocks", slack.SlackErrorResponse{Err: "invalid_blocks"}, delivery.ClassPermanent, 0, false},
		{"an unknown code is temporary", slack.SlackErrorResponse{Err: "internal_error"}, delivery.ClassTemporary, 0, false},
		{"a rendering failure stays permanent", delivery.Permanent(errors.New("bad template")), delivery.ClassPermanent, 0, false},
		{"network error", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, delivery.ClassTemporary, 0, true},
		{"timeout", fmt.Errorf("post: %w", context.DeadlineExceeded), delivery.ClassTemporary, 0, true},
		{"cancelled", context.Canceled, delivery.ClassTemporary, 0, true},
		{"anything else", errors.New("something else"), delivery.ClassTemporary, 0, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := classifySlack(tt.err)
			e, ok := errors.AsType[*delivery.Error](err)
			if !ok {
				t.Fatalf("classifySlack(%v) = %T, not a *delivery.Error", tt.err, err)
			}
			if e.Class != tt.class || e.RetryAfter != tt.retryAfter || e.Uncertain != tt.uncertain {
				t.Errorf("classifySlack(%v) = %s, %s, %v; want %s, %s, %v", tt.err, e.Class, e.RetryAfter, e.Uncertain, tt.class, tt.retryAfter, tt.uncertain)
			}
			if err.Error() != tt.err.Error() {
				t.Errorf("classifySlack(%v) says %q: lost the error it classified", tt.err, err)
			}
		})
	}
	if err := classifySlack(nil); err != nil {
		t.Errorf("classifySlack(nil) = %v", err)
	}
}
