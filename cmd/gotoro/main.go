// Command gotoro builds Go programs into gotoro unikernel images and runs
// them, and their tests, in QEMU microVMs. Run `gotoro help` for usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
)

// Exit statuses of gotoro's own outcomes. A guest's exit status is passed
// through as is, so a guest that exits with one of these numbers cannot be
// told apart from them.
const (
	exitTimeout     = 124 // the guest did not exit within -timeout
	exitError       = 125 // gotoro or QEMU failed, or bad usage
	exitFault       = 126 // the guest kernel stopped on a fault
	exitInterrupted = 130 // interrupted by SIGINT or SIGTERM
	exitTestsFailed = 1   // gotoro test: a package failed (like go test)
)

func main() {
	started := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	g := &graceful{stop: make(chan struct{})}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		// A running guest is asked to stop first (gotoro run); a second
		// signal, or any signal to another command, cancels at once.
		if g.armed.Load() {
			close(g.stop)
			<-sigs
		}
		cancel()
	}()
	g.stdin = guestStdin(os.Stdin)
	code := gotoroWith(ctx, g, started, os.Args[1:], os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}

// graceful is how gotoro's process reaches a running guest: SIGINT and
// SIGTERM (armed while gotoro run waits for one, stop closes on the first
// signal) and the standard input.
type graceful struct {
	armed atomic.Bool
	stop  chan struct{}
	// stdin is what gotoro run gives the guest's standard input (nil:
	// end of file at once).
	stdin io.Reader
}

// gotoro runs the command line args and returns the exit status.
func gotoro(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return gotoroWith(ctx, nil, time.Now(), args, stdout, stderr)
}

// gotoroWith is gotoro with g (nil: none) passing signals to a guest, for
// a process whose main function started at started.
func gotoroWith(ctx context.Context, g *graceful, started time.Time, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage)
		return exitError
	}
	c := &cli{ctx: ctx, stdout: stdout, stderr: stderr, graceful: g, started: started}
	var code int
	switch cmd, rest := args[0], args[1:]; cmd {
	case "build":
		code = c.build(rest)
	case "run":
		code = c.run(rest)
	case "test":
		code = c.test(rest)
	case "bench":
		code = c.bench(rest)
	case "prof":
		code = c.prof(rest)
	case "debug":
		code = c.debug(rest)
	case "help", "-h", "-help", "--help":
		code = c.help(rest)
	default:
		fmt.Fprintf(stderr, "gotoro: unknown command %q\n\n%s", cmd, mainUsage)
		return exitError
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "gotoro: interrupted")
		return exitInterrupted
	}
	return code
}

// cli holds what every subcommand needs.
type cli struct {
	ctx            context.Context
	stdout, stderr io.Writer
	graceful       *graceful // nil: signals only cancel ctx
	started        time.Time // when the process's main function started
}

// fail prints err and returns exitError, or exitInterrupted if err is due to
// an interrupt (the caller prints nothing more in that case).
func (c *cli) fail(err error) int {
	if c.ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, c.ctx.Err())) {
		return exitInterrupted
	}
	fmt.Fprintf(c.stderr, "gotoro: %v\n", err)
	return exitError
}

// exitCode maps a guest run to gotoro's exit status, printing a note for
// outcomes other than a guest exit.
func (c *cli) exitCode(res qemu.Result, err error) int {
	if errors.Is(err, qemu.ErrStopTimeout) {
		fmt.Fprintf(c.stderr, "gotoro: %v\n", err)
		return exitInterrupted
	}
	if err != nil {
		return c.fail(err)
	}
	switch res.Outcome {
	case qemu.Faulted:
		fmt.Fprintln(c.stderr, "gotoro: guest fault (see the report above)")
		return exitFault
	case qemu.TimedOut:
		return exitTimeout // qemu.Run has said so
	}
	return res.Status
}
