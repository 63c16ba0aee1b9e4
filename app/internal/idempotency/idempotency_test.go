package idempotency

import (
	"bytes"
	"strings"
	"testing"
)

func TestFingerprintTellsPartsApart(t *testing.T) {
	if bytes.Equal(Fingerprint("ab", "c"), Fingerprint("a", "bc")) {
		t.Error(`("ab","c") and ("a","bc") have one fingerprint`)
	}
	if !bytes.Equal(Fingerprint("POST", "/x", "t", ""), Fingerprint("POST", "/x", "t", "")) {
		t.Error("the same parts give different fingerprints")
	}
}

func TestQuotedAndBareKeyAreOneKey(t *testing.T) {
	bare, err1 := ParseKey([]string{"abc"})
	quoted, err2 := ParseKey([]string{`"abc"`})
	if err1 != nil || err2 != nil || bare != quoted || bare != "abc" {
		t.Errorf("bare %q %v, quoted %q %v", bare, err1, quoted, err2)
	}
	if k, err := ParseKey(nil); k != "" || err != nil {
		t.Errorf("no header: %q %v", k, err)
	}
}

// Every byte is checked against the documented alphabet, spelled out here
// independently of keyChar, so that a range's ends (a, z, A, Z, 0, 9) and
// their ASCII neighbours (@ [ ` { and so on) are each tried.
func TestParseKeyAcceptsExactlyTheDocumentedCharacters(t *testing.T) {
	const allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:~+/="
	for c := range 256 {
		_, err := ParseKey([]string{string([]byte{'k', byte(c), 'k'})})
		if want := strings.IndexByte(allowed, byte(c)) >= 0; (err == nil) != want {
			t.Errorf("byte %#02x (%q): accepted %v, want %v", c, byte(c), err == nil, want)
		}
	}
}
