package delivery

import (
	"context"
	"time"
)

// Notifier posts messages of type M: the Slack notifier (bot.Notifier), or
// a writer of readable text when there is no Slack token.
type Notifier[M any] interface {
	// Deliver posts out and returns where it went. A failure should be an
	// *Error (or wrap one), which tells the worker how to retry; any other
	// error is treated as temporary and uncertain (see Classify).
	Deliver(ctx context.Context, out Outgoing[M]) (Receipt, error)
	// Find looks for out among what was posted since out.Since, by its key,
	// after an attempt that may have reached the other side without its
	// outcome being recorded. It reports whether it found it.
	Find(ctx context.Context, out Outgoing[M]) (Receipt, bool, error)
}

// Outgoing is one message for the notifier to deliver.
type Outgoing[M any] struct {
	Message M
	// Root is the message this one threads under (the outbox row's thread
	// key: an alert's first message, or the digest a chart belongs to),
	// when it has been posted.
	Root *Posted[M]
	// Since is the earliest instant the message could have been posted.
	Since time.Time
}

// Posted is a message as it was posted.
type Posted[M any] struct {
	Message  M
	Channel  string
	TS       string // the transport's id of the message (Slack's timestamp)
	ThreadTS string // the thread it is in, if any
}

// Receipt says where a delivered message went.
type Receipt struct {
	TS       string // the posted message's id (Slack's timestamp; a file's id for a chart)
	ThreadTS string // the thread it was posted in, if any
}

// Metrics counts the worker's attempts; *monitor.Metrics implements it.
type Metrics interface {
	Attempt(outcome string) // each attempt, by outcome ("sent", "rate_limited", ...)
	Delivered(kind string)  // each message delivered, by the outbox's kind
	Failed()                // each message given up on
}

type nopMetrics struct{}

func (nopMetrics) Attempt(string)   {}
func (nopMetrics) Delivered(string) {}
func (nopMetrics) Failed()          {}
