// Package postgres is the shared store of Switchboard: a switchboard.Store
// on PostgreSQL through pgx v5 (pgxpool), for several `serve` nodes side by
// side. The package is SQL only: its Driver implements switchboard.Driver,
// the rules of every change are switchboard.Service's, and it passes the
// same conformance suites as the SQLite store (storetest, drivertest).
//
// Where SQLite serialises every write through one connection, PostgreSQL
// runs them at once, so each write transaction takes the row locks its
// read-modify-write needs (SELECT … FOR UPDATE), always in the same order
// (endpoint before number, deliveries by ID) so that transactions do not
// deadlock, and relies on unique constraints (ON CONFLICT) where two nodes
// may race to create the same thing. The delivery queue is claimed with
// FOR UPDATE SKIP LOCKED: workers on any number of nodes claim at once
// without waiting for each other, and never receive the same delivery.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-voice/switchboard"
)

// DB is the PostgreSQL store: switchboard's Service, which holds the rules
// of every change, over this package's Driver, which only runs SQL. Several
// DBs (in one process or on several nodes) may share one database.
type DB struct {
	*switchboard.Service
	d *Driver
}

// Driver is the SQL half of the store (switchboard.Driver). It is safe for
// concurrent use.
type Driver struct {
	switchboard.RowReader // the lookups of endpoints, numbers and subscriptions
	switchboard.Lists     // the lists, ListCalls aside

	pool   *pgxpool.Pool
	clock  switchboard.Clock
	schema string // the schema option of the DSN; "" when none was given

	notifier *eventNotifier // the event feed's notifications (eventnotify.go)
}

var _ switchboard.Driver = (*Driver)(nil)

// Open connects to the PostgreSQL database named by dsn, a postgres:// or
// postgresql:// URL (or a key=value connection string) as pgx reads it,
// pool settings (pool_max_conns, …) included. Call Migrate before use. A
// nil clock means switchboard.SystemClock.
//
// The store's tables live in the first schema of the search_path. It can be
// set in the DSN, as a parameter (search_path=NAME) or as a server option
// (options=-c search_path=NAME), or with the store's own parameter
// schema=NAME, which sets the search_path to that schema alone and makes
// Migrate create the schema if it does not exist yet.
func Open(ctx context.Context, dsn string, clock switchboard.Clock) (*DB, error) {
	d, err := OpenDriver(ctx, dsn, clock)
	if err != nil {
		return nil, err
	}
	return &DB{Service: switchboard.NewService(d, clock), d: d}, nil
}

// Migrate applies the migrations not yet applied (Driver.Migrate).
func (db *DB) Migrate(ctx context.Context) error { return db.d.Migrate(ctx) }

// ApplyMigrations is Migrate, returning the versions it applied
// (Driver.ApplyMigrations).
func (db *DB) ApplyMigrations(ctx context.Context) ([]string, error) {
	return db.d.ApplyMigrations(ctx)
}

// OpenDriver connects as Open does, without the Service.
func OpenDriver(ctx context.Context, dsn string, clock switchboard.Clock) (*Driver, error) {
	dsn, schema, err := cutSchema(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors can quote the DSN, password included.
		return nil, errors.New("open postgres: invalid connection string")
	}
	if schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	}
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		// Times come back in UTC, as the domain and the SQLite store give them.
		c.TypeMap().RegisterType(&pgtype.Type{
			Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
		})
		return nil
	}
	if clock == nil {
		clock = switchboard.SystemClock
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", redact(cfg), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres %s: %w", redact(cfg), err)
	}
	db := &Driver{pool: pool, clock: clock, schema: schema}
	db.RowReader = switchboard.RowReader{Q: db, SQL: &rowSQL}
	db.Lists = switchboard.Lists{P: db, Codec: &codec, PhoneNumberColumns: phoneNumberColumns, PhoneNumberFrom: phoneNumberFrom,
		EventCallID: "e.data->>'call_id'"}
	db.startEventNotifier()
	return db, nil
}

// cutSchema removes the store's schema parameter from a URL DSN, which
// pgx would otherwise send to the server as an unknown setting.
func cutSchema(dsn string) (rest, schema string, err error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn, "", nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", "", errors.New("invalid connection URL")
	}
	// The other parameters are kept as written: re-encoding them would
	// turn the spaces of options=-c%20… into '+', which pgx keeps as is.
	var keep []string
	found := false
	for _, part := range strings.Split(u.RawQuery, "&") {
		key, value, _ := strings.Cut(part, "=")
		if k, err := url.QueryUnescape(key); err != nil || k != "schema" {
			keep = append(keep, part)
			continue
		}
		if schema, err = url.QueryUnescape(value); err != nil {
			return "", "", errors.New("invalid schema parameter")
		}
		found = true
	}
	if !found {
		return dsn, "", nil
	}
	if schema == "" || len(schema) > 63 || !storable(schema) {
		return "", "", fmt.Errorf("invalid schema %q", schema)
	}
	u.RawQuery = strings.Join(keep, "&")
	return u.String(), schema, nil
}

// redact names the server of a pool configuration without its password.
func redact(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// Ping reports whether the server answers, over a connection of the pool.
func (db *Driver) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	return nil
}

// Close closes the pool, waiting for the connections in use to be released.
func (db *Driver) Close() error {
	db.notifier.close()
	db.pool.Close()
	return nil
}

// now returns the clock's time as it will read back from the database:
// UTC, truncated to the microseconds timestamptz keeps.
func (db *Driver) now() time.Time { return db.clock().UTC().Truncate(time.Microsecond) }

// ts returns t as stored: UTC, truncated to microseconds.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// querier is what the pool and a transaction have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// scanner is a pgx.Row or pgx.Rows.
type scanner = switchboard.Scanner

// txn is a write transaction (switchboard.Tx).
type txn struct {
	pgx.Tx
	switchboard.RowWriter // the lookups and writes of endpoints, numbers and subscriptions
	ctx                   context.Context
	evented               []string // organisations whose events it wrote, to notify after the commit
}

// maxTries bounds how often write runs a transaction that PostgreSQL
// aborted as a deadlock victim or a serialisation failure.
const maxTries = 5

// write runs fn in a transaction and commits it, after writing the events
// fn emitted. A transaction that PostgreSQL aborts to break a deadlock (or
// a serialisation failure) is run again from the start, fn included, so fn
// must only read and write through tx.
func (db *Driver) write(ctx context.Context, fn func(tx *txn) error) error {
	for try := 1; ; try++ {
		err := db.writeOnce(ctx, fn)
		if err == nil || try == maxTries || !retryable(err) || ctx.Err() != nil {
			return err
		}
	}
}

func (db *Driver) writeOnce(ctx context.Context, fn func(tx *txn) error) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // a no-op after Commit
	t := &txn{Tx: tx, ctx: ctx}
	t.RowWriter = switchboard.RowWriter{RowReader: switchboard.RowReader{Q: t, SQL: &rowSQL}, E: t}
	if err := fn(t); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	db.notifier.committed(t.evented)
	return nil
}

// Write runs fn in one transaction (switchboard.Driver), again from the
// start when PostgreSQL aborts it to break a deadlock.
func (db *Driver) Write(ctx context.Context, fn func(tx switchboard.Tx) error) error {
	return db.write(ctx, func(tx *txn) error { return fn(tx) })
}

// PostgreSQL error codes the store handles.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

func pgCode(err error) (code, constraint string) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code, pe.ConstraintName
	}
	return "", ""
}

func retryable(err error) bool {
	code, _ := pgCode(err)
	return code == codeDeadlockDetected || code == codeSerializationFailure
}

// storable reports whether s can be a text value: PostgreSQL text holds
// neither NUL nor invalid UTF-8, and a lookup of such a value must be a
// plain "not found", not a database error.
func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// insertSQL inserts a row of table with every column of cols, a column
// list the root package declares.
func insertSQL(table, cols string) string {
	return `INSERT INTO ` + table + ` (` + cols + `) VALUES (` + params(1, strings.Count(cols, ",")+1) + `)`
}

// updateSQL sets the columns valueCols of the organisation's row of table
// by ID; its last two parameters are organization_id and id.
func updateSQL(table, valueCols string) string {
	n := strings.Count(valueCols, ",") + 1
	return `UPDATE ` + table + ` SET (` + valueCols + `) = (` + params(1, n) + `)
		WHERE organization_id = $` + strconv.Itoa(n+1) + ` AND id = $` + strconv.Itoa(n+2)
}

// params returns n placeholders from $first.
func params(first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(first+i))
	}
	return b.String()
}

// where joins SQL conditions with AND, numbering their parameters.
type where struct {
	conds []string
	args  []any
}

// eq adds "col = $n" with v as $n.
func (w *where) eq(col string, v any) {
	w.args = append(w.args, v)
	w.conds = append(w.conds, col+" = $"+strconv.Itoa(len(w.args)))
}

// add adds a condition without parameters.
// eqs adds column = value for each condition.
func (w *where) eqs(cs []switchboard.Cond) {
	for _, c := range cs {
		w.eq(c.Column, c.Value)
	}
}

func (w *where) add(cond string) { w.conds = append(w.conds, cond) }

// param adds v and returns its placeholder.
func (w *where) param(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return "true"
	}
	return strings.Join(w.conds, " AND ")
}

// Page runs one page of a list (switchboard.Pager) on the pool. IDs
// compare byte by byte (COLLATE "C"), as SQLite compares them.
func (db *Driver) Page(ctx context.Context, q *switchboard.ListQuery, each func(scanner, ...any) error) (int, error) {
	var w where
	for _, c := range q.Where {
		w.add(c)
	}
	w.eqs(q.Conds)
	return page(ctx, db.pool, q.Columns, q.From, w, q.CreatedAt+` DESC, `+q.ID+` COLLATE "C" DESC`, q.Page, each)
}

// page runs one page of a list: SELECT cols FROM from WHERE w ORDER BY
// order, with the total of the rows that match. The total comes from the
// same statement (a window count), so it agrees with the page; only a page
// past the end, which has no row to carry it, counts in a second statement.
// each reads cols and then the extra destination it is given.
func page(ctx context.Context, q querier, cols, from string, w where, order string, p switchboard.Page,
	each func(s scanner, extra ...any) error) (int, error) {
	limit, offset := p.LimitOffset()
	cond := w.String()
	countArgs := w.args
	lim, off := w.param(limit), w.param(offset)
	rows, err := q.Query(ctx, pageSQL(cols, from, cond, order, lim, off), w.args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var total, n int
	for rows.Next() {
		if err := each(rows, &total); err != nil {
			return 0, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if n == 0 {
		if err := q.QueryRow(ctx, `SELECT count(*) FROM `+from+` WHERE `+cond, countArgs...).Scan(&total); err != nil {
			return 0, err
		}
	}
	return total, nil
}

// pageSQL is page's statement: the rows of from that match cond, in
// order, each with the count of them all; lim and off are placeholders.
func pageSQL(cols, from, cond, order, lim, off string) string {
	return `SELECT ` + cols + `, count(*) OVER () FROM ` + from + ` WHERE ` + cond + `
		ORDER BY ` + order + ` LIMIT ` + lim + ` OFFSET ` + off
}

func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// collectStrings reads a one-column result of text.
func collectStrings(rows pgx.Rows) ([]string, error) {
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// retry runs fn, a statement in a transaction of its own, again when
// PostgreSQL aborts it to break a deadlock.
func (db *Driver) retry(ctx context.Context, fn func() error) error {
	for try := 1; ; try++ {
		err := fn()
		if err == nil || try == maxTries || !retryable(err) || ctx.Err() != nil {
			return err
		}
	}
}

// deref returns *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
