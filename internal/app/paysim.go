package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"gbmall/internal/paysim"
	"gbmall/internal/platform/clock"
)

// cmdPaysim runs the sandbox payment provider (payment-protocol.md) as a
// process of its own, with its own data directory.
func cmdPaysim(ctx context.Context, env Env, args []string) error {
	var listen, data, platformURL, publicURL, merchant, logLevel string
	fs := newFlagSet(env, "paysim", "Run the sandbox payment provider: its API, the hosted cashier page, signed\n"+
		"notifications with retries, refunds, settlements, daily statements and the\n"+
		"loopback-only sandbox-fault endpoint. Its key pair and SQLite state live in\n"+
		"--data. Prints \"key-id: <id>\" and \"public-key: <base64>\" on lines of their own.")
	fs.StringVar(&listen, "listen", envOr(env.Getenv, "GBMALL_PAYSIM_LISTEN", "127.0.0.1:8090"), "address to listen on (env GBMALL_PAYSIM_LISTEN)")
	fs.StringVar(&data, "data", envOr(env.Getenv, "GBMALL_PAYSIM_DATA", "./paysim-data"), "data directory: paysim.db and paysim.key (env GBMALL_PAYSIM_DATA)")
	fs.StringVar(&platformURL, "platform-url", envOr(env.Getenv, "GBMALL_PAYSIM_PLATFORM_URL", "http://127.0.0.1:8080"), "the platform's base URL; its keys come from URL/api/v1/payment-keys (env GBMALL_PAYSIM_PLATFORM_URL)")
	fs.StringVar(&publicURL, "public-url", env.Getenv("GBMALL_PAYSIM_PUBLIC_URL"), "paysim's own base URL for pay_url links (default: http:// + the request's host)")
	fs.StringVar(&merchant, "merchant-name", "gbmall", "merchant name shown on the cashier page")
	fs.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	clk, err := clock.FromEnv(env.Getenv)
	if err != nil {
		return err
	}
	ps, err := paysim.New(paysim.Config{
		DataDir: data, PlatformURL: platformURL, PublicURL: publicURL, MerchantName: merchant,
		Clock: clk, Logger: newLogger(env.Stderr, logLevel),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "key-id: %s\n", ps.KeyID())
	fmt.Fprintf(env.Stdout, "public-key: %s\n", ps.PublicKey())
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		ps.Close()
		return err
	}
	fmt.Fprintf(env.Stdout, "listening: http://%s\n", ln.Addr())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ps.Start(ctx)
	errc := make(chan error, 1)
	go func() { errc <- ps.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	done := make(chan error, 1)
	go func() { done <- ps.Close() }()
	select {
	case cerr := <-done:
		return errors.Join(err, cerr)
	case <-time.After(15 * time.Second):
		return errors.Join(err, errors.New("paysim: shutdown timed out"))
	}
}
