package notes

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzAppendJSON holds AppendJSON to json.Marshal, byte for byte, for any
// title and body (valid UTF-8 or not) and any time json.Marshal accepts.
func FuzzAppendJSON(f *testing.F) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\r\b\f", "\x00\x01\x1f\x7f",
		"<script>&amp;</script>", "é ü 中文 🎉", "\u2028\u2029", "\xff\xfe invalid", "a\xc3", "\xed\xa0\x80"} {
		f.Add(s, s+"!", int64(1764237600123456789))
	}
	f.Add("t", "b", int64(-62135596800000000)) // year 1
	f.Fuzz(func(t *testing.T, title, body string, nanos int64) {
		n := Note{ID: "0b7c5a3e-2f5d-4c1a-9a8e-3d2f1b0c9e8d", Title: title, Body: body, CreatedAt: time.Unix(0, nanos).UTC()}
		want, err := json.Marshal(n)
		if err != nil {
			return // a time json.Marshal refuses; the API never stores one
		}
		if got := n.AppendJSON(nil); string(got) != string(want) {
			t.Fatalf("AppendJSON\n%s\njson.Marshal\n%s", got, want)
		}
	})
}
