package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// The store's SQL is written once, with SQLite's placeholders (? and ?N).
// On PostgreSQL every connection goes through pgConn, which rewrites them
// to $N before pgx sees the statement, and binds Go bools as 0 or 1 as
// SQLite does (the schema keeps flags in integer columns on both).

// openPostgres returns a database/sql handle on the server at dsn. Its
// sessions carry an application_name of their own (the DSN's, if any,
// then "shopwatch" with the process id and a handle number), by which an
// import tells them from other sessions (pgAlone).
func openPostgres(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse DSN: %w", err)
	}
	name := fmt.Sprintf("shopwatch %d/%d", os.Getpid(), pgHandles.Add(1))
	if own := cfg.RuntimeParams["application_name"]; own != "" {
		name = own + " (" + name + ")"
	}
	cfg.RuntimeParams["application_name"] = name
	db := sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)})
	db.SetMaxIdleConns(pgIdleConns)
	return db, nil
}

// pgIdleConns is how many connections a handle keeps open while idle
// (SetConnections sets it for serve). database/sql keeps 2: an evaluation
// of every shop, four at a time, closed a connection after nearly every
// shop and opened another, 51 server processes for 100 shops, each of
// which started with empty caches and planned its statements afresh.
const pgIdleConns = 8

// pgHandles numbers the handles openPostgres returns.
var pgHandles atomic.Int64

type pgConnector struct{ inner driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(*stdlib.Conn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("store: unexpected pgx connection %T", conn)
	}
	return &pgConn{sc}, nil
}

func (c pgConnector) Driver() driver.Driver { return c.inner.Driver() }

// pgConn is a pgx connection that takes SQLite-style placeholders.
type pgConn struct{ c *stdlib.Conn }

// pgxConn returns the pgx connection under a database/sql driver
// connection (sql.Conn.Raw), for COPY.
func pgxConn(dc any) (*pgx.Conn, bool) {
	c, ok := dc.(*pgConn)
	if !ok {
		return nil, false
	}
	return c.c.Conn(), true
}

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.c.PrepareContext(context.Background(), rebind(query))
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.c.PrepareContext(ctx, rebind(query))
}

func (c *pgConn) Close() error { return c.c.Close() }

func (c *pgConn) Begin() (driver.Tx, error) {
	return c.c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.c.BeginTx(ctx, opts)
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.c.ExecContext(ctx, rebind(query), args)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.c.QueryContext(ctx, rebind(query), args)
}

func (c *pgConn) Ping(ctx context.Context) error { return c.c.Ping(ctx) }

func (c *pgConn) ResetSession(ctx context.Context) error { return c.c.ResetSession(ctx) }

func (c *pgConn) IsValid() bool { return !c.c.Conn().IsClosed() }

// CheckNamedValue binds bools as integers; pgx takes every other value as is.
func (c *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	if b, ok := nv.Value.(bool); ok {
		nv.Value = int64(0)
		if b {
			nv.Value = int64(1)
		}
	}
	return nil
}

var rebound sync.Map // query text -> rewritten text

// rebind rewrites SQLite placeholders to PostgreSQL's: ?N becomes $N and
// each bare ? the next $N. Quoted strings, quoted names and comments are
// left alone, and so is text already using $N (gorm's).
func rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	if q, ok := rebound.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	next := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := strings.IndexByte(query[i+1:], c)
			if j < 0 {
				b.WriteString(query[i:])
				i = len(query)
				continue
			}
			b.WriteString(query[i : i+j+2])
			i += j + 1
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i - 1
			}
			b.WriteString(query[i : i+j+1])
			i += j
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			j := strings.Index(query[i+2:], "*/")
			if j < 0 {
				j = len(query) - i - 4
			}
			b.WriteString(query[i : i+j+4])
			i += j + 3
		case c == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			if j > i+1 {
				b.WriteString("$" + query[i+1:j])
				i = j - 1
			} else {
				next++
				b.WriteString("$" + strconv.Itoa(next))
			}
		default:
			b.WriteByte(c)
		}
	}
	q := b.String()
	rebound.Store(query, q)
	return q
}

// IsPostgres reports whether dsn names a PostgreSQL server rather than a
// SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// redactDSN hides the password of a postgres:// DSN, for messages.
func redactDSN(dsn string) string {
	if !IsPostgres(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparsable DSN)"
	}
	return u.Redacted()
}

// errSetupLock is returned by a setup step run without the setup lock
// (underSetupLock) that has something to change.
var errSetupLock = errors.New("store: the setup has changes to make: it needs the setup lock")

// underSetupLock runs setup, whose steps change the database only where
// they find it behind this version or the config. On PostgreSQL it runs
// it first without the setup lock, with locked false, and again under the
// lock when a step returned errSetupLock before changing anything: a
// process that finds nothing to change, as nearly every one does, neither
// waits for the others' setup nor opens a second connection for the lock
// (a short command took 70-89 ms with it, 53-63 ms without). On SQLite it
// runs it once, locked.
func (c *conn) underSetupLock(ctx context.Context, setup func(locked bool) error) error {
	if c.pg {
		if err := setup(false); !errors.Is(err, errSetupLock) {
			return err
		}
	}
	unlock, err := c.lockSetup(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	return setup(true)
}

// lockSetup takes the setup lock, which serialises Open's migrations and
// shop table updates across replicas starting together, on PostgreSQL (a no-op on SQLite, whose
// migrations run in immediate transactions) and returns its release.
func (db *conn) lockSetup(ctx context.Context) (func(), error) {
	if !db.pg {
		return func() {}, nil
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: setup lock: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(?)`, lockKey("setup")); err != nil {
		conn.Close()
		return nil, fmt.Errorf("store: setup lock: %w", err)
	}
	return func() { unlockConn(conn, "setup") }, nil
}
