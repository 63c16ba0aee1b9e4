package notes

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/octabyte/octabyte/app/internal/database"
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

const columns = `id::text, title, body, created_at`

func scan(row pgx.Row) (Note, error) {
	var n Note
	err := row.Scan(&n.ID, &n.Title, &n.Body, &n.CreatedAt)
	n.CreatedAt = n.CreatedAt.UTC()
	return n, err
}

// Create stores a validated draft and returns the note as stored.
func (s *Store) Create(ctx context.Context, d Draft) (Note, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	body := ""
	if d.Body != nil {
		body = *d.Body
	}
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return Note{}, err
	}
	defer c.Release()
	return scan(c.QueryRow(ctx, `INSERT INTO notes (title, body) VALUES ($1, $2) RETURNING `+columns, *d.Title, body))
}

// Get returns the note with id, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id pgtype.UUID) (Note, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return Note{}, err
	}
	defer c.Release()
	n, err := scan(c.QueryRow(ctx, `SELECT `+columns+` FROM notes WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Note{}, ErrNotFound
	}
	return n, err
}

// Delete removes the note with id, or returns ErrNotFound.
func (s *Store) Delete(ctx context.Context, id pgtype.UUID) error {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	tag, err := c.Exec(ctx, `DELETE FROM notes WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// List returns up to limit notes, newest first, starting after the cursor
// (nil: from the newest). next is nil on the last page.
func (s *Store) List(ctx context.Context, limit int, after *Cursor) (page []Note, next *Cursor, err error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer c.Release()
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
		return nil, nil, err
	}
	page, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Note, error) { return scan(r) })
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
