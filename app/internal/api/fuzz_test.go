package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/octabyte/octabyte/app/internal/notes"
)

// FuzzCreateNote feeds arbitrary bodies to POST /api/v1/notes. Whatever the
// bytes, the answer is 201 or a client error with the stable error shape,
// never a 5xx, and a 201 stores exactly a draft that passes validation.
// The seeds run in every plain `go test`; explore with
// go test -fuzz=FuzzCreateNote -fuzztime=60s ./internal/api/
func FuzzCreateNote(f *testing.F) {
	for _, seed := range []string{
		`{"title":"hello","body":"world"}`,
		`{"title":"t"}`,
		`{"title":""}`,
		`{"title":"` + strings.Repeat("é", 200) + `"}`,
		`{"title":"a\u0000"}`,
		`{"title":"\ud800"}`,
		`{"title":"t","extra":1}`,
		`{"TITLE":"case folded"}`,
		`{"title":null,"body":null}`,
		`{"title":["a"]}`,
		`{"title":"a"}{"title":"b"}`,
		`{"title":"a"} `,
		`null`, `[]`, `""`, `0`, ``, `{`, `}`, "\xff\xfe", `{"title":"` + "\xff" + `"}`,
		`{"title":"t","body":"` + strings.Repeat("a", 10001) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		h := newHarness(t)
		r := h.do(t, "POST", "/api/v1/notes", jsonCT, string(body))
		switch r.Code {
		case http.StatusCreated:
			if len(h.store.notes) != 1 {
				t.Fatalf("201 but %d notes stored", len(h.store.notes))
			}
			var n notes.Note
			r.decode(&n)
			if err := (notes.Draft{Title: &n.Title, Body: &n.Body}).Validate(); err != nil {
				t.Fatalf("stored an invalid note %+v: %v", n, err)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
			if len(h.store.notes) != 0 {
				t.Fatalf("%d but something was stored", r.Code)
			}
			var e errorBody
			if err := json.Unmarshal(r.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("%d without the error shape: %s", r.Code, r.Body)
			}
		default:
			t.Fatalf("status %d for body %q: %s", r.Code, body, r.Body)
		}
	})
}
