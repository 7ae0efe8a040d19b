package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os/user"
	"runtime/debug"
	"strings"

	"gbmall/internal/audit"
	"gbmall/internal/identity"
)

// Version is set at build time with -ldflags "-X gbmall/internal/app.Version=…".
var Version = "dev"

// Env is what a command sees of its process: arguments, environment and
// streams (so tests can run commands in-process, as Mat Ryer's run() does).
type Env struct {
	Args   []string
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

const usage = `gbmall — an e-commerce marketplace platform built to GB/T 31524-2015.

Usage: gbmall <command> [flags]

Commands:
  serve            run the platform: HTTP API, consoles and background jobs
  migrate          apply database migrations
  operator create  create a platform staff account (prints its TOTP secret)
  audit verify     check the audit trail's hash chains
  jobs run-due     run every periodic job that is due now, once
  bench            generate benchmark data (seed) or load a running server (http)
  paysim           run the sandbox payment provider (its own process and data)
  version          print the version

Run "gbmall <command> --help" for a command's flags.
`

// Run runs one gbmall command and returns the process exit code.
func Run(ctx context.Context, env Env) int {
	if len(env.Args) < 2 {
		fmt.Fprint(env.Stderr, usage)
		return 2
	}
	cmd, rest := env.Args[1], env.Args[2:]
	var err error
	switch cmd {
	case "serve":
		err = cmdServe(ctx, env, rest)
	case "migrate":
		err = cmdMigrate(ctx, env, rest)
	case "operator":
		if len(rest) == 0 || rest[0] != "create" {
			fmt.Fprintln(env.Stderr, "usage: gbmall operator create --login L --password P --role R[,R…]")
			return 2
		}
		err = cmdOperatorCreate(ctx, env, rest[1:])
	case "audit":
		if len(rest) == 0 || rest[0] != "verify" {
			fmt.Fprintln(env.Stderr, "usage: gbmall audit verify [--data DIR] [--database URL]")
			return 2
		}
		return cmdAuditVerify(ctx, env, rest[1:])
	case "jobs":
		if len(rest) == 0 || rest[0] != "run-due" {
			fmt.Fprintln(env.Stderr, "usage: gbmall jobs run-due [--data DIR] [--database URL]")
			return 2
		}
		err = cmdJobsRunDue(ctx, env, rest[1:])
	case "bench":
		err = cmdBench(ctx, env, rest)
	case "paysim":
		err = cmdPaysim(ctx, env, rest)
	case "version", "--version":
		fmt.Fprintln(env.Stdout, versionString())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return 0
	default:
		fmt.Fprintf(env.Stderr, "gbmall: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "gbmall:", err)
		return 1
	}
	return 0
}

func versionString() string {
	v := "gbmall " + Version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		v += " " + bi.GoVersion
	}
	return v
}

func newFlagSet(env Env, name, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet("gbmall "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: gbmall %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

func cmdMigrate(ctx context.Context, env Env, args []string) error {
	var c Common
	fs := newFlagSet(env, "migrate", "Apply every pending database migration. Safe to run while serve runs.")
	c.bind(fs, env.Getenv)
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := Open(ctx, c, env.Getenv, newLogger(env.Stderr, "warn"), true, identity.DefaultConfig())
	if err != nil {
		return err
	}
	defer p.Close()
	fmt.Fprintf(env.Stdout, "migrations: up to date (%s)\n", p.DB.Dialect())
	return nil
}

func cmdOperatorCreate(ctx context.Context, env Env, args []string) error {
	var c Common
	var login, password, roles, name string
	fs := newFlagSet(env, "operator create", "Create a platform staff account with platform roles, enrolled in TOTP.\nPrints \"totp-secret: <BASE32>\" on a line of its own.")
	c.bind(fs, env.Getenv)
	fs.StringVar(&login, "login", "", "email or mainland mobile number (required)")
	fs.StringVar(&password, "password", "", "password; prompted for on standard input when empty")
	fs.StringVar(&roles, "role", "", "platform roles, comma-separated: admin, reviewer, mediator, security_admin, auditor (required)")
	fs.StringVar(&name, "name", "", "display name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if login == "" || roles == "" {
		fs.Usage()
		return errors.New("--login and --role are required")
	}
	if password == "" {
		fmt.Fprint(env.Stderr, "password: ")
		line, err := readLine(env.Stdin)
		if err != nil {
			return fmt.Errorf("read password: %w", err)
		}
		password = line
	}
	var rs []identity.Role
	for _, r := range strings.Split(roles, ",") {
		if r = strings.TrimSpace(r); r != "" {
			rs = append(rs, identity.Role(r))
		}
	}
	p, err := Open(ctx, c, env.Getenv, newLogger(env.Stderr, "warn"), true, identity.DefaultConfig())
	if err != nil {
		return err
	}
	defer p.Close()
	// R-5.2-3: whoever runs this confirms the confidentiality agreement for roles that read personal data.
	confirmer := "cli"
	if u, err := user.Current(); err == nil {
		confirmer = "cli:" + u.Username
	}
	ctx = audit.WithActor(ctx, audit.Actor{AccountID: confirmer, Role: "cli", SourceIP: "local"})
	op, err := p.Identity.CreateOperator(ctx, login, password, name, rs, confirmer, false)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(env.Stdout, "account-id: %s\n", op.AccountID)
	fmt.Fprintf(env.Stdout, "roles: %s\n", roles)
	fmt.Fprintf(env.Stdout, "totp-secret: %s\n", op.TOTPSecret)
	fmt.Fprintf(env.Stdout, "totp-uri: otpauth://totp/gbmall:%s?secret=%s&issuer=gbmall&algorithm=SHA1&digits=6&period=30\n", login, op.TOTPSecret)
	return nil
}

func readLine(r io.Reader) (string, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if buf[0] == '\n' {
				break
			}
			b.WriteByte(buf[0])
		}
		if err != nil {
			if err == io.EOF && b.Len() > 0 {
				break
			}
			return "", err
		}
	}
	return strings.TrimRight(b.String(), "\r"), nil
}

func cmdAuditVerify(ctx context.Context, env Env, args []string) int {
	var c Common
	fs := newFlagSet(env, "audit verify", "Walk every audit chain. Exit 0 and print \"ok: N entries\" when it holds;\notherwise exit 1 naming the first bad entry.")
	c.bind(fs, env.Getenv)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	p, err := Open(ctx, c, env.Getenv, newLogger(env.Stderr, "warn"), false, identity.DefaultConfig())
	if err != nil {
		fmt.Fprintln(env.Stderr, "gbmall:", err)
		return 2
	}
	defer p.Close()
	res, err := audit.Verify(ctx, p.DB)
	if err != nil {
		fmt.Fprintln(env.Stderr, "gbmall:", err)
		return 2
	}
	if !res.OK() {
		fmt.Fprintf(env.Stdout, "FAILED: first bad entry %s: %s (%d entries read)\n", res.BadID, res.Reason, res.Entries)
		return 1
	}
	fmt.Fprintf(env.Stdout, "ok: %d entries\n", res.Entries)
	return 0
}

func cmdJobsRunDue(ctx context.Context, env Env, args []string) error {
	var c Common
	fs := newFlagSet(env, "jobs run-due", "Run every periodic job that is due now (by the platform clock), once, and exit.")
	c.bind(fs, env.Getenv)
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := Open(ctx, c, env.Getenv, newLogger(env.Stderr, "warn"), false, identity.DefaultConfig())
	if err != nil {
		return err
	}
	defer p.Close()
	results, err := p.Scheduler.RunDueAll(ctx)
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range results {
		status := "ok"
		if r.Err != nil {
			status = "error: " + r.Err.Error()
			failed++
		}
		fmt.Fprintf(env.Stdout, "%s: %s (%s)\n", r.Name, status, r.Duration.Round(1e6))
	}
	fmt.Fprintf(env.Stdout, "ran %d due jobs at %s\n", len(results), p.Clock.Now().Format("2006-01-02T15:04:05Z07:00"))
	if failed > 0 {
		return fmt.Errorf("%d jobs failed", failed)
	}
	return nil
}

// describe renders a domain error for the terminal, in English.
func describe(err error) error {
	return err
}
