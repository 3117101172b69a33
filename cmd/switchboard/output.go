package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// column is one column of a table: its header and how to print an item's
// cell.
type column[T any] struct {
	header string
	cell   func(*T) string
}

// col is a column.
func col[T any](header string, cell func(*T) string) column[T] {
	return column[T]{header, cell}
}

// writeJSON writes v as one indented JSON document: what the API answered,
// for jq and scripts.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeTable writes items as a table with cols, aligned by tabwriter.
// Cells have their tabs and newlines replaced so a value cannot break the
// layout.
func writeTable[T any](w io.Writer, cols []column[T], items []*T) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	hs := make([]string, len(cols))
	for i, c := range cols {
		hs[i] = c.header
	}
	fmt.Fprintln(tw, strings.Join(hs, "\t"))
	for _, it := range items {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = cleanCell(c.cell(it))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// printList writes a list in the chosen format: a JSON array (never
// null) or a table.
func printList[T any](c *cli, cols []column[T], items []*T) error {
	if c.output == outputJSON {
		if items == nil {
			items = []*T{}
		}
		return writeJSON(c.stdout, items)
	}
	return writeTable(c.stdout, cols, items)
}

// printOne writes one object: as JSON, or as a one-row table.
func printOne[T any](c *cli, cols []column[T], item *T) error {
	if c.output == outputJSON {
		return writeJSON(c.stdout, item)
	}
	return writeTable(c.stdout, cols, []*T{item})
}

// printValue writes an answer that has no table of its own (a deletion,
// a count): JSON either way, since its fields are few and named.
func printValue(c *cli, v any) error { return writeJSON(c.stdout, v) }

func cleanCell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}

// Cell formatters shared by the tables.

func cellTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func cellTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return cellTime(*t)
}

func cellStr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func cellBool(b bool) string { return strconv.FormatBool(b) }

func cellInt(n int) string { return strconv.Itoa(n) }

func cellList(l []string) string { return strings.Join(l, ",") }
