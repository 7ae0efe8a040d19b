// Package app wires gbmall together: configuration from flags and GBMALL_*
// variables, the database, the domain services, the HTTP server and the
// jobs, and the subcommands of the gbmall binary. It holds no business
// rules.
package app

import (
	"flag"
	"fmt"
	"strings"
	"time"
)

// Common are the options every data-touching subcommand takes.
type Common struct {
	DataDir  string
	Database string
}

func (c *Common) bind(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&c.DataDir, "data", envOr(getenv, "GBMALL_DATA", "./gbmall-data"), "data directory: SQLite database, keys, uploads (env GBMALL_DATA)")
	fs.StringVar(&c.Database, "database", getenv("GBMALL_DATABASE"), "database URL: empty for SQLite in the data directory, or postgres://… (env GBMALL_DATABASE)")
}

// ServeConfig are the options of `gbmall serve`.
type ServeConfig struct {
	Common
	Listen          string
	PublicURL       string
	RateLimits      string
	Demo            bool
	DemoForce       bool
	TLSCert         string
	TLSKey          string
	SessionLifetime time.Duration
	TrustProxy      bool
	LogLevel        string
	NoJobs          bool
}

func (c *ServeConfig) bind(fs *flag.FlagSet, getenv func(string) string) {
	c.Common.bind(fs, getenv)
	fs.StringVar(&c.Listen, "listen", envOr(getenv, "GBMALL_LISTEN", "127.0.0.1:8080"), "address to listen on (env GBMALL_LISTEN)")
	fs.StringVar(&c.PublicURL, "public-url", getenv("GBMALL_PUBLIC_URL"), "base of every link the platform hands out, e.g. payment notify_url (env GBMALL_PUBLIC_URL; default http:// + the listen address)")
	fs.StringVar(&c.RateLimits, "rate-limits", envOr(getenv, "GBMALL_RATE_LIMITS", "on"), "on|off: per-address throttling; off for load tests (account lockout stays on) (env GBMALL_RATE_LIMITS)")
	fs.BoolVar(&c.Demo, "demo", false, "load the demo dataset and print the demo logins (refused with postgres:// unless --demo-force)")
	fs.BoolVar(&c.DemoForce, "demo-force", false, "allow --demo on a PostgreSQL database")
	fs.StringVar(&c.TLSCert, "tls-cert", getenv("GBMALL_TLS_CERT"), "TLS certificate file; with --tls-key, serve HTTPS with HSTS (env GBMALL_TLS_CERT)")
	fs.StringVar(&c.TLSKey, "tls-key", getenv("GBMALL_TLS_KEY"), "TLS private key file (env GBMALL_TLS_KEY)")
	fs.DurationVar(&c.SessionLifetime, "session-lifetime", envDuration(getenv, "GBMALL_SESSION_LIFETIME", 12*time.Hour), "absolute lifetime of a login session (env GBMALL_SESSION_LIFETIME)")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", getenv("GBMALL_TRUST_PROXY") == "1", "take the client address from X-Forwarded-For (only behind a reverse proxy you run) (env GBMALL_TRUST_PROXY=1)")
	fs.StringVar(&c.LogLevel, "log-level", envOr(getenv, "GBMALL_LOG_LEVEL", "info"), "debug|info|warn|error (env GBMALL_LOG_LEVEL)")
	fs.BoolVar(&c.NoJobs, "no-jobs", getenv("GBMALL_NO_JOBS") == "1", "do not run background jobs in this process (env GBMALL_NO_JOBS=1)")
}

// Validate checks combinations of options.
func (c *ServeConfig) Validate() error {
	if c.RateLimits != "on" && c.RateLimits != "off" {
		return fmt.Errorf("--rate-limits must be on or off, not %q", c.RateLimits)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if c.Demo && isPostgres(c.Database) && !c.DemoForce {
		return fmt.Errorf("--demo loads accounts with a published password; refusing it on a PostgreSQL database without --demo-force")
	}
	if c.SessionLifetime < time.Minute {
		return fmt.Errorf("--session-lifetime must be at least 1m")
	}
	if c.PublicURL == "" {
		scheme := "http://"
		if c.TLSCert != "" {
			scheme = "https://"
		}
		c.PublicURL = scheme + c.Listen
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return nil
}

func isPostgres(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

func envOr(getenv func(string) string, k, def string) string {
	if v := getenv(k); v != "" {
		return v
	}
	return def
}

func envDuration(getenv func(string) string, k string, def time.Duration) time.Duration {
	if v := getenv(k); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}
