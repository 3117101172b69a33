// Command provision is the set-up step of bench/sip/run.sh: for each number
// of a list (already in the inventory) it creates one agent endpoint,
// provider "sip", whose URL is one of the SIPp agents, and claims the
// number with that endpoint, over C keep-alive connections. Number i goes
// to agent (OFFSET + i) mod the number of agents, so every agent gets the
// same share of the numbers; OFFSET is the list's place in a longer one
// split between organisations (run.sh, NUMBERS_PER_ORG).
//
//	provision -api http://127.0.0.1:8080 -key kros_live_… -numbers numbers.txt \
//	    -agents 127.0.51.1:5090,127.0.51.2:5090 -c 8 [-offset 1000]
//
// numbers.txt holds one E.164 number a line. It prints one line:
// "numbers=N endpoints=N claimed=N seconds=S" and exits 1 if any request
// failed.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	api := flag.String("api", "", "API base URL on a loopback address (http://127.0.0.1:…)")
	key := flag.String("key", "", "API key")
	numbersFile := flag.String("numbers", "", "file with one E.164 number a line")
	agents := flag.String("agents", "", "comma-separated host:port of the SIPp agents")
	c := flag.Int("c", 8, "connections")
	offset := flag.Int("offset", 0, "index of the list's first number in the whole list (for the agent of each number)")
	limit := flag.Duration("limit", 120*time.Second, "give up after this long")
	flag.Parse()
	if !strings.HasPrefix(*api, "http://127.") || *key == "" || *numbersFile == "" || *agents == "" || *c <= 0 || *offset < 0 {
		log.Fatal("provision: -api http://127.x.x.x:… (loopback), -key, -numbers, -agents, a positive -c and an -offset >= 0 are required")
	}
	numbers, err := readLines(*numbersFile)
	if err != nil {
		log.Fatalf("provision: %v", err)
	}
	hosts := strings.Split(*agents, ",")

	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: *c, MaxConnsPerHost: *c},
	}
	ctx, cancel := context.WithTimeout(context.Background(), *limit)
	defer cancel()

	post := func(path string, body any, out any) error {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, *api+path, bytes.NewReader(b))
		if err != nil {
			return err
		}
		req.Header.Set("x-api-key", *key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, bytes.TrimSpace(data))
		}
		return json.Unmarshal(data, out)
	}

	var next, endpoints, claimed atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range *c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(numbers) || ctx.Err() != nil {
					return
				}
				err := func() error {
					var ep struct {
						ID string `json:"id"`
					}
					if err := post("/v1/endpoints", map[string]any{
						"name":            fmt.Sprintf("bench agent %d", i),
						"type":            "agent",
						"provider_config": map[string]string{"provider": "sip"},
						"url":             "sip:agent@" + hosts[(*offset+i)%len(hosts)],
					}, &ep); err != nil {
						return err
					}
					if !strings.HasPrefix(ep.ID, "ep_") {
						return fmt.Errorf("POST /v1/endpoints: no endpoint id in the answer")
					}
					endpoints.Add(1)
					var pn struct {
						EndpointID string `json:"endpoint_id"`
					}
					if err := post("/v1/phone-numbers", map[string]any{"number": numbers[i], "endpoint_id": ep.ID}, &pn); err != nil {
						return fmt.Errorf("claim %s: %w", numbers[i], err)
					}
					if pn.EndpointID != ep.ID {
						return fmt.Errorf("claim %s: endpoint_id %q, want %q", numbers[i], pn.EndpointID, ep.ID)
					}
					claimed.Add(1)
					return nil
				}()
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	fmt.Printf("numbers=%d endpoints=%d claimed=%d seconds=%.2f\n",
		len(numbers), endpoints.Load(), claimed.Load(), time.Since(start).Seconds())
	if firstErr != nil {
		log.Fatalf("provision: %v", firstErr)
	}
	if claimed.Load() != int64(len(numbers)) {
		log.Fatalf("provision: claimed %d of %d numbers (%v)", claimed.Load(), len(numbers), ctx.Err())
	}
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			out = append(out, s)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no numbers", path)
	}
	return out, nil
}
