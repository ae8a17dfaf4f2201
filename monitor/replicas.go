package monitor

import "context"

// Coordinator lets several replicas of the service share one database
// (PostgreSQL): the schedule's jobs fire on the leader only (gocron's
// distributed Elector), and every tick, the catch-up at start included,
// holds a lock across replicas, so that two ticks never overlap. What a
// tick does is keyed by shop and business date (the store's runs and
// outbox keys, never the wall-clock minute), so a tick that repeats
// another's (a failover, a DST repeat, clocks apart) finds nothing left
// to do. The delivery worker runs on every replica: the store's outbox
// claims take each message once. *store.Replicas implements it.
type Coordinator interface {
	// IsLeader returns nil on the leader.
	IsLeader(ctx context.Context) error
	// Lock waits for the named lock, held across replicas until unlock.
	Lock(ctx context.Context, name string) (unlock func(), err error)
}

// TickLock is the lock every tick holds. The command line's evaluate and
// digest hold it too, for the whole command, so that a run by hand never
// interleaves with a replica's tick.
const TickLock = "monitor-tick"

// lockTick takes the tick lock when the monitor has replicas.
func (m *Monitor) lockTick(ctx context.Context) (unlock func(), err error) {
	if m.o.Replicas == nil {
		return func() {}, nil
	}
	return m.o.Replicas.Lock(ctx, TickLock)
}
