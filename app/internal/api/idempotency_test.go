package api

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/octabyte/octabyte/app/internal/idempotency"
)

// post sends a note with the given Idempotency-Key header values.
func (h *harness) post(t *testing.T, body string, keys ...string) response {
	t.Helper()
	req := httptest.NewRequest("POST", "/api/v1/notes", strings.NewReader(body))
	req.Header.Set("Content-Type", jsonCT)
	for _, k := range keys {
		req.Header.Add(idempotency.Header, k)
	}
	return h.send(t, req)
}

const someKey = "8e03978e-40d5-43e8-bc93-6894a57f9324"

func TestIdempotencyKeySyntax(t *testing.T) {
	for name, key := range map[string]string{
		"UUID":                 someKey,
		"quoted (IETF draft)":  `"` + someKey + `"`,
		"255 characters":       strings.Repeat("k", 255),
		"every allowed symbol": "aZ09-_.:~+/=",
	} {
		t.Run(name, func(t *testing.T) {
			newHarness(t).post(t, `{"title":"t"}`, key).status(201)
		})
	}
	for name, keys := range map[string][]string{
		"empty":           {""},
		"empty quoted":    {`""`},
		"256 characters":  {strings.Repeat("k", 256)},
		"space":           {"two words"},
		"non-ASCII":       {"schlüssel"},
		"unbalanced":      {`"` + someKey},
		"lone quote":      {`"`},
		"inner quote":     {`a"b`},
		"two headers":     {someKey, someKey},
		"control char":    {"a\x01b"},
		"comma-separated": {someKey + "," + someKey},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			h.post(t, `{"title":"t"}`, keys...).status(400).apiError("invalid_idempotency_key")
			if len(h.store.notes) != 0 {
				t.Errorf("a request with an invalid key stored a note")
			}
		})
	}
}

// A retry, however the same note is spelled and whether the key is quoted,
// gets the first response again (status, Location, body with the same id),
// marked as replayed, and creates nothing.
func TestRetryWithTheKeyReplaysTheFirstResponse(t *testing.T) {
	h := newHarness(t)
	first := h.post(t, `{"title":"once","body":"only"}`, someKey).status(201)
	if first.Header().Get(idempotency.ReplayedHeader) != "" {
		t.Errorf("the first response is marked as replayed")
	}
	for _, retry := range []struct{ body, key string }{
		{`{"title":"once","body":"only"}`, someKey},
		{`{ "body": "only", "title": "once" }`, someKey},
		{`{"title":"once","body":"only"}`, `"` + someKey + `"`},
	} {
		again := h.post(t, retry.body, retry.key).status(201)
		if again.Body.String() != first.Body.String() || again.Header().Get("Location") != first.Header().Get("Location") {
			t.Errorf("replay %s %s, want %s %s", again.Header().Get("Location"), again.Body,
				first.Header().Get("Location"), first.Body)
		}
		if again.Header().Get(idempotency.ReplayedHeader) != "true" {
			t.Errorf("a replay is not marked %s: true", idempotency.ReplayedHeader)
		}
		if ct := again.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("replay Content-Type %q", ct)
		}
	}
	if len(h.store.notes) != 1 {
		t.Errorf("%d notes stored, want 1", len(h.store.notes))
	}
}

func TestKeyReusedForADifferentNoteIs422(t *testing.T) {
	h := newHarness(t)
	h.post(t, `{"title":"first"}`, someKey).status(201)
	h.post(t, `{"title":"second"}`, someKey).status(422).apiError("idempotency_key_reused")
	h.post(t, `{"title":"first","body":"more"}`, someKey).status(422).apiError("idempotency_key_reused")
	if len(h.store.notes) != 1 {
		t.Errorf("%d notes stored, want 1", len(h.store.notes))
	}
}

func TestWithoutAKeyEveryPostCreates(t *testing.T) {
	h := newHarness(t)
	h.post(t, `{"title":"same"}`).status(201)
	h.post(t, `{"title":"same"}`).status(201)
	if len(h.store.notes) != 2 {
		t.Errorf("%d notes stored, want 2", len(h.store.notes))
	}
}
