package notes_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/octabyte/octabyte/app/internal/database"
	"github.com/octabyte/octabyte/app/internal/notes"
	"github.com/octabyte/octabyte/app/internal/pgtest"
)

var (
	pool *database.Pool
	url  string // of the database pool connects to
)

func TestMain(m *testing.M) {
	pgtest.Run(func(pg *pgtest.Server) int {
		url = pg.URL("postgres")
		var err error
		if pool, err = database.Open(url, quiet); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer pool.Close()
		if err := database.Migrate(context.Background(), pool, quiet); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	})
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// exec runs one statement on a connection of the pool.
func exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	c, err := pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	if _, err := c.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

// emptyTable gives each test a clean table; the tests in this file do not run in parallel.
func emptyTable(t *testing.T) *notes.Store {
	t.Helper()
	exec(t, `TRUNCATE notes, idempotency_keys`)
	return notes.NewStore(pool)
}

func ptr(s string) *string { return &s }

func TestStoreRoundTrip(t *testing.T) {
	s := emptyTable(t)
	ctx := context.Background()
	n, err := s.Create(ctx, notes.Draft{Title: ptr("hello"), Body: ptr("wörld")})
	if err != nil {
		t.Fatal(err)
	}
	id, err := notes.ParseID(n.ID)
	if err != nil || n.Title != "hello" || n.Body != "wörld" || n.CreatedAt.Location().String() != "UTC" {
		t.Fatalf("created %+v (id error %v)", n, err)
	}
	got, err := s.Get(ctx, id)
	if err != nil || got != n {
		t.Fatalf("get %+v, %v; want %+v", got, err, n)
	}
	if err := s.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, id); !errors.Is(err, notes.ErrNotFound) {
		t.Errorf("get after delete: %v", err)
	}
	if err := s.Delete(ctx, id); !errors.Is(err, notes.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

func TestBodyDefaultsToEmpty(t *testing.T) {
	s := emptyTable(t)
	n, err := s.Create(context.Background(), notes.Draft{Title: ptr("t")})
	if err != nil || n.Body != "" {
		t.Fatalf("%+v %v", n, err)
	}
}

// Validate and the table's CHECK constraints count characters the same way:
// the longest valid note in multi-byte characters is accepted by both.
func TestLimitsAgreeWithTheDatabase(t *testing.T) {
	s := emptyTable(t)
	d := notes.Draft{Title: ptr(strings.Repeat("€", notes.MaxTitle)), Body: ptr(strings.Repeat("ß", notes.MaxBody))}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(context.Background(), d); err != nil {
		t.Fatalf("database rejected a note Validate accepts: %v", err)
	}
	over := notes.Draft{Title: ptr(strings.Repeat("€", notes.MaxTitle+1))}
	if over.Validate() == nil {
		t.Fatal("Validate accepted an over-long title")
	}
	if _, err := s.Create(context.Background(), over); err == nil || database.Unavailable(err) {
		t.Errorf("the CHECK constraint should reject it as a non-availability error, got %v", err)
	}
}

// Walks every page and checks that each note appears exactly once, newest
// first, including notes that share a created_at (the id breaks the tie).
func TestListPaginatesWithoutGapsOrRepeats(t *testing.T) {
	s := emptyTable(t)
	ctx := context.Background()
	// 25 notes with one shared timestamp, then 20 later ones.
	exec(t, `INSERT INTO notes (title, created_at)
		SELECT 'same ' || i, '2026-01-01T00:00:00Z' FROM generate_series(1, 25) i`)
	for i := range 20 {
		if _, err := s.Create(ctx, notes.Draft{Title: ptr(fmt.Sprintf("later %d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	var all []notes.Note
	var after *notes.Cursor
	pages := 0
	for {
		page, next, err := s.List(ctx, 7, after)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if next != nil && len(page) != 7 {
			t.Fatalf("page %d has %d notes and a next cursor", pages, len(page))
		}
		for _, n := range page {
			if seen[n.ID] {
				t.Fatalf("note %s repeated on page %d", n.ID, pages)
			}
			seen[n.ID] = true
		}
		all = append(all, page...)
		if next == nil {
			break
		}
		// Through the client's opaque form, as the API hands it out.
		c, err := notes.ParseCursor(next.String())
		if err != nil {
			t.Fatal(err)
		}
		after = &c
	}
	if len(all) != 45 || pages != 7 {
		t.Fatalf("%d notes on %d pages, want 45 on 7", len(all), pages)
	}
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if a.CreatedAt.Before(b.CreatedAt) || (a.CreatedAt.Equal(b.CreatedAt) && a.ID < b.ID) {
			t.Fatalf("not newest first at %d: %v %s then %v %s", i, a.CreatedAt, a.ID, b.CreatedAt, b.ID)
		}
	}
	if !strings.HasPrefix(all[0].Title, "later") {
		t.Errorf("first note %q, want a later one", all[0].Title)
	}
}

func TestListExactlyOnePage(t *testing.T) {
	s := emptyTable(t)
	for range 3 {
		if _, err := s.Create(context.Background(), notes.Draft{Title: ptr("x")}); err != nil {
			t.Fatal(err)
		}
	}
	page, next, err := s.List(context.Background(), 3, nil)
	if err != nil || len(page) != 3 || next != nil {
		t.Errorf("%d notes, next %v, err %v; want 3, nil, nil", len(page), next, err)
	}
}

// A call that runs out of time must not leave its statement running (and
// holding a connection slot) on the server.
func TestTimedOutCallStopsItsStatementOnTheServer(t *testing.T) {
	s := emptyTable(t)
	ctx := context.Background()
	waiting, release := pgtest.LockTable(t, url, "notes")
	defer release()
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := s.Create(short, notes.Draft{Title: ptr("blocked")}); !database.Unavailable(err) {
		t.Fatalf("a timed-out insert should count as unavailable, got %v", err)
	}
	for range 50 {
		if waiting() == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("the timed-out INSERT is still waiting on the server")
}

// Every cursor ParseCursor accepts is a value PostgreSQL accepts too: the
// extremes of the accepted range page without an error (the first from the
// beginning of time: an empty page; the last from the end: everything).
func TestListAcceptsTheExtremesOfTheCursorRange(t *testing.T) {
	s := emptyTable(t)
	ctx := context.Background()
	if _, err := s.Create(ctx, notes.Draft{Title: ptr("x")}); err != nil {
		t.Fatal(err)
	}
	id, _ := notes.ParseID("ffffffff-ffff-ffff-ffff-ffffffffffff")
	for _, tc := range []struct {
		at   time.Time
		want int
	}{
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), 1},
	} {
		c, err := notes.ParseCursor(notes.Cursor{CreatedAt: tc.at, ID: id}.String())
		if err != nil {
			t.Fatalf("%v: %v", tc.at, err)
		}
		page, _, err := s.List(ctx, 10, &c)
		if err != nil || len(page) != tc.want {
			t.Errorf("after %v: %d notes, %v; want %d and no error", tc.at, len(page), err, tc.want)
		}
	}
}
