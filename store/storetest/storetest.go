// Package storetest gives tests a fresh database of their own: a SQLite
// file in the test's temporary directory, or a database created for the
// test on the PostgreSQL server named by SHOPWATCH_TEST_POSTGRES (a DSN
// whose role may CREATE DATABASE; .ci/postgres.sh starts one).
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/shopwatch/shopwatch/rules"
)

// Environment variables the helpers read.
const (
	// PostgresEnv names the server's DSN.
	PostgresEnv = "SHOPWATCH_TEST_POSTGRES"
	// BackendEnv set to "postgres" makes DSN give PostgreSQL databases, so
	// that a whole package's suite runs on PostgreSQL.
	BackendEnv = "SHOPWATCH_TEST_BACKEND"
)

// SkipMessage is how a PostgreSQL test skips when no server is given.
const SkipMessage = PostgresEnv + " not set: PostgreSQL tests skipped; see README"

// Backend is a kind of database a test can run on.
type Backend struct {
	Name string
	// DSN returns a fresh, empty database for tb.
	DSN func(tb testing.TB) string
}

// Backends lists the backends, for tests that run on each.
var Backends = []Backend{{"sqlite", SQLite}, {"postgres", Postgres}}

// DSN returns a fresh database: PostgreSQL when BackendEnv is "postgres",
// else a SQLite file.
func DSN(tb testing.TB) string {
	tb.Helper()
	if OnPostgres() {
		return Postgres(tb)
	}
	return SQLite(tb)
}

// OnPostgres reports whether DSN gives PostgreSQL databases.
func OnPostgres() bool { return os.Getenv(BackendEnv) == "postgres" }

// SQLite returns the path of a new SQLite file in tb's temporary directory.
func SQLite(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "shopwatch.db")
}

// Postgres creates a database for tb on the server named by PostgresEnv
// and returns its DSN; the database is dropped when tb ends. Without the
// variable the test is skipped, or fails when CI is set: CI must not pass
// without its server.
func Postgres(tb testing.TB) string {
	tb.Helper()
	return PostgresFrom(tb, "")
}

// PostgresFrom is Postgres with the new database a copy of the database
// named by template (a DSN from NewPostgres, with no open connection);
// empty: an empty database.
func PostgresFrom(tb testing.TB, template string) string {
	tb.Helper()
	return postgresFor(tb, func() (string, func() error, error) { return NewPostgres(tb.Name(), template) })
}

// PostgresInLocale is Postgres with the new database's text in the order
// of ICU locale icu (such as "en-US") unless a column says otherwise, as
// a cluster made with that locale has it. PostgreSQL's ICU collations
// need no locale installed on the system.
func PostgresInLocale(tb testing.TB, icu string) string {
	tb.Helper()
	return postgresFor(tb, func() (string, func() error, error) {
		return newPostgres(tb.Name(), ` TEMPLATE template0 LOCALE 'C' LOCALE_PROVIDER icu ICU_LOCALE `+quote(icu))
	})
}

// postgresFor returns the DSN of the database create makes for tb, and
// drops it when tb ends.
func postgresFor(tb testing.TB, create func() (dsn string, drop func() error, err error)) string {
	tb.Helper()
	if os.Getenv(PostgresEnv) == "" {
		if os.Getenv("CI") != "" {
			tb.Fatal(PostgresEnv + " not set in CI: the PostgreSQL tests need the server .ci/run starts")
		}
		tb.Skip(SkipMessage)
	}
	dsn, drop, err := create()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := drop(); err != nil {
			tb.Error(err)
		}
	})
	return dsn
}

// quote is s as an SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// NewPostgres creates a database on the server named by PostgresEnv, for
// fixtures built once per test binary: its DSN and how to drop it. name
// is part of the database's name; template is as for PostgresFrom.
func NewPostgres(name, template string) (dsn string, drop func() error, err error) {
	clause := ""
	if template != "" {
		t, err := url.Parse(template)
		if err != nil {
			return "", nil, fmt.Errorf("template: %w", err)
		}
		clause = ` TEMPLATE ` + pgx.Identifier{strings.TrimPrefix(t.Path, "/")}.Sanitize()
	}
	return newPostgres(name, clause)
}

// newPostgres is NewPostgres with clause, the CREATE DATABASE options.
func newPostgres(name, clause string) (dsn string, drop func() error, err error) {
	admin := os.Getenv(PostgresEnv)
	if admin == "" {
		return "", nil, errors.New(SkipMessage)
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", PostgresEnv, err)
	}
	db := dbName(name)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := exec(ctx, admin, `CREATE DATABASE `+db+clause); err != nil {
		return "", nil, fmt.Errorf("create test database: %w", err)
	}
	drop = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := exec(ctx, admin, `DROP DATABASE IF EXISTS `+db+` WITH (FORCE)`); err != nil {
			return fmt.Errorf("drop test database %s: %w", db, err)
		}
		return nil
	}
	u.Path = "/" + db
	return u.String(), drop, nil
}

func exec(ctx context.Context, dsn, stmt string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, stmt)
	return err
}

var unsafeName = regexp.MustCompile(`[^a-z0-9]+`)

// dbName is a database name unique to this run, readable from the test's.
func dbName(test string) string {
	var r [4]byte
	rand.Read(r[:])
	base := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(test), "_"), "_")
	if len(base) > 40 {
		base = base[:40]
	}
	return fmt.Sprintf("t_%s_%s", base, hex.EncodeToString(r[:]))
}

// ImageConfig parses config text and returns it as shopwatch's short
// commands get it from the config cache: read back from its image
// (rules.Config.MarshalBinary), its shops decoded as they are looked up.
func ImageConfig(tb testing.TB, text string) *rules.Config {
	tb.Helper()
	cfg, err := rules.ParseConfig([]byte(text))
	if err != nil {
		tb.Fatal(err)
	}
	img, err := cfg.MarshalBinary()
	if err != nil {
		tb.Fatal(err)
	}
	if cfg, err = rules.UnmarshalConfig(img); err != nil {
		tb.Fatal(err)
	}
	return cfg
}
