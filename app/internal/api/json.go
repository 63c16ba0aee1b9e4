package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/octabyte/octabyte/app/internal/notes"
)

// errorBody is the one error shape every endpoint uses.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// clientError is a request the client has to fix.
type clientError struct {
	status        int
	code, message string
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // a bug (the API's own types encode): observe turns it into a logged 500
	}
	w.Header()["Content-Type"] = contentTypeJSON
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n')) // a failed write means the client left
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, errorBody{errorDetail{Code: code, Message: message}})
}

// rejectBody answers a request whose body the app will not read. net/http
// itself closes the connection after a 413 (http.MaxBytesReader on its own
// ResponseWriter, see observe) and after a 408 (a failed body read), and
// says so with Connection: close; but after a 413 it would first read on
// up to 256 KiB of the unwanted body, which the read deadline set to now
// stops (a 408's deadline has passed already).
func rejectBody(w http.ResponseWriter, ce *clientError) {
	if ce.status == http.StatusRequestEntityTooLarge {
		_ = http.NewResponseController(w).SetReadDeadline(time.Now()) // unsupported only in tests' recorders
	}
	writeError(w, ce.status, ce.code, ce.message)
}

// decodeDraft reads exactly one JSON object with only known fields. body is
// limited by http.MaxBytesReader (observe does it), whose error becomes a
// 413; a body that does not arrive within the server's ReadTimeout is a 408.
func decodeDraft(body io.Reader) (notes.Draft, *clientError) {
	var d notes.Draft
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return d, decodeError(err)
	}
	// A second value, even whitespace-separated, is not "one object".
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		if ce := decodeError(err); ce.status != http.StatusBadRequest {
			return d, ce // too large or too slow, not malformed
		}
		return d, &clientError{http.StatusBadRequest, "invalid_json", "body must contain a single JSON object"}
	}
	return d, nil
}

func decodeError(err error) *clientError {
	bad := func(msg string) *clientError { return &clientError{http.StatusBadRequest, "invalid_json", msg} }
	var (
		tooLarge  *http.MaxBytesError
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooLarge):
		return &clientError{http.StatusRequestEntityTooLarge, "body_too_large",
			fmt.Sprintf("body must be at most %d bytes", tooLarge.Limit)}
	case errors.Is(err, os.ErrDeadlineExceeded):
		// The connection's read deadline (the server's ReadTimeout) passed
		// while the body was still arriving; net/http closes the connection.
		return &clientError{http.StatusRequestTimeout, "request_timeout", "the request body did not arrive in time"}
	case errors.Is(err, io.EOF):
		return bad("body is empty; expected a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return bad("body ends in the middle of a JSON value")
	case errors.As(err, &syntaxErr):
		return bad(fmt.Sprintf("malformed JSON at byte %d", syntaxErr.Offset))
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return bad("body must be a JSON object")
		}
		return bad(fmt.Sprintf("field %q must be a %s", typeErr.Field, typeErr.Type))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no error type for this one.
		return bad(strings.TrimPrefix(err.Error(), "json: "))
	default:
		return bad("invalid JSON")
	}
}
