package monitor

import (
	"context"
	"time"
)

// Notifier posts the monitor's messages: the Slack notifier (bot.Notifier),
// or a writer of readable text when there is no Slack token. The monitor
// declares what it needs and never imports the Slack side.
type Notifier interface {
	// Deliver posts out and returns where it went. An error is classified
	// by Classify: rate limits, temporary and permanent failures.
	Deliver(ctx context.Context, out Outgoing) (Receipt, error)
	// Find looks for out among what was posted since out.Since, by its key,
	// after an attempt that may have reached Slack without its outcome
	// being recorded. It reports whether it found it.
	Find(ctx context.Context, out Outgoing) (Receipt, bool, error)
}

// Outgoing is one message for the notifier to deliver.
type Outgoing struct {
	Message *Message
	// Root is the message this one threads under (Message.Alert.Root, or
	// the digest a chart belongs to), when it has been posted.
	Root *Posted
	// Since is the earliest instant the message could have been posted.
	Since time.Time
}

// Posted is a message as it was posted.
type Posted struct {
	Message  *Message
	Channel  string
	TS       string // Slack's timestamp of the message
	ThreadTS string // the thread it is in, if any
}

// Receipt says where a delivered message went.
type Receipt struct {
	TS       string // the posted message's timestamp (a file's id for a chart)
	ThreadTS string // the thread it was posted in, if any
}

// EventType is the Slack message metadata event type that carries a
// message's key, so that Find can recognise it.
const EventType = "shopwatch_notification"
