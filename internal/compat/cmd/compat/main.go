// Command compat runs the compatibility suite (package compat): every
// pinned third-party module's tests natively and with gotoro test, from a
// fresh module, and prints the table of docs/compat.md.
//
//	go run ./internal/compat/cmd/compat [-ci] [-only REGEXP] [-dir DIR] [-- gotoro test flags]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"time"

	"github.com/gotoro/gotoro/internal/compat"
)

func main() {
	ci := flag.Bool("ci", false, "only the short subset CI runs")
	only := flag.String("only", "", "only modules matching `regexp`")
	dir := flag.String("dir", "", "work `directory` (a new temporary one if empty; kept)")
	native := flag.Bool("native", false, "only the native runs")
	guest := flag.Bool("guest", false, "only the guest runs")
	prepare := flag.Bool("prepare", false, "only make the module (go mod init, go get)")
	timeout := flag.Duration("timeout", 10*time.Minute, "go test -timeout of each package")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *ci, *only, *dir, *native, *guest, *prepare, *timeout, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "compat:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, ci bool, only, dir string, native, guest, prepare bool, timeout time.Duration, gotoroFlags []string) error {
	re, err := regexp.Compile(only)
	if err != nil {
		return fmt.Errorf("-only: %w", err)
	}
	var suites []compat.Suite
	for _, s := range compat.Suites {
		if (!ci || s.CI) && re.MatchString(s.Module) {
			suites = append(suites, s)
		}
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "gotoro-compat-"); err != nil {
			return err
		}
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	cli := filepath.Join(dir, "gotoro")
	if out, err := exec.Command("go", "build", "-o", cli, "./cmd/gotoro").CombinedOutput(); err != nil {
		return fmt.Errorf("building gotoro (run from the gotoro checkout): %v\n%s", err, out)
	}
	cfg := compat.Config{Dir: dir, Gotoro: cli, GotoroFlags: gotoroFlags, Timeout: timeout, Native: native, Guest: guest, Log: os.Stderr}
	fmt.Fprintf(os.Stderr, "compat: work directory %s\n", dir)
	if err := compat.Prepare(ctx, cfg, suites); err != nil {
		return err
	}
	if prepare {
		return nil
	}
	rs, err := compat.Run(ctx, cfg, suites)
	compat.Markdown(os.Stdout, rs)
	return err
}
