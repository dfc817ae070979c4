package store

import (
	"errors"
	"strconv"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5/pgconn"
)

// dialect holds what differs between SQLite and PostgreSQL, so that the SQL elsewhere stays one
// text for both. Everything dialect-specific lives here and in the migrations folders.
type dialect struct {
	name string // "sqlite" or "postgres", as /api/status reports it
	// migrations is the embedded folder with this dialect's migrations (same versions for both).
	migrations string
	// greatest is the two-argument maximum: SQLite's scalar max(), PostgreSQL's GREATEST().
	greatest string
	// skipLocked ends a claim's row selection: PostgreSQL lets concurrent replicas pass over
	// rows another transaction is claiming; SQLite has one writer, so nothing is ever locked.
	skipLocked string
	// forUpdate ends a SELECT that locks its rows until the transaction ends (PostgreSQL); SQLite
	// has one writer, so its transactions are already serialised.
	forUpdate string
	// search returns the WHERE fragment that matches assets by prompt words, and its argument;
	// ok is false when the text has no word at all (nothing can match).
	search func(text string, arg int) (fragment string, value string, ok bool)
	// collectionIDs is a page row's collection ids, comma-joined (NULL for none); the caller
	// sorts them. No ORDER BY inside the aggregate: SQLite would open a sorter for every row.
	collectionIDs string
	// searchWindow > 0 pages a prompt search in two steps (Store.searchPage): PostgreSQL's
	// planner cannot estimate a prefix term, so it walks a big library's whole date index for a
	// rare word (0.6 s at 100,000 assets) or sorts every match of a common one.
	searchWindow int
}

func collectionIDsOf(agg string) string {
	return `(SELECT ` + agg + `(ca.collection_id, ',') FROM collection_assets ca WHERE ca.asset_id = assets.id)`
}

var sqliteDialect = dialect{
	name:       "sqlite",
	migrations: "migrations/sqlite",
	greatest:   "max",
	skipLocked: "",
	forUpdate:  "",
	search: func(text string, arg int) (string, string, bool) {
		m := FTSQuery(text)
		return "seq IN (SELECT rowid FROM assets_fts WHERE assets_fts MATCH $" + strconv.Itoa(arg) + ")", m, m != ""
	},
	collectionIDs: collectionIDsOf("group_concat"),
}

var postgresDialect = dialect{
	name:       "postgres",
	migrations: "migrations/postgres",
	greatest:   "GREATEST",
	skipLocked: " FOR UPDATE SKIP LOCKED",
	forUpdate:  " FOR UPDATE",
	search: func(text string, arg int) (string, string, bool) {
		m := TSQuery(text)
		return "search @@ to_tsquery('simple', $" + strconv.Itoa(arg) + ")", m, m != ""
	},
	collectionIDs: collectionIDsOf("string_agg"),
	searchWindow:  5000,
}

// isUnique reports whether err is a unique-constraint violation, in either dialect.
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505" // unique_violation
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// isDeadlock reports whether PostgreSQL aborted the transaction to break a deadlock; it was
// rolled back whole and may simply run again.
func isDeadlock(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "40P01" // deadlock_detected
}

// searchWords splits free text into at most 16 words of at most 64 bytes, letters and digits only,
// so no query syntax a user types is ever interpreted.
func searchWords(text string) []string {
	words := strings.FieldsFunc(text, func(r rune) bool { return !isWordRune(r) })
	if len(words) > 16 {
		words = words[:16]
	}
	for i, w := range words {
		if len(w) > 64 {
			words[i] = truncateUTF8(w, 64)
		}
	}
	return words
}

func truncateUTF8(s string, n int) string {
	for n > 0 && n < len(s) && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// FTSQuery turns free text into a safe FTS5 query: each word becomes a quoted term. Only the last
// word matches as a prefix (search-as-you-type); whole words read far smaller doclists.
func FTSQuery(text string) string {
	words := searchWords(text)
	terms := make([]string, 0, len(words))
	for i, w := range words {
		t := `"` + w + `"`
		if i == len(words)-1 {
			t += "*"
		}
		terms = append(terms, t)
	}
	return strings.Join(terms, " ")
}

// TSQuery is FTSQuery for PostgreSQL's to_tsquery('simple', …): quoted lexemes joined by &, the
// last one a prefix. Words are lower-cased as the 'simple' configuration indexes them.
func TSQuery(text string) string {
	words := searchWords(text)
	terms := make([]string, 0, len(words))
	for i, w := range words {
		t := "'" + strings.ToLower(w) + "'"
		if i == len(words)-1 {
			t += ":*"
		}
		terms = append(terms, t)
	}
	return strings.Join(terms, " & ")
}
