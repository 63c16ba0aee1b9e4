// Package notes is the notes resource: its validation rules, its keyset
// pagination cursor and its PostgreSQL store.
package notes

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"
)

// Field limits, in characters (Unicode code points, as PostgreSQL's char_length counts).
const (
	MaxTitle = 200
	MaxBody  = 10000
)

// Page size limits for List.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// ErrNotFound means no note has the given id.
var ErrNotFound = errors.New("note not found")

// Note is a stored note.
type Note struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// Draft is a note to be created, as the client sent it.
type Draft struct {
	Title *string `json:"title"`
	Body  *string `json:"body"`
}

// BodyText is the body as stored: an absent body is empty.
func (d Draft) BodyText() string {
	if d.Body == nil {
		return ""
	}
	return *d.Body
}

// ValidationError says which field is wrong and why, in words fit for a client.
type ValidationError struct {
	Field, Reason string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

// Validate checks the draft against the same limits the table's CHECK
// constraints enforce, so a client mistake never reaches the database as an
// error. It returns a *ValidationError.
func (d Draft) Validate() error {
	if d.Title == nil {
		return &ValidationError{"title", "is required"}
	}
	if err := checkText("title", *d.Title, MaxTitle); err != nil {
		return err
	}
	if strings.TrimSpace(*d.Title) == "" {
		return &ValidationError{"title", "must not be blank"}
	}
	if d.Body != nil {
		return checkText("body", *d.Body, MaxBody)
	}
	return nil
}

func checkText(field, s string, max int) error {
	// PostgreSQL text cannot hold NUL; rejecting it here keeps it a 4xx.
	if strings.ContainsRune(s, 0) {
		return &ValidationError{field, "must not contain NUL characters"}
	}
	if !utf8.ValidString(s) {
		return &ValidationError{field, "must be valid UTF-8"}
	}
	if n := utf8.RuneCountInString(s); n > max {
		return &ValidationError{field, fmt.Sprintf("must be at most %d characters, got %d", max, n)}
	}
	return nil
}

var errInvalidID = errors.New("invalid id")

// ParseID parses the canonical 8-4-4-4-12 hex form of a UUID.
func ParseID(s string) (pgtype.UUID, error) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return pgtype.UUID{}, errInvalidID
	}
	var id pgtype.UUID
	j := 0
	for i := 0; i < 36; i += 2 {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			i++ // the dash
		}
		hi, ok1 := fromHex(s[i])
		lo, ok2 := fromHex(s[i+1])
		if !ok1 || !ok2 {
			return pgtype.UUID{}, errInvalidID
		}
		id.Bytes[j] = hi<<4 | lo
		j++
	}
	id.Valid = true
	return id, nil
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Cursor marks the last note of a page; the next page starts after it.
// Clients get it opaque (base64url) and pass it back unchanged.
type Cursor struct {
	CreatedAt time.Time
	ID        pgtype.UUID
}

// String encodes the cursor for a client.
func (c Cursor) String() string {
	raw := strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + "." + c.ID.String()
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// Cursor timestamps lie in the years 1 to 9999: a note outside them cannot
// be rendered (JSON times are RFC 3339), so the API never issues such a
// cursor, and PostgreSQL rejects some of them (before 4714 BC) outright.
var (
	minCursorTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxCursorTime = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
)

// ParseCursor decodes a cursor made by Cursor.String. Anything else is an
// error, including another spelling of the same cursor and a timestamp the
// API cannot have issued, so that no client input reaches the database as
// a value it rejects.
func ParseCursor(s string) (Cursor, error) {
	bad := errors.New("invalid cursor")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, bad
	}
	micros, id, ok := strings.Cut(string(raw), ".")
	if !ok {
		return Cursor{}, bad
	}
	us, err := strconv.ParseInt(micros, 10, 64)
	if err != nil {
		return Cursor{}, bad
	}
	uid, err := ParseID(id)
	if err != nil {
		return Cursor{}, bad
	}
	c := Cursor{CreatedAt: time.UnixMicro(us).UTC(), ID: uid}
	if c.CreatedAt.Before(minCursorTime) || c.CreatedAt.After(maxCursorTime) || c.String() != s {
		return Cursor{}, bad
	}
	return c, nil
}
