package config

import (
	"bytes"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var ecsEnv = map[string]string{
	"APP_ENV":     "staging",
	"DB_HOST":     "db.example.internal",
	"DB_NAME":     "octabyte",
	"DB_USER":     "app",
	"DB_PASSWORD": "p@ss:w/rd?#% x",
}

func TestDefaultsMatchTheECSContract(t *testing.T) {
	c, err := Load(env(ecsEnv))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 5000 || c.DrainTimeout != 20*time.Second || c.DB.Port != 5432 ||
		c.DB.SSLMode != "require" || c.LogLevel != slog.LevelInfo || c.Environment != "staging" {
		t.Errorf("defaults: %+v", c)
	}
}

func TestConnStringEscapesThePassword(t *testing.T) {
	c, err := Load(env(ecsEnv))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(c.DB.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	if pw, _ := u.User.Password(); pw != ecsEnv["DB_PASSWORD"] || u.User.Username() != "app" {
		t.Errorf("credentials did not survive: %q", pw)
	}
	if u.Host != "db.example.internal:5432" || u.Path != "/octabyte" || u.Query().Get("sslmode") != "require" {
		t.Errorf("conn string %v", u.Redacted())
	}
}

func TestVerifyFullPassesTheRootCert(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "rds-ca.pem")
	if err := os.WriteFile(ca, []byte("pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := map[string]string{"DB_SSLMODE": "verify-full", "DB_SSLROOTCERT": ca}
	maps.Copy(m, ecsEnv)
	c, err := Load(env(m))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(c.DB.ConnString())
	if u.Query().Get("sslmode") != "verify-full" || u.Query().Get("sslrootcert") != ca {
		t.Errorf("query %v", u.Query())
	}
}

func TestDatabaseURLWins(t *testing.T) {
	c, err := Load(env(map[string]string{"DATABASE_URL": "postgres://u:secret@localhost:5433/db?sslmode=disable", "DB_HOST": "ignored"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DB.ConnString() != "postgres://u:secret@localhost:5433/db?sslmode=disable" {
		t.Errorf("got %q", c.DB.ConnString())
	}
}

func TestErrorsNameTheVariableAndWhatIsAllowed(t *testing.T) {
	_, err := Load(env(map[string]string{
		"PORT": "0", "DRAIN_TIMEOUT": "45s", "LOG_LEVEL": "loud", "DB_SSLMODE": "prefer",
		"DB_PORT": "x", "DB_SSLROOTCERT": "/nonexistent.pem",
	}))
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{
		`PORT="0": must be`, `DRAIN_TIMEOUT="45s": must be`, `LOG_LEVEL="loud": must be`,
		`DB_SSLMODE="prefer": must be require, verify-ca, verify-full or disable`,
		`DB_PORT="x"`, `DB_SSLROOTCERT="/nonexistent.pem"`,
		"DB_HOST: required", "DB_NAME: required", "DB_USER: required",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestBadDatabaseURLIsNotEchoed(t *testing.T) {
	_, err := Load(env(map[string]string{"DATABASE_URL": "mysql://u:hunter2@h/db"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v", err)
	}
}

func TestLoggingTheDBConfigShowsNoCredentials(t *testing.T) {
	for name, m := range map[string]map[string]string{
		"parts": ecsEnv,
		"url":   {"DATABASE_URL": "postgres://app:p%40ss@db:5432/octabyte?sslmode=disable"},
	} {
		c, err := Load(env(m))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "db", c.DB)
		out := buf.String()
		for _, secret := range []string{"p@ss", "p%40ss", `"app"`, "app:"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s: log line contains %q: %s", name, secret, out)
			}
		}
		if !strings.Contains(out, "octabyte") {
			t.Errorf("%s: log line lacks the database name: %s", name, out)
		}
	}
}
