package notes_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/octabyte/octabyte/app/internal/idempotency"
	"github.com/octabyte/octabyte/app/internal/notes"
	"github.com/octabyte/octabyte/app/internal/pgtest"
)

// respond stands in for the API's 201: enough to tell responses apart.
func respond(n notes.Note) idempotency.Response {
	return idempotency.Response{Status: 201, Header: http.Header{"Location": {"/api/v1/notes/" + n.ID}}, Body: []byte(n.ID)}
}

func count(t *testing.T, sql string) int {
	t.Helper()
	c, err := pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	var n int
	if err := c.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// draft is the note most tests create; fp is its fingerprint.
var (
	fp    = idempotency.Fingerprint("POST", "/api/v1/notes", "t", "")
	draft = notes.Draft{Title: ptr("t")}
)

// wantRows checks that table holds want rows.
func wantRows(t *testing.T, table string, want int) {
	t.Helper()
	if n := count(t, "SELECT count(*) FROM "+table); n != want {
		t.Errorf("%d rows in %s, want %d", n, table, want)
	}
}

func TestCreateOnceCreatesOnceAndReplays(t *testing.T) {
	s := emptyTable(t)
	ctx := context.Background()
	first, replayed, err := s.CreateOnce(ctx, "k1", fp, draft, respond)
	if err != nil || replayed || first.Status != 201 {
		t.Fatalf("first: %+v, replayed %v, %v", first, replayed, err)
	}
	again, replayed, err := s.CreateOnce(ctx, "k1", fp, draft, respond)
	if err != nil || !replayed {
		t.Fatalf("retry: replayed %v, %v", replayed, err)
	}
	if again.Status != first.Status || string(again.Body) != string(first.Body) ||
		again.Header.Get("Location") != first.Header.Get("Location") {
		t.Errorf("retry got %+v, want %+v", again, first)
	}
	wantRows(t, "notes", 1)
}

func TestCreateOnceRefusesAKeyReusedForAnotherNote(t *testing.T) {
	s := emptyTable(t)
	ctx := context.Background()
	if _, _, err := s.CreateOnce(ctx, "k1", fp, draft, respond); err != nil {
		t.Fatal(err)
	}
	other := idempotency.Fingerprint("POST", "/api/v1/notes", "other", "")
	if _, _, err := s.CreateOnce(ctx, "k1", other, notes.Draft{Title: ptr("other")}, respond); !errors.Is(err, idempotency.ErrKeyReused) {
		t.Fatalf("got %v, want ErrKeyReused", err)
	}
	wantRows(t, "notes", 1)
}

// A failed write (here a note the CHECK constraint rejects) leaves the key
// unused: the corrected request with the same key is a new request.
func TestFailedCreateLeavesTheKeyUnused(t *testing.T) {
	s := emptyTable(t)
	ctx := context.Background()
	long := strings.Repeat("x", notes.MaxTitle+1)
	if _, _, err := s.CreateOnce(ctx, "k1", fp, notes.Draft{Title: &long}, respond); err == nil {
		t.Fatal("an over-long title was stored")
	}
	if _, replayed, err := s.CreateOnce(ctx, "k1", fp, draft, respond); err != nil || replayed {
		t.Fatalf("after a failed first attempt: replayed %v, %v", replayed, err)
	}
	wantRows(t, "idempotency_keys", 1)
}

// Concurrent requests with one key are serialised by PostgreSQL: while the
// first holds the key (blocked here by a table lock on notes), the others
// wait for it, then all get its response; one note is created.
func TestConcurrentRequestsWithOneKeyCreateOneNote(t *testing.T) {
	s := emptyTable(t)
	ctx := context.Background()
	waiting, release := pgtest.LockTable(t, url, "notes")
	const requests = 6
	type result struct {
		resp     idempotency.Response
		replayed bool
		err      error
	}
	results := make(chan result, requests)
	for range requests {
		go func() {
			r, replayed, err := s.CreateOnce(ctx, "k1", fp, draft, respond)
			results <- result{r, replayed, err}
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for n := 0; n < requests; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d requests waiting in the database", n, requests)
		}
		n = waiting()
		time.Sleep(20 * time.Millisecond)
	}
	release()

	bodies := map[string]bool{}
	fresh := 0
	for range requests {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		if !r.replayed {
			fresh++
		}
		bodies[string(r.resp.Body)] = true
	}
	if fresh != 1 || len(bodies) != 1 {
		t.Errorf("%d requests created, %d distinct responses; want 1 and 1", fresh, len(bodies))
	}
	wantRows(t, "notes", 1)
}

// A key is kept for 24 h, up to its last minute; then it is forgotten and
// using it again creates a new note.
func TestKeyReplaysUntilItExpiresThenIsANewRequest(t *testing.T) {
	s := emptyTable(t)
	ctx := context.Background()
	first, _, err := s.CreateOnce(ctx, "k1", fp, draft, respond)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, `SELECT count(*) FROM idempotency_keys
		WHERE expires_at BETWEEN now() + interval '23 hours 59 minutes' AND now() + interval '24 hours'`); n != 1 {
		t.Fatalf("the key does not expire in 24 h")
	}
	exec(t, `UPDATE idempotency_keys SET expires_at = now() + interval '1 minute'`)
	if _, replayed, err := s.CreateOnce(ctx, "k1", fp, draft, respond); err != nil || !replayed {
		t.Fatalf("a minute before expiry: replayed %v, %v; want the stored response", replayed, err)
	}
	exec(t, `UPDATE idempotency_keys SET expires_at = now() - interval '1 second'`)
	again, replayed, err := s.CreateOnce(ctx, "k1", fp, draft, respond)
	if err != nil || replayed || string(again.Body) == string(first.Body) {
		t.Fatalf("after expiry: replayed %v, same note %v, %v", replayed, string(again.Body) == string(first.Body), err)
	}
	wantRows(t, "notes", 2)
}

// The purge goes on batch after batch until no expired key is left.
func TestPurgeDeletesEveryBatch(t *testing.T) {
	s := emptyTable(t)
	const keys = 2500 // more than two batches
	exec(t, `INSERT INTO idempotency_keys (key, fingerprint, status, header, body, expires_at)
		SELECT 'k' || i, '\x00', 201, '{}', '', now() - interval '2 hours' FROM generate_series(1, $1::int) i`, keys)
	if n, err := s.PurgeExpiredKeys(context.Background()); err != nil || n != keys {
		t.Fatalf("purged %d, %v; want %d", n, err, keys)
	}
	wantRows(t, "idempotency_keys", 0)
}

func TestPurgeDeletesKeysExpiredOverAnHourAgo(t *testing.T) {
	s := emptyTable(t)
	ctx := context.Background()
	for i := range 3 {
		if _, _, err := s.CreateOnce(ctx, idempotency.Key(fmt.Sprint("k", i)), fp, draft, respond); err != nil {
			t.Fatal(err)
		}
	}
	// Either side of the hour's grace.
	exec(t, `UPDATE idempotency_keys SET expires_at = now() - interval '61 minutes' WHERE key = 'k0'`)
	exec(t, `UPDATE idempotency_keys SET expires_at = now() - interval '59 minutes' WHERE key = 'k1'`)
	n, err := s.PurgeExpiredKeys(ctx)
	if err != nil || n != 1 {
		t.Fatalf("purged %d, %v; want 1", n, err)
	}
	wantRows(t, "idempotency_keys", 2)
	wantRows(t, "notes", 3)
}
