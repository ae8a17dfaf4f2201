package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
)

// Several replicas of `shopwatch serve` may share one PostgreSQL database.
// Replicas coordinates them with PostgreSQL advisory locks, each held by a
// connection of its own: a lock is released when its holder unlocks it or
// when its connection ends, so a replica that dies (kill -9, a lost host)
// releases whatever it held as soon as the server sees the connection go.
//
//   - Leadership: one replica holds the leader lock and runs the schedule
//     (gocron's Elector: IsLeader); the others are followers, and one of
//     them takes over at its next try when the leader goes.
//   - Lock: named locks that serialise work across replicas, such as the
//     monitor's ticks; the work itself is keyed by shop and business date
//     (monitor_runs), so a run that happens twice does nothing the second
//     time.
//
// On SQLite, a single process, the leader is always this process and locks
// are no-ops (the monitor's own mutex serialises its runs).

// ErrNotLeader is IsLeader's answer on a follower.
var ErrNotLeader = errors.New("not the leader: another replica is")

// Replicas coordinates this process with the other replicas on the same
// database.
type Replicas struct {
	db *DB

	mu     sync.Mutex
	leader *sql.Conn // holds the leader lock; nil when a follower
}

// Replicas returns the database's coordinator (one per DB). Closing the
// DB gives up leadership.
func (db *DB) Replicas() *Replicas {
	db.replicasOnce.Do(func() { db.replicas = &Replicas{db: db} })
	return db.replicas
}

// Shared reports whether other processes may run the service on the same
// database as replicas: on PostgreSQL.
func (db *DB) Shared() bool { return db.pg }

// lockKey is the advisory lock of a name.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("shopwatch:" + name))
	return int64(h.Sum64())
}

// IsLeader returns nil when this replica is the leader, taking the leader
// lock if it is free, and ErrNotLeader otherwise.
func (r *Replicas) IsLeader(ctx context.Context) error {
	if !r.db.pg {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.leader != nil {
		if err := r.leader.PingContext(ctx); err == nil {
			return nil
		}
		// The connection that held the lock is gone, and the lock with it.
		r.db.log.Warn("lost the leader lock's connection: leadership lost")
		r.leader.Close()
		r.leader = nil
	}
	conn, ok, err := r.db.tryLock(ctx, "leader")
	if err != nil {
		return fmt.Errorf("store: leader election: %w", err)
	}
	if !ok {
		return ErrNotLeader
	}
	r.db.log.Info("this replica is now the leader")
	r.leader = conn
	return nil
}

// Role is "leader" or "follower", as of the last IsLeader.
func (r *Replicas) Role() string {
	if !r.db.pg {
		return "leader"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.leader != nil {
		return "leader"
	}
	return "follower"
}

// Lock waits for the named lock, held across replicas until unlock.
func (r *Replicas) Lock(ctx context.Context, name string) (unlock func(), err error) {
	if !r.db.pg {
		return func() {}, nil
	}
	conn, err := r.db.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: lock %s: %w", name, err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(?)`, lockKey(name)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("store: lock %s: %w", name, err)
	}
	return func() { unlockConn(conn, name) }, nil
}

// Close gives up leadership.
func (r *Replicas) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.leader != nil {
		unlockConn(r.leader, "leader")
		r.leader = nil
	}
	return nil
}

// tryLock takes the named lock on a connection of its own if it is free.
func (db *DB) tryLock(ctx context.Context, name string) (*sql.Conn, bool, error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, false, err
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(?)`, lockKey(name)).Scan(&ok); err != nil || !ok {
		conn.Close()
		return nil, false, err
	}
	return conn, true, nil
}

// unlockConn releases the named lock and the connection that held it.
func unlockConn(conn *sql.Conn, name string) {
	conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(?)`, lockKey(name))
	conn.Close()
}
