package bot

import (
	"errors"
	"net/http"

	"github.com/slack-go/slack"

	"github.com/shopwatch/shopwatch/delivery"
)

// Slack error codes by class; codes not listed are temporary.
var (
	slackConfigErrors = map[string]bool{
		"channel_not_found": true, "not_in_channel": true, "is_archived": true, "invalid_auth": true, "not_authed": true,
		"account_inactive": true, "token_revoked": true, "token_expired": true, "missing_scope": true, "no_permission": true,
		"restricted_action": true, "team_access_not_granted": true, "ekm_access_denied": true, "org_login_required": true,
		"message_not_found": true, "cant_update_message": true, "edit_window_closed": true, "thread_not_found": true,
	}
	slackPermanentErrors = map[string]bool{
		"invalid_blocks": true, "invalid_blocks_format": true, "msg_too_long": true, "no_text": true, "invalid_arguments": true,
		"too_many_attachments": true, "invalid_metadata_format": true, "invalid_metadata_schema": true, "metadata_too_large": true,
		"invalid_arg_name": true, "invalid_array_arg": true, "invalid_charset": true, "invalid_form_data": true,
		"invalid_post_type": true, "missing_post_type": true, "duplicate_message_not_found": true,
	}
)

// classifySlack maps an error of a Slack Web API call to a delivery error:
// its class, the wait a rate limit asks for, and whether the call may have
// posted before failing. nil stays nil, and an error already classified
// (a rendering failure marked delivery.Permanent) keeps its class.
func classifySlack(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*delivery.Error](err); ok {
		return err
	}
	e := &delivery.Error{Class: delivery.ClassTemporary, Err: err}
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &rl):
		e.Class, e.RetryAfter = delivery.ClassRateLimited, rl.RetryAfter
	case errors.As(err, &sc):
		switch {
		case sc.Code == http.StatusTooManyRequests:
			e.Class = delivery.ClassRateLimited
		case sc.Code >= 500:
			e.Uncertain = true // the server may have acted before failing
		case sc.Code == http.StatusUnauthorized || sc.Code == http.StatusForbidden || sc.Code == http.StatusNotFound:
			e.Class = delivery.ClassConfig
		}
	case errors.As(err, &se):
		switch {
		case se.Err == "ratelimited":
			e.Class = delivery.ClassRateLimited
		case slackConfigErrors[se.Err]:
			e.Class = delivery.ClassConfig
		case slackPermanentErrors[se.Err]:
			e.Class = delivery.ClassPermanent
		}
	default:
		// A network error, a timeout, a cancelled context, anything else:
		// the request may have gone out.
		e.Uncertain = true
	}
	return e
}
