// Command bare is the baseline of the API read-path benchmark: a bare
// net/http server that answers GET with a fixed JSON body. It has no
// routing beyond one path check, no authentication, rate limiting, logging
// or database, so its rate is what net/http plus the loopback network can do
// on the machine; bench/api/run.sh measures the real server against it in
// the same run.
//
//	GET /      one endpoint object (~325 bytes), the baseline of the issue
//	GET /list  a list envelope of 50 such objects (~16 KB), the size of
//	           GET /v1/endpoints over 50 rows, for a like-for-like reference
package main

import (
	"flag"
	"log"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// object has the shape and size of GET /v1/endpoints/{id} for a webhook endpoint.
const object = `{"id":"ep_wkQCdUgFTGnZolMQEtMR","organization_id":"org_NEibViFzQhWNiLRGfi6t",` +
	`"name":"ep 1","type":"webhook","url":"https://example.com/hook","status":"active",` +
	`"secret":"whsec_cEw3IciAwjLcgCdiyShZJ28kiZQ7OVCnih22pAI5Yyc=","ring_timeout":30,` +
	`"created_at":"2026-11-29T00:19:56.943881Z","updated_at":"2026-11-29T00:19:56.943881Z"}`

// fixed returns a handler that answers GET with body as JSON.
func fixed(body string) http.HandlerFunc {
	b := []byte(body + "\n")
	n := strconv.Itoa(len(b))
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", n)
		w.Write(b)
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	flag.Parse()

	one := fixed(object)
	list := fixed(`{"endpoints":[` + strings.Repeat(object+",", 49) + object + `],"limit":50,"offset":0,"total":50}`)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/list" {
			list(w, r)
			return
		}
		one(w, r)
	})
	// The same server settings as `switchboard serve`, so the two differ
	// only in the handler.
	srv := &http.Server{
		Addr:              *addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	log.Printf("bare: listening on %s", *addr)
	log.Fatal(srv.ListenAndServe())
}
