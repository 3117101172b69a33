package postgres

import (
	"time"

	"github.com/switchboard-voice/switchboard"
)

// codec is how this store keeps times (timestamptz, to the microsecond)
// and lists of strings (text[]): pgx reads and writes both directly.
var codec = switchboard.ColumnCodec{
	Time:        func(t time.Time) any { return ts(t) },
	TimeDest:    func(t *time.Time) any { return t },
	OptTimeDest: func(t **time.Time) any { return t },
	List:        func(l []string) any { return l },
	ListDest:    func(l *[]string) any { return l },
	Scopes:      func(l []string) any { return l },
	ScopesDest:  func(l *[]string) any { return l },
}
