// Command gbmall is the e-commerce marketplace platform of GB/T 31524-2015:
// one binary for the server, its operations commands and the sandbox
// payment provider. All wiring lives in internal/app.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"gbmall/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Run(ctx, app.Env{Args: os.Args, Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
