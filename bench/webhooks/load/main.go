// Command load is the event generator of bench/webhooks/run.sh: it creates
// N webhook-type endpoints through POST /v1/endpoints over C keep-alive
// connections. Each create commits one endpoint.created event, which the
// server fans out to every matching subscription as a durable delivery.
// With several nodes on one database, -api lists them all, comma-separated,
// and the connections are spread over them (connection i goes to node
// i mod the number of nodes), as a load balancer in front of them would.
//
//	load -api http://127.0.0.1:8080 -key kros_live_… -n 1000 -c 8
//	load -api http://127.0.0.1:8080,http://127.0.0.1:8081 -key kros_live_… -n 1000 -c 8
//
// It prints one line: "created=N failed=F first_ns=T0 last_ns=T1 seconds=S rate=R cpu_ms=M"
// (T0 is when the first request was sent, T1 when the last answer came).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	api := flag.String("api", "", "API base URL (http://127.0.0.1:…), or several, comma-separated")
	key := flag.String("key", "", "API key")
	n := flag.Int("n", 1000, "endpoints to create")
	c := flag.Int("c", 8, "connections")
	hook := flag.String("hook", "https://127.0.0.1:9/hook", "the endpoints' webhook URL (never called: endpoint.created goes to subscriptions)")
	limit := flag.Duration("limit", 120*time.Second, "give up after this long")
	flag.Parse()
	apis := strings.Split(*api, ",")
	for _, a := range apis {
		if !strings.HasPrefix(a, "http://127.0.0.1:") {
			log.Fatalf("load: -api %q: every URL must be http://127.0.0.1:…", a)
		}
	}
	if *key == "" || *n <= 0 || *c <= 0 {
		log.Fatal("load: -api http://127.0.0.1:…, -key, a positive -n and a positive -c are required")
	}
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: *c, MaxConnsPerHost: *c},
	}
	ctx, cancel := context.WithTimeout(context.Background(), *limit)
	defer cancel()

	var next, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for conn := range *c {
		base := apis[conn%len(apis)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1)
				if i > int64(*n) {
					return
				}
				b := `{"name":"bench endpoint ` + strconv.FormatInt(i, 10) + `","type":"webhook","url":"` + *hook + `"}`
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/endpoints", bytes.NewReader([]byte(b)))
				if err != nil {
					log.Fatalf("load: %v", err)
				}
				req.Header.Set("x-api-key", *key)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%d %s", resp.StatusCode, msg))
				}
			}
		}()
	}
	wg.Wait()
	end := time.Now()
	done := min(next.Load(), int64(*n))
	fmt.Printf("created=%d failed=%d first_ns=%d last_ns=%d seconds=%.3f rate=%.1f cpu_ms=%d\n",
		done-failed.Load(), failed.Load(), start.UnixNano(), end.UnixNano(),
		end.Sub(start).Seconds(), float64(done-failed.Load())/end.Sub(start).Seconds(), cpuMS())
	if e := firstErr.Load(); e != nil {
		fmt.Fprintf(os.Stderr, "load: first failure: %v\n", e)
	}
	if failed.Load() > 0 || ctx.Err() != nil {
		os.Exit(1)
	}
}

// cpuMS is the user + system CPU time this process has used, in ms.
func cpuMS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return -1
	}
	return (ru.Utime.Nano() + ru.Stime.Nano()) / 1e6
}
