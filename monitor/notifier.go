package monitor

import "github.com/shopwatch/shopwatch/delivery"

// Notifier posts the monitor's messages: the Slack notifier (bot.Notifier),
// or a writer of readable text when there is no Slack token. The port is
// delivery's, for the monitor's message type; the monitor never imports
// the Slack side.
type Notifier = delivery.Notifier[*Message]

// Outgoing is one of the monitor's messages for the notifier to deliver.
type Outgoing = delivery.Outgoing[*Message]

// Posted is one of the monitor's messages as it was posted.
type Posted = delivery.Posted[*Message]

// Receipt says where a delivered message went.
type Receipt = delivery.Receipt

// EventType is the Slack message metadata event type that carries a
// message's key, so that Find can recognise it.
const EventType = "shopwatch_notification"
