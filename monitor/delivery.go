package monitor

import (
	"github.com/shopwatch/shopwatch/delivery"
	"github.com/shopwatch/shopwatch/store"
)

// DeliveryOptions configure the delivery worker of the monitor's messages.
type DeliveryOptions = delivery.Options[*Message]

// Deliverer is the delivery worker of the monitor's messages.
type Deliverer = delivery.Deliverer[*Message]

var _ delivery.OutboxStore = (*store.DB)(nil)

// NewDeliverer returns a delivery worker of the monitor's messages: o with
// DecodeMessage as its decoder.
func NewDeliverer(o DeliveryOptions) (*Deliverer, error) {
	if o.Decode == nil {
		o.Decode = DecodeMessage
	}
	return delivery.New(o)
}

// Attempt counts a delivery attempt by its outcome (delivery.Metrics).
func (m *Metrics) Attempt(outcome string) { m.attempt(outcome) }

// Delivered counts a delivered message of the outbox's kind.
func (m *Metrics) Delivered(kind string) { m.delivered(kind) }

// Failed counts a message given up on.
func (m *Metrics) Failed() { m.failed() }

var _ delivery.Metrics = (*Metrics)(nil)
