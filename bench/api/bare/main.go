// Command bare is the baseline of the API read-path benchmark: a bare
// net/http server that answers every GET with one fixed JSON body. It has no
// routing, authentication, rate limiting, logging or database, so its rate
// is what net/http plus the loopback network can do on the machine for a
// body of that size; bench/api/run.sh measures the real server against it
// in the same run.
//
// The ratio of a route to the bare server measures our overhead per request
// only if both send the same number of bytes, so run.sh captures the real
// responses once with curl and starts one bare server per body:
//
//	bare -addr 127.0.0.1:8090 -body-file get.json    # same size as GET /v1/endpoints/{id}
//	bare -addr 127.0.0.1:8091 -body-file list.json   # same size as GET /v1/endpoints
//
// Without -body-file (or -body-bytes) it serves one 326-byte endpoint object.
package main

import (
	"flag"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// object has the shape and size of GET /v1/endpoints/{id} for a webhook
// endpoint, newline included, as the real server writes it.
const object = `{"id":"ep_wkQCdUgFTGnZolMQEtMR","organization_id":"org_NEibViFzQhWNiLRGfi6t",` +
	`"name":"ep 1","type":"webhook","url":"https://example.com/hook","status":"active",` +
	`"secret":"whsec_cEw3IciAwjLcgCdiyShZJ28kiZQ7OVCnih22pAI5Yyc=","ring_timeout":30,` +
	`"created_at":"2026-11-29T00:19:56.943881Z","updated_at":"2026-11-29T00:19:56.943881Z"}` + "\n"

// fixed returns a handler that answers GET with body, sent as it is, as
// JSON with a Content-Length (the real server sets one too).
func fixed(body []byte) http.HandlerFunc {
	n := []string{strconv.Itoa(len(body))}
	ct := []string{"application/json"}
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h["Content-Type"] = ct
		h["Content-Length"] = n
		w.Write(body)
	}
}

// padded returns a JSON body of exactly n bytes (n >= 16), newline included:
// an object with one string of filler.
func padded(n int) []byte {
	const head, tail = `{"filler":"`, "\"}\n"
	if n < len(head)+len(tail) {
		n = len(head) + len(tail)
	}
	return []byte(head + strings.Repeat("x", n-len(head)-len(tail)) + tail)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	file := flag.String("body-file", "", "serve this file's bytes as the body (e.g. a captured API response)")
	size := flag.Int("body-bytes", 0, "serve a filler JSON body of exactly this many bytes (ignored with -body-file)")
	flag.Parse()

	body := []byte(object)
	switch {
	case *file != "":
		b, err := os.ReadFile(*file)
		if err != nil {
			log.Fatalf("bare: %v", err)
		}
		body = b
	case *size > 0:
		body = padded(*size)
	}
	// The same server settings as `switchboard serve`, so the two differ
	// only in the handler.
	srv := &http.Server{
		Addr:              *addr,
		Handler:           fixed(body),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	log.Printf("bare: listening on %s, %d-byte body", *addr, len(body))
	log.Fatal(srv.ListenAndServe())
}
