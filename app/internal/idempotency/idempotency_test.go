package idempotency

import (
	"bytes"
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
