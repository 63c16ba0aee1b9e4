package notes

import (
	"errors"
	"strings"
	"testing"
	"time"
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
