// Package idempotency lets a client retry a write safely: the first request
// with an Idempotency-Key does the write, and any later request with the
// same key and the same content gets the first response again instead of a
// second write. The key and the response are stored in PostgreSQL in the
// same transaction as the write, so they exist exactly when the write does,
// however the first answer was lost (a dropped connection, a 503 after the
// commit). Header syntax and status codes follow the IETF draft
// (draft-ietf-httpapi-idempotency-key-header) and Stripe's API, but for one:
// a request whose key is still in use by a request in progress waits for it
// (Do) rather than getting the draft's 409.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Header is the request header that carries the key; ReplayedHeader ("true")
// marks a response that was stored, not produced by this request.
const (
	Header         = "Idempotency-Key"
	ReplayedHeader = "Idempotent-Replayed"
)

// Key limits: 1 to MaxKeyLength characters; a key is forgotten TTL after
// its first use, and may then be used again for a new request.
const (
	MaxKeyLength = 255
	TTL          = 24 * time.Hour
)

// Key is a validated idempotency key; "" means the request has none.
type Key string

// ErrKeyReused means the key was first used with a request of different
// content (422: the client must use a new key for a new request).
var ErrKeyReused = errors.New("idempotency key already used with a different request")

// ParseKey validates the values of the Idempotency-Key header: none (no
// key), or exactly one of 1 to 255 characters from A-Z a-z 0-9 - _ . : ~ + / =
// (UUIDs, ULIDs, base64), optionally in double quotes as the IETF draft
// writes it (a Structured Field string); "k" and k are the same key.
func ParseKey(values []string) (Key, error) {
	switch len(values) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", errors.New("send at most one " + Header + " header")
	}
	v := values[0]
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if len(v) < 1 || len(v) > MaxKeyLength {
		return "", fmt.Errorf("%s must be 1 to %d characters long", Header, MaxKeyLength)
	}
	for i := range len(v) {
		if !keyChar(v[i]) {
			return "", fmt.Errorf("%s may contain only A-Z a-z 0-9 - _ . : ~ + / = (optionally in double quotes)", Header)
		}
	}
	return Key(v), nil
}

func keyChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '_', '.', ':', '~', '+', '/', '=':
		return true
	}
	return false
}

// Fingerprint identifies what a request asks for (its method, path and the
// content it carries), so that a retry is told from a different request that
// reuses the key.
func Fingerprint(parts ...string) []byte {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p))) // length-prefixed: ("ab","c") differs from ("a","bc")
		_, _ = h.Write(n[:])
		_, _ = h.Write([]byte(p))
	}
	return h.Sum(nil)
}

// Response is a response as stored for replay: the status, the headers the
// response's meaning depends on (such as Location) and the body.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do runs write in tx at most once per key. The first call with a key
// claims it (a concurrent call with the same key waits in PostgreSQL until
// this transaction ends), runs write and stores its response; the caller
// then commits tx, which makes the write and the key durable together. A
// later call with the key and the same fingerprint returns the stored
// response with replayed true and writes nothing; with another fingerprint
// it returns ErrKeyReused. If write fails or tx is not committed, the key
// stays unused.
func Do(ctx context.Context, tx pgx.Tx, key Key, fingerprint []byte, write func() (Response, error)) (resp Response, replayed bool, err error) {
	var claimed bool
	err = tx.QueryRow(ctx, `
		INSERT INTO idempotency_keys AS k (key, fingerprint, status, header, body, expires_at)
		VALUES ($1, $2, 0, '{}', '', now() + make_interval(secs => $3))
		ON CONFLICT (key) DO UPDATE
			SET fingerprint = EXCLUDED.fingerprint, status = 0, header = '{}', body = '', expires_at = EXCLUDED.expires_at
			WHERE k.expires_at <= now()
		RETURNING true`, string(key), fingerprint, TTL.Seconds()).Scan(&claimed)
	switch {
	case err == nil: // a new key, or an expired one taken over
		resp, err = write()
		if err != nil {
			return Response{}, false, err
		}
		_, err = tx.Exec(ctx, `UPDATE idempotency_keys SET status = $2, header = $3, body = $4 WHERE key = $1`,
			string(key), resp.Status, resp.Header, resp.Body)
		return resp, false, err
	case !errors.Is(err, pgx.ErrNoRows):
		return Response{}, false, err
	}
	// The key is in use and not expired; its transaction committed (the
	// INSERT waited for it), and the purge leaves it alone for another hour.
	var stored []byte
	err = tx.QueryRow(ctx, `SELECT fingerprint, status, header, body FROM idempotency_keys WHERE key = $1`,
		string(key)).Scan(&stored, &resp.Status, &resp.Header, &resp.Body)
	if err != nil {
		return Response{}, false, err
	}
	if string(stored) != string(fingerprint) {
		return Response{}, false, ErrKeyReused
	}
	return resp, true, nil
}

// Execer runs a statement: a *pgx.Conn, a pool connection or a transaction.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Purge deletes keys that expired more than an hour ago (the hour keeps a
// key that Do found unexpired from vanishing before Do reads it), at most
// purgeBatch at a time so that no statement holds locks for long, and
// returns how many it deleted.
func Purge(ctx context.Context, db Execer) (int64, error) {
	var total int64
	for {
		tag, err := db.Exec(ctx, `
			DELETE FROM idempotency_keys WHERE key IN (
				SELECT key FROM idempotency_keys WHERE expires_at < now() - interval '1 hour'
				LIMIT $1 FOR UPDATE SKIP LOCKED)`, purgeBatch)
		if err != nil {
			return total, err
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < purgeBatch {
			return total, nil
		}
	}
}

const purgeBatch = 1000
