package postgres

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-voice/switchboard"
	"github.com/switchboard-voice/switchboard/storetest"
)

// BenchmarkClaimFinish measures the queue's cost per delivery on
// PostgreSQL with durable commits (the server's synchronous_commit, not the
// test suite's off). b.N deliveries are queued as bench/webhooks queues
// them (endpoints created, each endpoint.created fanned out to 20 "*"
// subscriptions), then drained by 1 and by 2 workers (one per node), each
// claiming up to 128 at a time and finishing each batch as delivered, as
// webhook.Worker does at its default concurrency.
//
// ns/delivery is the whole drain; claim-ns and finish-ns split the
// workers' time between the two calls (summed over the workers, so with two
// they can exceed ns/delivery). On a busy machine the wall times swing; the
// CPU figures are steadier: pg-cpu-ns is the CPU of the server processes
// serving the benchmark's connections (read from /proc, so only when the
// server runs on this machine), go-cpu-ns this process's. wal-syncs counts
// the server's WAL flushes to disk (pg_stat_wal: the whole server's, so
// other work on it counts too).
func BenchmarkClaimFinish(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) { benchClaimFinish(b, workers) })
	}
}

func benchClaimFinish(b *testing.B, workers int) {
	const subs, batch = 20, 128
	ctx := b.Context()
	schema := freshSchema(b)
	if !strings.HasPrefix(testDSN(), "postgres://") && !strings.HasPrefix(testDSN(), "postgresql://") {
		b.Skip("BenchmarkClaimFinish needs SWITCHBOARD_TEST_POSTGRES as a postgres:// URL")
	}
	u, err := url.Parse(testDSN())
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("schema", schema)
	q.Set("pool_max_conns", "16")
	q.Set("application_name", "claimbench_"+schema) // finds the server processes to measure
	u.RawQuery = q.Encode()
	db := openSchema(b, u.String(), nil)
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	org, _, err := db.EnsureOrganization(ctx, "acme")
	if err != nil {
		b.Fatal(err)
	}
	for i := range subs {
		w, err := switchboard.NewWebhook(switchboard.WebhookInput{URL: fmt.Sprintf("https://example.com/in/%d", i), Events: []string{"*"}})
		if err != nil {
			b.Fatal(err)
		}
		if err := db.CreateWebhook(ctx, org.ID, w); err != nil {
			b.Fatal(err)
		}
	}
	events := (b.N + subs - 1) / subs
	// Open the pool's connections before measuring, so that the same server
	// processes serve the queueing and the drain.
	conns := make([]*pgxpool.Conn, 0, 16)
	for range 16 {
		c, err := db.d.pool.Acquire(ctx)
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Release()
	}
	emitPG0, emitWAL0 := backendCPU(b, db, "claimbench_"+schema), walBytes(b, db)
	var emit sync.WaitGroup
	var made atomic.Int64
	for range 8 { // connections, as bench/webhooks/load uses
		emit.Add(1)
		go func() {
			defer emit.Done()
			for n := made.Add(1); n <= int64(events); n = made.Add(1) {
				e, err := switchboard.NewEndpoint(switchboard.EndpointInput{Name: fmt.Sprint("bench ", n), Type: switchboard.EndpointWebhook, URL: "https://127.0.0.1:9/hook"})
				if err == nil {
					err = db.CreateEndpoint(ctx, org.ID, e)
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	emit.Wait()
	total := events * subs
	emitPG1, emitWAL1 := backendCPU(b, db, "claimbench_"+schema), walBytes(b, db)

	upd0, hot0 := tupleUpdates(b, db, schema, "deliveries", 0)
	wal0 := walBytes(b, db)
	pg0, go0, sync0 := backendCPU(b, db, "claimbench_"+schema), selfCPU(), walSyncs(b, db)
	all0 := allPostgresCPU()
	b.ResetTimer()
	var mu sync.Mutex
	var claiming, finishing time.Duration
	var wg sync.WaitGroup
	for w := range workers {
		owner := fmt.Sprintf("bench-%d", w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var claimT, finishT time.Duration
			defer func() {
				mu.Lock()
				claiming += claimT
				finishing += finishT
				mu.Unlock()
			}()
			results := make([]switchboard.DeliveryResult, 0, batch)
			for {
				start := time.Now()
				jobs, err := db.ClaimDeliveries(ctx, owner, batch, time.Minute)
				claimT += time.Since(start)
				if err != nil {
					b.Error(err)
					return
				}
				if len(jobs) == 0 {
					return // drained (the other worker holds the rest, if any)
				}
				results = storetest.AllDelivered(results, jobs, time.Now())
				start = time.Now()
				if err := db.FinishDeliveries(ctx, owner, results); err != nil {
					b.Error(err)
					return
				}
				finishT += time.Since(start)
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	pg1, go1, sync1 := backendCPU(b, db, "claimbench_"+schema), selfCPU(), walSyncs(b, db)
	all1 := allPostgresCPU()
	wal1 := walBytes(b, db)
	// Every delivery is updated twice: claimed, then finished.
	if upd1, hot1 := tupleUpdates(b, db, schema, "deliveries", upd0+int64(2*total)); upd1 > upd0 {
		b.ReportMetric(float64(hot1-hot0)/float64(upd1-upd0)*100, "hot-upd-%")
	}
	b.ReportMetric(float64(wal1-wal0)/float64(total), "wal-B/delivery")
	if all0 >= 0 && all1 >= 0 {
		// Every process named postgres: the background writers too, and
		// whatever else uses the server meanwhile.
		b.ReportMetric(float64(all1-all0)/float64(total), "pg-all-cpu-ns/delivery")
	}
	// emit- is the queueing before the drain, not timed: the endpoint
	// creates, each with its event and deliveries.
	if emitPG0 >= 0 && emitPG1 >= 0 {
		b.ReportMetric(float64(emitPG1-emitPG0)/float64(total), "emit-pg-cpu-ns/delivery")
	}
	b.ReportMetric(float64(emitWAL1-emitWAL0)/float64(total), "emit-wal-B/delivery")
	b.ReportMetric(float64(sync1-sync0)/float64(total)*1000, "wal-syncs/1000-deliveries")
	if pg0 >= 0 && pg1 >= 0 {
		b.ReportMetric(float64(pg1-pg0)/float64(total), "pg-cpu-ns/delivery")
	}
	b.ReportMetric(float64(go1-go0)/float64(total), "go-cpu-ns/delivery")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/delivery")
	b.ReportMetric(float64(claiming.Nanoseconds())/float64(total), "claim-ns/delivery")
	b.ReportMetric(float64(finishing.Nanoseconds())/float64(total), "finish-ns/delivery")
	if n, err := db.CountPendingDeliveries(ctx); err != nil || n != 0 {
		b.Fatalf("%d deliveries still pending, %v", n, err)
	}
}

// backendCPU returns the CPU time, in ns, that the server processes of the
// connections named app have used, read from /proc; -1 when they cannot be
// read (a server on another machine). Every pool connection is opened
// before the drain (the emit loop uses more than the workers), so the same
// processes serve the whole drain.
func backendCPU(b *testing.B, db *DB, app string) int64 {
	rows, err := db.d.pool.Query(b.Context(), `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, app)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var total int64
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			b.Fatal(err)
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return -1
		}
		// utime and stime are fields 14 and 15, counted after the command
		// name, which is in parentheses and may hold spaces.
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		total += (ut + st) * int64(time.Second) / clockTicks
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return total
}

// allPostgresCPU returns the CPU time, in ns, used so far by every process
// named postgres on this machine; -1 when /proc cannot be read.
func allPostgresCPU() int64 {
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return -1
	}
	var total int64
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		s := string(stat)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open || s[open+1:end] != "postgres" {
			continue
		}
		f := strings.Fields(s[end+1:])
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		total += (ut + st) * int64(time.Second) / clockTicks
	}
	return total
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// selfCPU returns the user + system CPU time this process has used, in ns.
func selfCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// walSyncs returns how many times the server has flushed its WAL to disk.
func walSyncs(b *testing.B, db *DB) int64 {
	var n int64
	if err := db.d.pool.QueryRow(b.Context(), `SELECT wal_sync FROM pg_stat_wal`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// tupleUpdates returns the updates, and the HOT ones among them, that the
// cumulative statistics count for the table of the schema, waiting (up to
// 15 s) until they count at least want: a backend reports its counts when
// its transaction ends at most once a second, and when idle after a delay.
func tupleUpdates(b *testing.B, db *DB, schema, table string, want int64) (upd, hot int64) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := db.d.pool.QueryRow(b.Context(), `SELECT pg_stat_clear_snapshot(), n_tup_upd, n_tup_hot_upd
			FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = $2`, schema, table).Scan(nil, &upd, &hot)
		if err != nil {
			b.Fatal(err)
		}
		if upd >= want || time.Now().After(deadline) {
			return upd, hot
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// walBytes returns how many bytes of WAL the server has written.
func walBytes(b *testing.B, db *DB) int64 {
	var n int64
	if err := db.d.pool.QueryRow(b.Context(), `SELECT wal_bytes::bigint FROM pg_stat_wal`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}
