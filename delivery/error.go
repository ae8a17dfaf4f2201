package delivery

import (
	"errors"
	"time"
)

// Class is how the delivery worker treats a failed attempt.
type Class int

// Error classes.
const (
	ClassTemporary   Class = iota // server or network trouble: retry with backoff
	ClassRateLimited              // wait as long as the other side says
	ClassConfig                   // a setup problem a person can fix (bot not in the channel, bad token): retry slowly
	ClassPermanent                // the message itself is refused: do not retry
)

// String is the class as the outbox's attempt log and /metrics name it.
func (c Class) String() string {
	switch c {
	case ClassRateLimited:
		return "rate_limited"
	case ClassConfig:
		return "config_error"
	case ClassPermanent:
		return "rejected"
	}
	return "temporary_error"
}

// Error is a failed delivery attempt as the transport classified it.
type Error struct {
	Class Class
	// RetryAfter is how long a rate limit asks to wait (0: not said).
	RetryAfter time.Duration
	// Uncertain is set when the attempt may have reached the other side
	// before failing, so that the next one must look for it first.
	Uncertain bool
	Err       error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Class.String()
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Permanent marks err as one a retry cannot fix (a notifier's own rendering
// failure, say).
func Permanent(err error) error { return &Error{Class: ClassPermanent, Err: err} }

// Classify tells how a delivery error should be handled: its class, how
// long to wait for a rate limit, and whether the failed attempt may still
// have posted the message. An error that is not an *Error (a network
// error, a timeout, anything unknown) is temporary and uncertain: the
// request may have gone out.
func Classify(err error) (class Class, retryAfter time.Duration, uncertain bool) {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Class, e.RetryAfter, e.Uncertain
	}
	return ClassTemporary, 0, true
}
