// Package delivery delivers the outbox: it reads the messages the producers
// (package monitor: evaluation, digests, overview, sweep, reminders) wrote
// to the store's outbox and hands each to a Notifier, in order per channel,
// paced, retried with backoff until it is sent or given up.
//
// The package knows neither Slack nor the messages' content. A Notifier
// (bot.Notifier for Slack or stdout) reports a failure as an *Error: a
// transport-neutral class (rate-limited, temporary, config, permanent), the
// wait a rate limit asks for, and whether the failed attempt may have
// reached the other side. The transport maps its own errors to it (see
// bot/slackerr.go), the way Alertmanager's integrations do.
//
// Where the message type lives: the payload type (monitor.Message and the
// views it carries) belongs to its producer, and the renderer (bot) reads
// it. Moving it here would drag the producers' view types into the delivery
// core; importing monitor from here would make monitor, which starts the
// worker, import its own consumer. So the Deliverer, the Notifier port and
// Outgoing/Posted are generic in the message type M, and the caller gives a
// Decode for the outbox payload. The import graph stays one-way:
//
//	rules <- store <- delivery <- monitor (M = *monitor.Message) <- bot <- cmd
//
// monitor instantiates it (monitor.Notifier, monitor.Outgoing and
// monitor.Posted are aliases of delivery's types for *monitor.Message),
// bot implements monitor.Notifier, and cmd wires them.
package delivery
