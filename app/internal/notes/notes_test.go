package notes

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

func ptr(s string) *string { return &s }

func TestDraftValidation(t *testing.T) {
	for name, tc := range map[string]struct {
		d     Draft
		field string // "" = valid
	}{
		"title only":             {Draft{Title: ptr("a")}, ""},
		"200 multibyte chars":    {Draft{Title: ptr(strings.Repeat("é", MaxTitle)), Body: ptr(strings.Repeat("ü", MaxBody))}, ""},
		"empty body":             {Draft{Title: ptr("t"), Body: ptr("")}, ""},
		"missing title":          {Draft{Body: ptr("b")}, "title"},
		"empty title":            {Draft{Title: ptr("")}, "title"},
		"blank title":            {Draft{Title: ptr(" \t\n")}, "title"},
		"title too long":         {Draft{Title: ptr(strings.Repeat("a", MaxTitle+1))}, "title"},
		"body too long":          {Draft{Title: ptr("t"), Body: ptr(strings.Repeat("a", MaxBody+1))}, "body"},
		"NUL in title":           {Draft{Title: ptr("a\x00b")}, "title"},
		"NUL in body":            {Draft{Title: ptr("a"), Body: ptr("\x00")}, "body"},
		"invalid UTF-8 in title": {Draft{Title: ptr("a\xffb")}, "title"},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.d.Validate()
			var ve *ValidationError
			switch {
			case tc.field == "" && err != nil:
				t.Errorf("want valid, got %v", err)
			case tc.field != "" && (!errors.As(err, &ve) || ve.Field != tc.field):
				t.Errorf("want error on %s, got %v", tc.field, err)
			}
		})
	}
}

func TestParseIDAcceptsOnlyCanonicalUUIDs(t *testing.T) {
	if id, err := ParseID("0b7c5a3e-2f5d-4c1a-9a8e-3d2f1b0c9e8d"); err != nil || id.String() != "0b7c5a3e-2f5d-4c1a-9a8e-3d2f1b0c9e8d" {
		t.Errorf("valid id: %v %v", id, err)
	}
	for _, bad := range []string{"", "1", "0b7c5a3e2f5d4c1a9a8e3d2f1b0c9e8d", "0b7c5a3e-2f5d-4c1a-9a8e-3d2f1b0c9e8",
		"0b7c5a3eX2f5d-4c1a-9a8e-3d2f1b0c9e8d", "zb7c5a3e-2f5d-4c1a-9a8e-3d2f1b0c9e8d", "0b7c5a3e-2f5d-4c1a-9a8e-3d2f1b0c9e8d0"} {
		if _, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) accepted", bad)
		}
	}
}

func TestParseIDRoundTripsEveryByte(t *testing.T) {
	for b := range 256 {
		var want pgtype.UUID
		for i := range want.Bytes {
			want.Bytes[i] = byte(b + i)
		}
		want.Valid = true
		for _, s := range []string{want.String(), strings.ToUpper(want.String())} {
			if got, err := ParseID(s); err != nil || got != want {
				t.Fatalf("ParseID(%q) = %v, %v", s, got, err)
			}
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	id, _ := ParseID("0b7c5a3e-2f5d-4c1a-9a8e-3d2f1b0c9e8d")
	c := Cursor{CreatedAt: time.Date(2026, 11, 27, 10, 0, 0, 123456000, time.UTC), ID: id}
	got, err := ParseCursor(c.String())
	if err != nil || !got.CreatedAt.Equal(c.CreatedAt) || got.ID != c.ID {
		t.Errorf("round trip: %+v, %v", got, err)
	}
	if strings.ContainsAny(c.String(), "+/=") {
		t.Errorf("cursor %q is not URL-safe", c.String())
	}
}

func TestParseCursorRejectsJunk(t *testing.T) {
	for _, bad := range []string{"x", "!!!", "MTIz", "YWJjLjBiN2M1YTNlLTJmNWQtNGMxYS05YThlLTNkMmYxYjBjOWU4ZA",
		"MTIzLm5vdC1hLXV1aWQ"} {
		if _, err := ParseCursor(bad); err == nil {
			t.Errorf("ParseCursor(%q) accepted", bad)
		}
	}
}

// cursorOf encodes raw the way Cursor.String does, for crafted cursors.
func cursorOf(raw string) string { return base64.RawURLEncoding.EncodeToString([]byte(raw)) }

const someID = "0b7c5a3e-2f5d-4c1a-9a8e-3d2f1b0c9e8d"

// Only the exact spelling the API issues is accepted, and only timestamps
// it can have issued (years 1 to 9999).
func TestParseCursorRejectsWhatTheAPIDidNotIssue(t *testing.T) {
	for name, raw := range map[string]string{
		"before 4714 BC (PostgreSQL: 22008)": "-9223372036854775808." + someID,
		"last microsecond of year 0":         "-62135596800000001." + someID,
		"year 10000":                         "253402300800000000." + someID,
		"leading zero":                       "01." + someID,
		"plus sign":                          "+1." + someID,
		"upper-case id":                      "1." + strings.ToUpper(someID),
		"empty timestamp":                    "." + someID,
	} {
		if _, err := ParseCursor(cursorOf(raw)); err == nil {
			t.Errorf("%s: ParseCursor(%q) accepted", name, raw)
		}
	}
	for name, raw := range map[string]string{
		"first microsecond of year 1":   "-62135596800000000." + someID,
		"last microsecond of year 9999": "253402300799999999." + someID,
		"the epoch":                     "0." + someID,
	} {
		if _, err := ParseCursor(cursorOf(raw)); err != nil {
			t.Errorf("%s: ParseCursor(%q): %v", name, raw, err)
		}
	}
}

// FuzzParseCursor: whatever ParseCursor accepts is a cursor the API could
// have issued: it spells itself the same way and lies in the years 1 to 9999.
func FuzzParseCursor(f *testing.F) {
	f.Add(cursorOf("1764237600123456." + someID))
	f.Add(cursorOf("-9223372036854775808." + someID))
	f.Add(cursorOf("253402300799999999." + someID))
	f.Add("MTIz")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCursor(s)
		if err != nil {
			return
		}
		if c.String() != s {
			t.Fatalf("accepted %q, which the API spells %q", s, c.String())
		}
		if y := c.CreatedAt.Year(); y < 1 || y > 9999 {
			t.Fatalf("accepted %q with year %d", s, y)
		}
	})
}
