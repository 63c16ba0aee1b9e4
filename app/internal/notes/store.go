package notes

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/octabyte/octabyte/app/internal/database"
	"github.com/octabyte/octabyte/app/internal/idempotency"
)

// queryTimeout bounds each call, so that a database that stopped answering
// turns into a 503 well within the ALB's and the client's patience.
const queryTimeout = 5 * time.Second

// Store keeps notes in PostgreSQL.
type Store struct {
	pool *database.Pool
}

// NewStore returns a Store on pool; the schema must have been migrated.
func NewStore(pool *database.Pool) *Store { return &Store{pool: pool} }

// The id travels in binary (16 bytes) and is spelled here, which is
// cheaper for PostgreSQL than an id::text cast.
const columns = `id, title, body, created_at`

func scan(row pgx.Row) (Note, error) {
	var (
		n  Note
		id pgtype.UUID
	)
	err := row.Scan(&id, &n.Title, &n.Body, &n.CreatedAt)
	n.ID = id.String()
	n.CreatedAt = n.CreatedAt.UTC()
	return n, err
}

// withConn runs f on a pooled connection, the whole call (waiting for the
// connection included) bounded by timeout.
func (s *Store) withConn(ctx context.Context, timeout time.Duration, f func(context.Context, database.Conn) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	return f(ctx, c)
}

// Create stores a validated draft and returns the note as stored.
func (s *Store) Create(ctx context.Context, d Draft) (n Note, err error) {
	err = s.withConn(ctx, queryTimeout, func(ctx context.Context, c database.Conn) error {
		n, err = insert(ctx, c, d)
		return err
	})
	return n, err
}

const insertSQL = `INSERT INTO notes (title, body) VALUES ($1, $2) RETURNING ` + columns

func insert(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, d Draft) (Note, error) {
	return scan(q.QueryRow(ctx, insertSQL, *d.Title, d.BodyText()))
}

// CreateOnce creates a note at most once per idempotency key (see
// idempotency.Do): the note, the key and the response respond makes of the
// note are committed together. A retry with the key gets the stored response
// (replayed true) and creates nothing; a different request with the key gets
// idempotency.ErrKeyReused. An error means nothing was committed, unless the
// commit itself failed on the way back, which a retry with the key resolves.
func (s *Store) CreateOnce(ctx context.Context, key idempotency.Key, fingerprint []byte, d Draft,
	respond func(Note) idempotency.Response,
) (resp idempotency.Response, replayed bool, err error) {
	err = s.withConn(ctx, queryTimeout, func(ctx context.Context, c database.Conn) error {
		tx, err := c.Begin(ctx)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback(ctx) }() // after Commit, a no-op
		resp, replayed, err = idempotency.Do(ctx, tx, key, fingerprint, func() (idempotency.Response, error) {
			n, err := insert(ctx, tx, d)
			if err != nil {
				return idempotency.Response{}, err
			}
			return respond(n), nil
		})
		if err != nil || replayed {
			return err
		}
		return tx.Commit(ctx)
	})
	return resp, replayed, err
}

// PurgeExpiredKeys deletes idempotency keys past their expiry and returns
// how many.
func (s *Store) PurgeExpiredKeys(ctx context.Context) (n int64, err error) {
	err = s.withConn(ctx, time.Minute, func(ctx context.Context, c database.Conn) error {
		n, err = idempotency.Purge(ctx, c)
		return err
	})
	return n, err
}

// Get returns the note with id, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id pgtype.UUID) (n Note, err error) {
	err = s.withConn(ctx, queryTimeout, func(ctx context.Context, c database.Conn) error {
		n, err = scan(c.QueryRow(ctx, `SELECT `+columns+` FROM notes WHERE id = $1`, id))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Note{}, ErrNotFound
	}
	return n, err
}

// Delete removes the note with id, or returns ErrNotFound.
func (s *Store) Delete(ctx context.Context, id pgtype.UUID) error {
	return s.withConn(ctx, queryTimeout, func(ctx context.Context, c database.Conn) error {
		tag, err := c.Exec(ctx, `DELETE FROM notes WHERE id = $1`, id)
		if err == nil && tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return err
	})
}

// List returns up to limit notes, newest first, starting after the cursor
// (nil: from the newest). next is nil on the last page.
func (s *Store) List(ctx context.Context, limit int, after *Cursor) (page []Note, next *Cursor, err error) {
	err = s.withConn(ctx, queryTimeout, func(ctx context.Context, c database.Conn) error {
		var rows pgx.Rows
		// One extra row tells whether another page follows.
		if after == nil {
			rows, err = c.Query(ctx,
				`SELECT `+columns+` FROM notes ORDER BY created_at DESC, id DESC LIMIT $1`, limit+1)
		} else {
			rows, err = c.Query(ctx,
				`SELECT `+columns+` FROM notes WHERE (created_at, id) < ($1, $2)
				 ORDER BY created_at DESC, id DESC LIMIT $3`, after.CreatedAt, after.ID, limit+1)
		}
		if err != nil {
			return err
		}
		page, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Note, error) { return scan(r) })
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if len(page) > limit {
		page = page[:limit]
		last := page[limit-1]
		id, _ := ParseID(last.ID) // came from the database as a canonical uuid
		next = &Cursor{CreatedAt: last.CreatedAt, ID: id}
	}
	return page, next, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }
