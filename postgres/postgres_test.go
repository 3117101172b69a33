package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/storetest"
)

// The tests run against the PostgreSQL named by SWITCHBOARD_TEST_POSTGRES,
// each in a schema of its own (t_<random>, dropped when the test ends), so
// that parallel tests and concurrent CI runs on one database never collide.
// Without a reachable server they skip, unless SWITCHBOARD_REQUIRE_ALL=1.

const defaultTestDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func testDSN() string {
	if dsn := os.Getenv("SWITCHBOARD_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return defaultTestDSN
}

var admin struct {
	once sync.Once
	pool *pgxpool.Pool
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if admin.pool != nil {
		admin.pool.Close()
	}
	os.Exit(code)
}

// adminPool returns a pool on the test database for creating and dropping
// schemas, skipping (or failing, under SWITCHBOARD_REQUIRE_ALL=1) when the
// server cannot be reached.
func adminPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	admin.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		cfg, err := pgxpool.ParseConfig(testDSN())
		if err != nil {
			admin.err = err
			return
		}
		cfg.MaxConns = 2
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err == nil {
			if err = pool.Ping(ctx); err != nil {
				pool.Close()
			}
		}
		admin.pool, admin.err = pool, err
		if err != nil {
			admin.pool = nil
		}
	})
	if admin.err != nil {
		msg := fmt.Sprintf("PostgreSQL is not reachable at SWITCHBOARD_TEST_POSTGRES=%q (%v)", redactTestDSN(testDSN()), admin.err)
		if os.Getenv("SWITCHBOARD_REQUIRE_ALL") == "1" {
			t.Fatalf("%s; SWITCHBOARD_REQUIRE_ALL=1 requires it", msg)
		}
		t.Skipf("%s; skipping (set SWITCHBOARD_REQUIRE_ALL=1 to fail instead)", msg)
	}
	return admin.pool
}

func redactTestDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	return dsn
}

// freshSchema creates an empty schema for t, dropped (with all it holds)
// when t ends, and returns its name.
func freshSchema(t testing.TB) string {
	t.Helper()
	pool := adminPool(t)
	b := make([]byte, 8)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := pool.Exec(t.Context(), `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := pool.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// withSearchPath returns the test DSN with its search_path set to schema,
// through the server option, in the URL or key=value form. The tests'
// commits do not wait for the disk (synchronous_commit=off): a test
// database need not survive a crash, and the suite runs several times faster.
func withSearchPath(dsn, schema string) string {
	opt := "-c search_path=" + schema + " -c synchronous_commit=off"
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			panic(err)
		}
		q := u.Query()
		q.Set("options", strings.TrimSpace(q.Get("options")+" "+opt))
		// pgx does not read '+' as a space.
		u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
		return u.String()
	}
	return dsn + " options='" + opt + "'"
}

// openSchema opens a store on the schema, closed when t ends.
func openSchema(t testing.TB, dsn string, clock switchboard.Clock) *DB {
	t.Helper()
	db, err := Open(t.Context(), dsn, clock)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openTest opens and migrates a store in a fresh schema.
func openTest(t testing.TB, clock switchboard.Clock) (*DB, string) {
	t.Helper()
	schema := freshSchema(t)
	db := openSchema(t, withSearchPath(testDSN(), schema), clock)
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return db, schema
}

func TestStore(t *testing.T) {
	adminPool(t)
	storetest.Run(t, func(t *testing.T, clock switchboard.Clock) switchboard.Store {
		schema := freshSchema(t)
		db, err := Open(t.Context(), withSearchPath(testDSN(), schema), clock)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if err := db.Migrate(t.Context()); err != nil {
			db.Close()
			t.Fatalf("Migrate: %v", err)
		}
		return db // storetest closes it, before the schema is dropped
	})
}

func countMigrations(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	if err := db.d.pool.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatalf("count schema_migrations: %v", err)
	}
	return n
}

func migrationFiles(t *testing.T) int {
	t.Helper()
	names, err := migrations.ReadDir("migration")
	if err != nil || len(names) == 0 {
		t.Fatalf("embedded migrations: %d, %v", len(names), err)
	}
	return len(names)
}

func TestMigrateIsIdempotentAndKeepsData(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, schema := openTest(t, nil)
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if _, _, err := db.EnsureOrganization(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = openSchema(t, withSearchPath(testDSN(), schema), nil)
	if err := db.Migrate(ctx); err != nil { // a third time, on reopen
		t.Fatalf("Migrate on reopen: %v", err)
	}
	if got, want := countMigrations(t, db), migrationFiles(t); got != want {
		t.Errorf("schema_migrations has %d rows, want one per migration (%d)", got, want)
	}
	if n, err := db.CountOrganizations(ctx); err != nil || n != 1 {
		t.Errorf("CountOrganizations after reopen = %d, %v; want 1", n, err)
	}
}

// TestConcurrentMigrate starts several nodes on one fresh schema at once:
// every Migrate succeeds and each migration is applied once.
func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	dsn := withSearchPath(testDSN(), freshSchema(t))
	const nodes = 4
	dbs := make([]*DB, nodes)
	for i := range dbs {
		dbs[i] = openSchema(t, dsn, nil)
	}
	errs := make([]error, nodes)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() {
			<-start
			errs[i] = db.Migrate(t.Context())
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate on node %d: %v", i, err)
		}
	}
	if got, want := countMigrations(t, dbs[0]), migrationFiles(t); got != want {
		t.Errorf("schema_migrations has %d rows, want %d", got, want)
	}
	if _, _, err := dbs[nodes-1].EnsureOrganization(t.Context(), "acme"); err != nil {
		t.Errorf("store after concurrent migrations: %v", err)
	}
}

// TestSchemaOption checks the DSN's schema parameter: the store lives in
// that schema, which Migrate creates, and a search_path in the DSN is
// honoured just the same.
func TestSchemaOption(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := adminPool(t)
	schema := freshSchema(t) // dropped at the end; recreated by Migrate below
	if _, err := pool.Exec(ctx, `DROP SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	sep := "?"
	if strings.Contains(testDSN(), "?") {
		sep = "&"
	}
	db := openSchema(t, testDSN()+sep+"schema="+schema, nil)
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("Migrate with the schema option: %v", err)
	}
	if _, _, err := db.EnsureOrganization(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{schema, "organizations"}.Sanitize()).Scan(&n); err != nil || n != 1 {
		t.Errorf("organizations in schema %s: %d, %v; want 1", schema, n, err)
	}

	// The same schema through search_path as a plain DSN parameter.
	if strings.HasPrefix(testDSN(), "postgres") {
		other := openSchema(t, testDSN()+sep+"search_path="+schema, nil)
		if n, err := other.CountOrganizations(ctx); err != nil || n != 1 {
			t.Errorf("CountOrganizations through search_path = %d, %v; want 1", n, err)
		}
	}

	// A search_path whose schema does not exist is a clear error.
	missing := openSchema(t, withSearchPath(testDSN(), "t_missing_"+schema), nil)
	if err := missing.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "schema") {
		t.Errorf("Migrate without an existing schema = %v, want an error naming the schema", err)
	}
}

// TestTwoNodesClaim runs two stores on one schema, as two nodes would, with
// several workers each claiming at once: no delivery is claimed twice, and
// every delivery is claimed.
func TestTwoNodesClaim(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clock := storetest.NewClock()
	a, schema := openTest(t, clock.Now)
	b := openSchema(t, withSearchPath(testDSN(), schema), clock.Now)

	org, _, err := a.EnsureOrganization(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		w, err := switchboard.NewWebhook(switchboard.WebhookInput{URL: fmt.Sprintf("https://hooks.example.com/%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.CreateWebhook(ctx, org.ID, w); err != nil {
			t.Fatal(err)
		}
	}
	const events = 100
	for i := range events {
		if _, err := b.EmitEvent(ctx, org.ID, switchboard.EventCallCompleted, map[string]int{"n": i}, switchboard.EmitOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	const total = events * 4
	if n, err := a.CountPendingDeliveries(ctx); err != nil || n != total {
		t.Fatalf("CountPendingDeliveries = %d, %v; want %d", n, err, total)
	}

	const workers = 8
	got := make([][]string, workers)
	errs := make([]error, workers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range workers {
		node := a
		if i%2 == 1 {
			node = b
		}
		wg.Go(func() {
			<-start
			owner := fmt.Sprintf("node%d-worker%d", i%2, i)
			for {
				jobs, err := node.ClaimDeliveries(ctx, owner, 7, time.Minute)
				if err != nil {
					errs[i] = err
					return
				}
				if len(jobs) == 0 {
					return
				}
				results := make([]switchboard.DeliveryResult, len(jobs))
				for k, j := range jobs {
					got[i] = append(got[i], j.ID)
					results[k] = switchboard.DeliveryResult{ID: j.ID, Status: switchboard.DeliveryDelivered,
						Attempt: switchboard.DeliveryAttempt{StatusCode: 200}}
				}
				if k := len(got[i]); k%2 == 0 { // finish every other batch, so finishes and claims interleave
					if err := node.FinishDeliveries(ctx, owner, results); err != nil {
						errs[i] = err
						return
					}
				}
			}
		})
	}
	close(start)
	wg.Wait()
	owner := map[string]int{}
	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
		for _, id := range got[i] {
			if prev, ok := owner[id]; ok {
				t.Errorf("workers %d and %d both claimed %s", prev, i, id)
			}
			owner[id] = i
		}
	}
	if len(owner) != total {
		t.Errorf("workers claimed %d distinct deliveries, want %d", len(owner), total)
	}
	for i := range workers {
		if len(got[i]) == 0 {
			t.Logf("worker %d claimed nothing", i)
		}
	}
}

// TestClaimSkipsLockedRows checks that a claim does not wait for a
// transaction that holds a due delivery's row lock: it passes over it.
func TestClaimSkipsLockedRows(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clock := storetest.NewClock()
	db, _ := openTest(t, clock.Now)
	org, _ := storetest.Subscribed(t, db, "https://hooks.example.com/x")
	for range 3 {
		if _, err := db.EmitEvent(ctx, org.ID, switchboard.EventCallRinging, map[string]string{}, switchboard.EmitOptions{}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
	}
	tx, err := db.d.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var locked string
	if err := tx.QueryRow(ctx, `SELECT id FROM deliveries ORDER BY next_attempt_at LIMIT 1 FOR UPDATE`).Scan(&locked); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	jobs, err := db.ClaimDeliveries(cctx, "w", 10, time.Minute)
	if err != nil {
		t.Fatalf("ClaimDeliveries while a row is locked: %v", err)
	}
	if len(jobs) != 2 {
		t.Errorf("claimed %d jobs, want the 2 unlocked", len(jobs))
	}
	for _, j := range jobs {
		if j.ID == locked {
			t.Errorf("claimed the locked delivery %s", j.ID)
		}
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if jobs, err := db.ClaimDeliveries(ctx, "w2", 10, time.Minute); err != nil || len(jobs) != 1 || jobs[0].ID != locked {
		t.Errorf("claim after the lock ended = %d jobs, %v; want %s", len(jobs), err, locked)
	}
}

// TestTimesAreUTC checks that times read back in UTC with microseconds
// whatever the session's time zone.
func TestTimesAreUTC(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	schema := freshSchema(t)
	at := time.Date(2025, 6, 1, 12, 0, 0, 123456000, time.UTC)
	u, err := url.Parse(withSearchPath(testDSN(), schema))
	if err != nil || !strings.HasPrefix(testDSN(), "postgres") {
		t.Skip("needs a URL DSN")
	}
	q := u.Query()
	q.Set("timezone", "Asia/Kolkata")
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	db := openSchema(t, u.String(), func() time.Time { return at.In(time.FixedZone("X", 3600)) })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	org, _, err := db.EnsureOrganization(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if !org.CreatedAt.Equal(at) || org.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want %v in UTC", org.CreatedAt, at)
	}
	w, err := switchboard.NewWebhook(switchboard.WebhookInput{URL: "https://hooks.example.com/x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateWebhook(ctx, org.ID, w); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EmitEvent(ctx, org.ID, switchboard.EventCallRinging, map[string]string{}, switchboard.EmitOptions{}); err != nil {
		t.Fatal(err)
	}
	jobs, err := db.ClaimDeliveries(ctx, "w", 1, time.Minute)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("ClaimDeliveries = %d, %v", len(jobs), err)
	}
	attempted := at.Add(-time.Second).In(time.FixedZone("Y", -7200))
	if err := db.FinishDeliveries(ctx, "w", []switchboard.DeliveryResult{{ID: jobs[0].ID, Status: switchboard.DeliveryDelivered,
		Attempt: switchboard.DeliveryAttempt{AttemptedAt: attempted, StatusCode: 200}}}); err != nil {
		t.Fatal(err)
	}
	d, err := db.FindDelivery(ctx, org.ID, jobs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Attempts) != 1 || !d.Attempts[0].AttemptedAt.Equal(attempted) || d.Attempts[0].AttemptedAt.Location() != time.UTC ||
		d.DeliveredAt == nil || !d.DeliveredAt.Equal(attempted) || d.DeliveredAt.Location() != time.UTC {
		t.Errorf("delivery %+v; want attempted and delivered at %v in UTC", d, attempted)
	}
	if !strings.Contains(string(d.Payload), `"timestamp":"2025-06-01T12:00:00.123456Z"`) || !bytes.Equal(d.Payload, jobs[0].Payload) {
		t.Errorf("payload %s (claimed %s); want the UTC timestamp, the same bytes", d.Payload, jobs[0].Payload)
	}
}

// TestStrangeText checks that values PostgreSQL text cannot hold (NUL,
// invalid UTF-8) are not found rather than database errors.
func TestStrangeText(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := openTest(t, nil)
	if _, err := db.FindAPIKeyByHash(ctx, "a\x00b"); switchboard.ErrorCode(err) != switchboard.ECodeInvalidAPIKey {
		t.Errorf("FindAPIKeyByHash(NUL) = %v, want INVALID_API_KEY", err)
	}
	if _, err := db.FindAPIKeyByHash(ctx, "\xff"); switchboard.ErrorCode(err) != switchboard.ECodeInvalidAPIKey {
		t.Errorf("FindAPIKeyByHash(invalid UTF-8) = %v, want INVALID_API_KEY", err)
	}
	org, _, err := db.EnsureOrganization(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ClaimNumber(ctx, org.ID, switchboard.ClaimRequest{Number: "+1\x00"}); switchboard.ErrorCode(err) != switchboard.ECodeNumberNotAvail {
		t.Errorf("ClaimNumber(NUL) = %v, want NUMBER_NOT_AVAILABLE", err)
	}
	if list, total, err := db.ListDeliveries(ctx, org.ID, switchboard.DeliveryFilter{WebhookID: "wh_\xff"}); err != nil || len(list) != 0 || total != 0 {
		t.Errorf("ListDeliveries(invalid UTF-8) = %d, %d, %v; want nothing", len(list), total, err)
	}
}

// TestDeleteEndpointRacesAttach runs, on two nodes at once, deletes of
// endpoints and updates that attach numbers to them. Every operation ends
// in success or ENDPOINT_NOT_FOUND (no deadlock, no internal error), and
// every number's latest phone_number event shows it as it is: a number
// attached to a deleted endpoint was detached by DeleteEndpoint, with its
// event, never silently by the foreign key.
func TestDeleteEndpointRacesAttach(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a, schema := openTest(t, nil) // the system clock: events of one number are ordered in time
	b := openSchema(t, withSearchPath(testDSN(), schema), nil)
	org, _ := storetest.Subscribed(t, a, "https://hooks.example.com/all", "phone_number.*")
	const nEndpoints, nNumbers = 6, 12
	var eps []string
	for i := range nEndpoints {
		e, err := switchboard.NewEndpoint(switchboard.EndpointInput{Name: fmt.Sprint("ep", i), Type: "webhook", URL: "https://example.com/x"})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.CreateEndpoint(ctx, org.ID, e); err != nil {
			t.Fatal(err)
		}
		eps = append(eps, e.ID)
	}
	var inv []*switchboard.InventoryNumber
	for i := range nNumbers {
		n, err := switchboard.NewInventoryNumber(fmt.Sprintf("+1415555%04d", 300+i), "", "")
		if err != nil {
			t.Fatal(err)
		}
		inv = append(inv, n)
	}
	if _, err := a.AddInventory(ctx, inv); err != nil {
		t.Fatal(err)
	}
	var nums []string
	for i := range nNumbers / 2 {
		pn, err := a.ClaimNumber(ctx, org.ID, switchboard.ClaimRequest{InventoryID: inv[i].ID, EndpointID: &eps[i%nEndpoints]})
		if err != nil {
			t.Fatal(err)
		}
		nums = append(nums, pn.ID)
	}

	var mu sync.Mutex
	var ops []func(db *DB) error
	for i := range nEndpoints {
		ops = append(ops, func(db *DB) error { _, err := db.DeleteEndpoint(ctx, org.ID, eps[i]); return err })
	}
	for i, id := range nums {
		for k := range 3 {
			ops = append(ops, func(db *DB) error {
				_, err := db.UpdatePhoneNumber(ctx, org.ID, id, switchboard.PhoneNumberPatch{
					EndpointID:         switchboard.Optional[string]{Set: true, Value: eps[(i+k+1)%nEndpoints]},
					FallbackEndpointID: switchboard.Optional[string]{Set: true, Value: eps[(i+k+2)%nEndpoints]},
				})
				return err
			})
		}
	}
	for i := nNumbers / 2; i < nNumbers; i++ {
		ops = append(ops, func(db *DB) error {
			pn, err := db.ClaimNumber(ctx, org.ID, switchboard.ClaimRequest{InventoryID: inv[i].ID, EndpointID: &eps[i%nEndpoints]})
			if err == nil {
				mu.Lock()
				nums = append(nums, pn.ID)
				mu.Unlock()
			}
			return err
		})
	}
	errs := make([]error, len(ops))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, op := range ops {
		node := a
		if i%2 == 1 {
			node = b
		}
		wg.Go(func() {
			<-start
			errs[i] = op(node)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil && switchboard.ErrorCode(err) != switchboard.ECodeEndpointNotFound {
			t.Errorf("operation %d: %v", i, err)
		}
	}

	// The latest event of each number, from the subscription's log.
	latest := map[string]switchboard.Event{}
	for offset := 0; ; offset += switchboard.MaxLimit {
		list, _, err := a.ListDeliveries(ctx, org.ID, switchboard.DeliveryFilter{Page: switchboard.Page{Limit: switchboard.MaxLimit, Offset: offset}})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range list {
			full, err := a.FindDelivery(ctx, org.ID, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			var ev switchboard.Event
			var pn struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(full.Payload, &ev); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(ev.Data, &pn); err != nil {
				t.Fatal(err)
			}
			if prev, ok := latest[pn.ID]; !ok || ev.Timestamp.After(prev.Timestamp) {
				latest[pn.ID] = ev
			}
		}
		if len(list) < switchboard.MaxLimit {
			break
		}
	}
	for _, id := range nums {
		pn, err := a.FindPhoneNumber(ctx, org.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		ev, ok := latest[id]
		if !ok {
			t.Errorf("number %s has no event", id)
			continue
		}
		var seen switchboard.PhoneNumber
		if err := json.Unmarshal(ev.Data, &seen); err != nil {
			t.Fatal(err)
		}
		if fmtRef(seen.EndpointID) != fmtRef(pn.EndpointID) || fmtRef(seen.FallbackEndpointID) != fmtRef(pn.FallbackEndpointID) ||
			!seen.UpdatedAt.Equal(pn.UpdatedAt) {
			t.Errorf("number %s is (%s, %s) updated %v; its latest event %s says (%s, %s) updated %v", id,
				fmtRef(pn.EndpointID), fmtRef(pn.FallbackEndpointID), pn.UpdatedAt,
				ev.Type, fmtRef(seen.EndpointID), fmtRef(seen.FallbackEndpointID), seen.UpdatedAt)
		}
	}
}

func fmtRef(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestMigrateGivesKeyScopes: 0007 gives the key scopes to the keys that
// held every scope there was before, and to no other.
func TestMigrateGivesKeyScopes(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := openTest(t, nil)
	org, _, err := db.EnsureOrganization(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	before := switchboard.AllScopes[:len(switchboard.AllScopes)-2]
	var ids []string
	for _, scopes := range [][]switchboard.Scope{before, before[1:]} {
		_, key := switchboard.GenerateAPIKey(true)
		key.OrganizationID, key.Scopes = org.ID, scopes
		if err := db.CreateAPIKey(ctx, &key); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, key.ID)
	}
	// Back to the schema before 0007, then forward again.
	for _, q := range []string{`ALTER TABLE api_keys DROP COLUMN expires_at, DROP COLUMN last_used_at`,
		`DELETE FROM schema_migrations WHERE version = '0007_api_keys'`} {
		if _, err := db.d.pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]switchboard.Scope{switchboard.AllScopes, before[1:]} {
		k, err := db.FindAPIKey(ctx, org.ID, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(k.Scopes, want) {
			t.Errorf("scopes after 0007 = %v, want %v", k.Scopes, want)
		}
	}
}

// TestCallRowWrites: a call's row is written at most twice, through the
// recorder, whatever its number of changes (storetest.RunCallRowWrites).
func TestCallRowWrites(t *testing.T) {
	adminPool(t)
	storetest.RunCallRowWrites(t, func(t *testing.T) switchboard.Driver {
		db, _ := openTest(t, nil)
		return db.d
	})
}
