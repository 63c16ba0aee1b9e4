// Package config reads the service's settings from the environment the ECS
// task definition (or compose.yaml) provides.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the validated runtime configuration.
type Config struct {
	Port         int
	Environment  string
	DrainTimeout time.Duration
	LogLevel     slog.Level
	DB           DB
}

// DB describes how to reach PostgreSQL. It never appears in logs whole:
// use LogValue, which leaves the credentials out.
type DB struct {
	URL      string // DATABASE_URL, used as is when set
	Host     string
	Port     int
	Name     string
	User     string
	Password string
	SSLMode  string
	RootCert string
}

// maxDrain keeps the drain below the ECS stopTimeout (30s), after which the
// task is killed and in-flight requests are cut off.
const maxDrain = 29 * time.Second

// Load reads the configuration with getenv (os.Getenv in production). The
// error names every bad or missing variable and what is allowed.
func Load(getenv func(string) string) (Config, error) {
	var errs []error
	bad := func(key, val, want string) {
		errs = append(errs, fmt.Errorf("%s=%q: %s", key, val, want))
	}
	get := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}

	c := Config{Environment: get("APP_ENV", "local")}

	portStr := get("PORT", "5000")
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		bad("PORT", portStr, "must be a TCP port number 1..65535")
	}
	c.Port = port

	drainStr := get("DRAIN_TIMEOUT", "20s")
	drain, err := time.ParseDuration(drainStr)
	if err != nil || drain <= 0 || drain > maxDrain {
		bad("DRAIN_TIMEOUT", drainStr, "must be a Go duration above 0 and at most 29s (ECS stopTimeout is 30s)")
	}
	c.DrainTimeout = drain

	levelStr := get("LOG_LEVEL", "info")
	if err := c.LogLevel.UnmarshalText([]byte(levelStr)); err != nil {
		bad("LOG_LEVEL", levelStr, "must be debug, info, warn or error")
	}

	if u := get("DATABASE_URL", ""); u != "" {
		// Validate the shape only; pgx parses it. The value is not echoed: it may hold a password.
		if p, err := url.Parse(u); err != nil || (p.Scheme != "postgres" && p.Scheme != "postgresql") {
			errs = append(errs, errors.New("DATABASE_URL: must be a postgres:// or postgresql:// URL"))
		}
		c.DB.URL = u
		return c, errors.Join(errs...)
	}

	c.DB.Host = get("DB_HOST", "")
	if c.DB.Host == "" {
		errs = append(errs, errors.New("DB_HOST: required unless DATABASE_URL is set"))
	}
	dbPortStr := get("DB_PORT", "5432")
	dbPort, err := strconv.Atoi(dbPortStr)
	if err != nil || dbPort < 1 || dbPort > 65535 {
		bad("DB_PORT", dbPortStr, "must be a TCP port number 1..65535")
	}
	c.DB.Port = dbPort
	c.DB.Name = get("DB_NAME", "")
	if c.DB.Name == "" {
		errs = append(errs, errors.New("DB_NAME: required unless DATABASE_URL is set"))
	}
	c.DB.User = get("DB_USER", "")
	if c.DB.User == "" {
		errs = append(errs, errors.New("DB_USER: required unless DATABASE_URL is set"))
	}
	c.DB.Password = getenv("DB_PASSWORD") // not trimmed: spaces may be part of it
	c.DB.SSLMode = get("DB_SSLMODE", "require")
	switch c.DB.SSLMode {
	case "require", "verify-ca", "verify-full", "disable":
	default:
		bad("DB_SSLMODE", c.DB.SSLMode, "must be require, verify-ca, verify-full or disable (local only)")
	}
	c.DB.RootCert = get("DB_SSLROOTCERT", "")
	if c.DB.RootCert != "" {
		if _, err := os.Stat(c.DB.RootCert); err != nil {
			bad("DB_SSLROOTCERT", c.DB.RootCert, "must be a readable PEM file")
		}
	}
	return c, errors.Join(errs...)
}

// ConnString is the pgx connection string. It holds the password: never log it.
func (d DB) ConnString() string {
	if d.URL != "" {
		return d.URL
	}
	q := url.Values{"sslmode": {d.SSLMode}}
	if d.RootCert != "" {
		q.Set("sslrootcert", d.RootCert)
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(d.User, d.Password),
		Host:     net.JoinHostPort(d.Host, strconv.Itoa(d.Port)),
		Path:     "/" + d.Name,
		RawQuery: q.Encode(),
	}
	return u.String()
}

// LogValue implements slog.LogValuer so that logging a DB shows where it
// points and how, but never who or with which password.
func (d DB) LogValue() slog.Value {
	if d.URL != "" {
		u, err := url.Parse(d.URL)
		if err != nil {
			return slog.StringValue("DATABASE_URL (unparsable)")
		}
		return slog.GroupValue(
			slog.String("source", "DATABASE_URL"),
			slog.String("host", u.Host),
			slog.String("name", strings.TrimPrefix(u.Path, "/")),
			slog.String("sslmode", u.Query().Get("sslmode")),
		)
	}
	return slog.GroupValue(
		slog.String("host", d.Host),
		slog.Int("port", d.Port),
		slog.String("name", d.Name),
		slog.String("sslmode", d.SSLMode),
	)
}
