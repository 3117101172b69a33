package main

import (
	"flag"
	"fmt"
	"os"
	"testing"
)

// TestMain runs the end-to-end suite and, when the whole suite ran and
// passed, checks that every operation in the OpenAPI document answered
// 2xx at least once: a route without a test fails the run.
func TestMain(m *testing.M) {
	code := m.Run()
	stopBrowser()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && validator != nil {
		if missing := validator.Unexercised(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: documented operations never exercised with a 2xx by the e2e tests: %v\n", missing)
			code = 1
		}
	}
	os.Exit(code)
}
