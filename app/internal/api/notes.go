package api

import (
	"errors"
	"mime"
	"net/http"
	"strconv"

	"github.com/octabyte/octabyte/app/internal/idempotency"
	"github.com/octabyte/octabyte/app/internal/notes"
)

type listResponse struct {
	Notes      []notes.Note `json:"notes"`
	NextCursor *string      `json:"next_cursor"` // null on the last page
}

func (s *Server) createNote(w http.ResponseWriter, r *http.Request) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/json")
		return
	}
	key, err := idempotency.ParseKey(r.Header.Values(idempotency.Header))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_idempotency_key", err.Error())
		return
	}
	d, apiErr := decodeDraft(r.Body)
	if apiErr != nil {
		rejectBody(w, apiErr)
		return
	}
	if err := d.Validate(); err != nil {
		writeError(w, http.StatusUnprocessableEntity, "validation_failed", err.Error())
		return
	}
	if !s.schemaReady(w) {
		return
	}
	if key == "" {
		n, err := s.store.Create(r.Context(), d)
		if err != nil {
			s.storeError(w, r, err)
			return
		}
		writeResponse(w, created(n))
		return
	}
	// The same note, however its JSON was spelled, is the same request.
	fingerprint := idempotency.Fingerprint(r.Method, r.URL.Path, *d.Title, d.BodyText())
	resp, replayed, err := s.store.CreateOnce(r.Context(), key, fingerprint, d, created)
	switch {
	case errors.Is(err, idempotency.ErrKeyReused):
		writeError(w, http.StatusUnprocessableEntity, "idempotency_key_reused",
			"this Idempotency-Key was used with a different note; use a new key for a new note")
	case err != nil:
		s.storeError(w, r, err)
	default:
		if replayed {
			w.Header().Set(idempotency.ReplayedHeader, "true")
		}
		writeResponse(w, resp)
	}
}

// created is the response to a created note, as it is sent and stored for
// replay.
func created(n notes.Note) idempotency.Response {
	return idempotency.Response{
		Status: http.StatusCreated,
		Header: http.Header{"Location": {"/api/v1/notes/" + n.ID}, "Content-Type": contentTypeJSON},
		Body:   noteJSON(n),
	}
}

// noteJSON is a note's response body.
func noteJSON(n notes.Note) []byte { return append(n.AppendJSON(make([]byte, 0, 512)), '\n') }

func writeResponse(w http.ResponseWriter, resp idempotency.Response) {
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

func (s *Server) listNotes(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := notes.DefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > notes.MaxLimit {
			writeError(w, http.StatusBadRequest, "invalid_parameter",
				"limit must be an integer from 1 to "+strconv.Itoa(notes.MaxLimit))
			return
		}
		limit = n
	}
	var after *notes.Cursor
	if v := q.Get("cursor"); v != "" {
		c, err := notes.ParseCursor(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_parameter", "cursor is not one this API issued")
			return
		}
		after = &c
	}
	if !s.schemaReady(w) {
		return
	}
	page, next, err := s.store.List(r.Context(), limit, after)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	resp := listResponse{Notes: page}
	if resp.Notes == nil {
		resp.Notes = []notes.Note{} // [] rather than null
	}
	if next != nil {
		c := next.String()
		resp.NextCursor = &c
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) getNote(w http.ResponseWriter, r *http.Request) {
	id, err := notes.ParseID(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_id", "id must be a UUID")
		return
	}
	if !s.schemaReady(w) {
		return
	}
	n, err := s.store.Get(r.Context(), id)
	if err != nil {
		s.storeError(w, r, err)
		return
	}
	w.Header()["Content-Type"] = contentTypeJSON
	_, _ = w.Write(noteJSON(n))
}

func (s *Server) deleteNote(w http.ResponseWriter, r *http.Request) {
	id, err := notes.ParseID(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_id", "id must be a UUID")
		return
	}
	if !s.schemaReady(w) {
		return
	}
	if err := s.store.Delete(r.Context(), id); err != nil {
		s.storeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
