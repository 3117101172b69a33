package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/switchboard-voice/switchboard"
)

// codec is how this store keeps times (INTEGER microseconds since the
// epoch, UTC) and lists of strings (JSON text).
var codec = switchboard.ColumnCodec{
	Time:        func(t time.Time) any { return micros(t) },
	TimeDest:    func(t *time.Time) any { return (*microsTime)(t) },
	OptTimeDest: func(t **time.Time) any { return optMicrosTime{t} },
	List: func(l []string) any {
		b, _ := json.Marshal(l) // a []string always encodes
		return string(b)
	},
	ListDest: func(l *[]string) any { return (*jsonList)(l) },
	// API key scopes stay comma-separated, as 0001_init.sql keeps them.
	Scopes:     func(l []string) any { return strings.Join(l, ",") },
	ScopesDest: func(l *[]string) any { return (*commaList)(l) },
}

// microsTime scans an INTEGER time column.
type microsTime time.Time

func (m *microsTime) Scan(src any) error {
	us, ok := src.(int64)
	if !ok {
		return errors.New("time column is not an integer")
	}
	*m = microsTime(fromMicros(us))
	return nil
}

// optMicrosTime scans an INTEGER time column that may be NULL.
type optMicrosTime struct{ p **time.Time }

func (m optMicrosTime) Scan(src any) error {
	if src == nil {
		*m.p = nil
		return nil
	}
	var t time.Time
	if err := (*microsTime)(&t).Scan(src); err != nil {
		return err
	}
	*m.p = &t
	return nil
}

// jsonList scans a JSON array of strings.
type jsonList []string

func (l *jsonList) Scan(src any) error {
	switch v := src.(type) {
	case string:
		return json.Unmarshal([]byte(v), (*[]string)(l))
	case []byte:
		return json.Unmarshal(v, (*[]string)(l))
	}
	return errors.New("list column is not text")
}

// commaList scans a comma-separated list of strings.
type commaList []string

func (l *commaList) Scan(src any) error {
	var text string
	switch v := src.(type) {
	case string:
		text = v
	case []byte:
		text = string(v)
	default:
		return errors.New("list column is not text")
	}
	*l = nil
	for s := range strings.SplitSeq(text, ",") {
		if s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// timeOrNil reads a nullable time column.
func timeOrNil(us sql.NullInt64) *time.Time {
	if !us.Valid {
		return nil
	}
	t := fromMicros(us.Int64)
	return &t
}
