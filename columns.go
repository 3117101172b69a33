package switchboard

import (
	"encoding/json"
	"fmt"
	"time"
)

// The stored form of the domain types is declared once, here and beside
// each type (EndpointColumns, WebhookColumns, DeliveryColumns …), so the
// stores share it; a ColumnCodec carries what differs between databases.

// ColumnCodec is how one store keeps the column types whose form differs
// between databases: times (SQLite: integer microseconds; PostgreSQL:
// timestamptz) and lists of strings (SQLite: JSON text; PostgreSQL: text[]).
type ColumnCodec struct {
	// Time is the value of a time column.
	Time func(time.Time) any
	// TimeDest and OptTimeDest are the scan destinations of a time column
	// and of one that may be NULL.
	TimeDest    func(*time.Time) any
	OptTimeDest func(**time.Time) any
	// List and ListDest are the value and scan destination of a list of
	// strings.
	List     func([]string) any
	ListDest func(*[]string) any
}

// optTime is the value of a time column that may be NULL.
func (c *ColumnCodec) optTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return c.Time(*t)
}

// headersColumn is the value of a column of extra SIP headers: their JSON
// object as text, or NULL (nil) when there are none.
func headersColumn(h map[string]string) (any, error) {
	if h == nil {
		return nil, nil
	}
	b, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("headers: %w", err)
	}
	return string(b), nil
}

// EventEnvelope returns the payload of a delivery of the event id, of type
// typ, created at with the JSON data: the envelope exactly as it is signed
// and sent. Listing a delivery and claiming it both build it here, so the
// log shows the bytes the receiver got.
func EventEnvelope(id, typ string, at time.Time, data string) (json.RawMessage, error) {
	b, err := json.Marshal(&Event{ID: id, Type: typ, Timestamp: at.UTC(), Data: json.RawMessage(data)})
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", id, err)
	}
	return b, nil
}

// Scanner is one row to read: a *sql.Row or *sql.Rows, a pgx.Row or
// pgx.Rows.
type Scanner interface{ Scan(dest ...any) error }

// Rows is what *sql.Rows and pgx.Rows have in common, Close aside.
type Rows interface {
	Scanner
	Next() bool
	Err() error
}

// CollectRows reads every row of rows with scan. The caller closes rows.
func CollectRows[T any](rows Rows, scan func(Scanner) (T, error)) ([]T, error) {
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
