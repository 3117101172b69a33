// Package sqlite is the embedded store of Switchboard: a switchboard.Store
// on one SQLite file, through the pure-Go driver modernc.org/sqlite (no cgo,
// so the binary stays static). The package is SQL only: its Driver
// implements switchboard.Driver, and the rules of every change are
// switchboard.Service's.
//
// SQLite allows one writer at a time, so the store keeps two pools on the
// same file: a writer pool of exactly one connection, whose transactions
// begin IMMEDIATE, and a reader pool of several connections. In WAL mode the
// readers never wait for the writer, and because the single writer takes the
// write lock when its transaction begins, never on its first write, two
// transactions can never deadlock upgrading a read lock (SQLITE_BUSY).
package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-voice/switchboard"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DB is the SQLite store: switchboard's Service, which holds the rules of
// every change, over this package's Driver, which only runs SQL.
type DB struct {
	*switchboard.Service
	d *Driver
}

// Driver is the SQL half of the store (switchboard.Driver). It is safe for
// concurrent use.
type Driver struct {
	switchboard.RowReader // the lookups of endpoints, numbers and subscriptions
	switchboard.Lists     // the lists, ListCalls aside

	path  string
	clock switchboard.Clock

	writer *sql.DB // one connection: every write goes through it, in order
	reader *sql.DB // several connections for queries, beside the writer

	stmts  sync.Map // query text → *sql.Stmt on reader, for the hot-path lookups
	wstmts sync.Map // query text → *sql.Stmt on writer, for the delivery queue (writeStmt)

	txns sync.Pool // of *txn, reused by write

	changes changeHub // subscriptions of SubscribeChanges (changes.go)
	events  changeHub // subscriptions of SubscribeEvents
	hangups hangupHub // subscriptions of SubscribeHangups (hangups.go)
}

var _ switchboard.Driver = (*Driver)(nil)

// pragmas are set through the DSN rather than once after opening, so that
// every connection the pools open, now or after a reconnect, gets them.
// busy_timeout covers other processes on the same file (the CLI next to
// serve); synchronous=NORMAL is durable across application crashes in WAL
// mode and much faster than FULL.
const pragmas = "_pragma=busy_timeout(5000)" +
	"&_pragma=foreign_keys(1)" +
	"&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(NORMAL)"

// Open opens (creating if needed) the SQLite database at path, a file path,
// as a switchboard.Store. In-memory databases are not supported: the two
// pools must share one file. Call Migrate before use. A nil clock means
// switchboard.SystemClock.
func Open(path string, clock switchboard.Clock) (*DB, error) {
	d, err := OpenDriver(path, clock)
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

// OpenDriver opens the database at path as Open does, without the Service.
func OpenDriver(path string, clock switchboard.Clock) (*Driver, error) {
	switch {
	case path == "":
		return nil, errors.New("open sqlite: empty database path")
	case path == ":memory:" || strings.HasPrefix(path, "file:"):
		return nil, fmt.Errorf("open sqlite %q: only a plain file path is supported", path)
	case strings.ContainsRune(path, '?'):
		// The driver splits the DSN at the first '?'.
		return nil, fmt.Errorf("open sqlite %q: the path may not contain '?'", path)
	}
	if clock == nil {
		clock = switchboard.SystemClock
	}
	db := &Driver{path: path, clock: clock}
	db.RowReader = switchboard.RowReader{Q: db, SQL: &rowSQL}
	db.Lists = switchboard.Lists{P: db, Codec: &codec,
		PhoneNumberColumns: phoneNumberColumns, PhoneNumberFrom: phoneNumberFrom, PhoneNumberCountFrom: phoneNumberCountFrom,
		EventCallID: "json_extract(e.data, '$.call_id')"}
	db.txns.New = func() any { return new(txn) }

	var err error
	db.writer, err = sql.Open("sqlite", path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.writer.SetMaxOpenConns(1)
	db.writer.SetMaxIdleConns(1)
	db.writer.SetConnMaxLifetime(0)
	db.writer.SetConnMaxIdleTime(0)
	// Connect the writer first: it creates the file and switches it to WAL
	// before any reader opens it.
	if err := db.writer.PingContext(context.Background()); err != nil {
		db.writer.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}

	// query_only makes a stray write on a reader an error instead of a
	// second writer competing for the lock.
	db.reader, err = sql.Open("sqlite", path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		db.writer.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	n := max(4, runtime.NumCPU())
	db.reader.SetMaxOpenConns(n)
	db.reader.SetMaxIdleConns(n)
	db.reader.SetConnMaxLifetime(0)
	if err := db.reader.PingContext(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return db, nil
}

// Ping reports whether the database file answers a query.
func (db *Driver) Ping(ctx context.Context) error {
	var one int
	if err := db.reader.QueryRowContext(ctx, `SELECT 1 FROM sqlite_schema LIMIT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	return nil
}

// Close closes both pools.
func (db *Driver) Close() error {
	for _, m := range []*sync.Map{&db.stmts, &db.wstmts} {
		m.Range(func(k, v any) bool {
			v.(*sql.Stmt).Close()
			m.Delete(k)
			return true
		})
	}
	var errs []error
	if db.reader != nil {
		errs = append(errs, db.reader.Close())
	}
	errs = append(errs, db.writer.Close())
	return errors.Join(errs...)
}

// now returns the clock's time as it will read back from the database:
// UTC, truncated to the microseconds the columns keep.
func (db *Driver) now() time.Time { return db.clock().UTC().Truncate(time.Microsecond) }

// micros and fromMicros convert between time.Time and the INTEGER columns.
// idList encodes ids as a JSON array, for `IN (SELECT value FROM
// json_each(?))`: one parameter however many IDs there are.
func idList(ids []string) string {
	b, _ := json.Marshal(ids) // a []string always encodes
	return string(b)
}

func micros(t time.Time) int64      { return t.UTC().UnixMicro() }
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// querier is what *sql.DB, *sql.Tx and *sql.Conn have in common, so one
// lookup serves both the reader pool and a write transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// scanner is a *sql.Row or *sql.Rows.
type scanner = switchboard.Scanner

// write runs fn in an IMMEDIATE transaction on the writer connection,
// commits, and then tells the change subscribers. fn must not call other Driver methods that write:
// the writer has one connection, so a nested write would wait for itself.
func (db *Driver) write(ctx context.Context, fn func(tx *txn) error) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	return db.finish(ctx, tx, fn(tx))
}

// Write runs fn in one write transaction (switchboard.Driver). SQLite
// never aborts it to retry, so fn runs once.
func (db *Driver) Write(ctx context.Context, fn func(tx switchboard.Tx) error) error {
	return db.write(ctx, func(tx *txn) error { return fn(tx) })
}

// begin starts a write transaction.
func (db *Driver) begin(ctx context.Context) (*txn, error) {
	stx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	tx := db.txns.Get().(*txn)
	tx.Tx, tx.db = stx, db
	tx.RowWriter = switchboard.RowWriter{RowReader: switchboard.RowReader{Q: tx, SQL: &rowSQL}, E: tx}
	return tx, nil
}

// finish ends the transaction tx whose work returned err: it rolls back
// on an error; else it commits and tells the change
// subscribers. tx is reused afterwards (the recorder's batches commit
// thousands of times a second, each in one).
func (db *Driver) finish(ctx context.Context, tx *txn, err error) error {
	stx := tx.Tx
	defer func() {
		clear(tx.ids)
		clear(tx.skipped)
		*tx = txn{changed: tx.changed[:0], evented: tx.evented[:0], hooks: tx.hooks[:0], ids: tx.ids[:0],
			timeline: tx.timeline[:0], skipped: tx.skipped[:0]}
		db.txns.Put(tx)
	}()
	if err != nil {
		stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return err
	}
	for _, org := range tx.changed {
		db.changed(org)
	}
	for _, org := range tx.evented {
		db.events.publish(org)
	}
	return nil
}

// read runs fn in a read transaction on the reader pool, so that a list and
// its total come from the same snapshot.
func (db *Driver) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// queryRow runs a single-row query on the reader pool through a statement
// prepared once (database/sql re-prepares it per connection as needed), so
// the lookups made on every request skip parsing SQL. It is prepared
// lazily because the tables do not exist before Migrate.
func (db *Driver) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s, ok := db.stmts.Load(query); ok {
		return s.(*sql.Stmt).QueryRowContext(ctx, args...)
	}
	s, err := db.reader.PrepareContext(ctx, query)
	if err != nil {
		// The unprepared query reports the same error through the Row.
		return db.reader.QueryRowContext(ctx, query, args...)
	}
	if prev, loaded := db.stmts.LoadOrStore(query, s); loaded {
		s.Close()
		s = prev.(*sql.Stmt)
	}
	return s.QueryRowContext(ctx, args...)
}

// writeStmt returns query prepared once on the writer connection, for
// tx.StmtContext in a write transaction: the transaction then runs it
// without parsing SQL again (database/sql re-prepares it only if the
// connection was replaced). It is for the delivery queue, whose small
// transactions run thousands of times a second. Call it before db.write,
// never inside: preparing needs the connection the transaction holds.
func (db *Driver) writeStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := db.wstmts.Load(query); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := db.writer.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.wstmts.LoadOrStore(query, s); loaded {
		s.Close()
		s = prev.(*sql.Stmt)
	}
	return s, nil
}

// insertSQL inserts a row of table with every column of cols, a column
// list the root package declares.
func insertSQL(table, cols string) string {
	return `INSERT INTO ` + table + ` (` + cols + `) VALUES (?` + strings.Repeat(", ?", strings.Count(cols, ",")) + `)`
}

// updateSQL sets the columns valueCols of the organisation's row of table
// by ID; its last two parameters are organization_id and id.
func updateSQL(table, valueCols string) string {
	return `UPDATE ` + table + ` SET (` + valueCols + `) = (?` + strings.Repeat(", ?", strings.Count(valueCols, ",")) + `)
		WHERE organization_id = ? AND id = ?`
}

// where joins SQL conditions with AND.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// eqs adds column = value for each condition.
func (w *where) eqs(cs []switchboard.Cond) {
	for _, c := range cs {
		w.add(c.Column+" = ?", c.Value)
	}
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return "1" // a list without conditions (the whole inventory)
	}
	return strings.Join(w.conds, " AND ")
}

// Page runs one page of a list (switchboard.Pager).
func (db *Driver) Page(ctx context.Context, q *switchboard.ListQuery, each func(scanner, ...any) error) (int, error) {
	var w where
	for _, c := range q.Where {
		w.add(c)
	}
	w.eqs(q.Conds)
	return db.page(ctx, `SELECT COUNT(*) FROM `+cmp.Or(q.CountFrom, q.From)+` WHERE `+w.String(),
		`SELECT `+q.Columns+` FROM `+q.From+` WHERE `+w.String()+` ORDER BY `+q.CreatedAt+` DESC, `+q.ID+` DESC`,
		w.args, q.Page, each)
}

// page runs one page of a list and counts the total that match, both in
// the same read snapshot so they agree. countSQL counts the matches;
// pageSQL selects them in list order and ends where LIMIT ? OFFSET ? is
// appended; both take args. each reads every row.
func (db *Driver) page(ctx context.Context, countSQL, pageSQL string, args []any, p switchboard.Page,
	each func(scanner, ...any) error) (int, error) {
	limit, offset := p.LimitOffset()
	var total int
	err := db.read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, countSQL, args...).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, pageSQL+` LIMIT ? OFFSET ?`, append(args[:len(args):len(args)], limit, offset)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := each(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	return total, err
}
