package compat

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Config says where and how to run suites.
type Config struct {
	// Dir is the work directory: the fresh module (Dir/mod) and the logs
	// (Dir/logs) go there.
	Dir string
	// Gotoro is the gotoro CLI to run.
	Gotoro string
	// GotoroFlags are extra flags for gotoro test (-accel tcg, -cpus 2 …).
	GotoroFlags []string
	// Timeout is each package's go test -timeout (10m if 0).
	Timeout time.Duration
	// Native and Guest choose the runs (both if neither is set).
	Native, Guest bool
	// Log receives progress lines (nothing if nil).
	Log io.Writer
}

// Outcome is one package's result in one run.
type Outcome struct {
	Ran     bool
	Passed  bool
	Elapsed time.Duration // the test binary's time as go test / gotoro test report it
	Wall    time.Duration // wall time of the command, building included
	Failed  []string      // names of failing tests (--- FAIL lines)
	Note    string        // the reason when it did not even run (build failed …)
	Log     string        // log file
}

// Result is one package of a suite, run natively and in the guest.
type Result struct {
	Suite   Suite
	Package string
	Version string // the module version the build list selected
	Native  Outcome
	Guest   Outcome
}

// Prepare makes the fresh module in cfg.Dir/mod, as a user would: go mod
// init, then go get -t of every suite's packages at its pinned version.
func Prepare(ctx context.Context, cfg Config, suites []Suite) error {
	mod := filepath.Join(cfg.Dir, "mod")
	if err := os.MkdirAll(mod, 0o755); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(mod, "go.mod")); err != nil {
		if out, err := command(ctx, mod, "go", "mod", "init", "example.com/compat"); err != nil {
			return fmt.Errorf("go mod init: %v\n%s", err, out)
		}
	}
	for _, s := range suites {
		args := []string{"get", "-t"}
		for _, p := range s.Packages {
			args = append(args, p+"@"+s.Version)
		}
		logf(cfg.Log, "go %s", strings.Join(args, " "))
		if out, err := command(ctx, mod, "go", args...); err != nil {
			return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

// Run runs every package of the suites natively and in the guest, one at a
// time, and returns the results in order. Prepare must have run.
func Run(ctx context.Context, cfg Config, suites []Suite) ([]Result, error) {
	if !cfg.Native && !cfg.Guest {
		cfg.Native, cfg.Guest = true, true
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Minute
	}
	logs := filepath.Join(cfg.Dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return nil, err
	}
	var rs []Result
	for _, s := range suites {
		version := s.Version
		if out, err := command(ctx, filepath.Join(cfg.Dir, "mod"), "go", "list", "-m", "-f", "{{.Version}}", s.Module); err == nil {
			version = strings.TrimSpace(out)
		}
		for _, p := range s.Packages {
			r := Result{Suite: s, Package: p, Version: version}
			timeout := cfg.Timeout
			if s.Timeout > 0 {
				timeout = s.Timeout
			}
			flags := append([]string{"-count=1", "-timeout", timeout.String()}, s.Flags...)
			if s.Skip != "" {
				flags = append(flags, "-skip", s.Skip)
			}
			base := filepath.Join(logs, strings.NewReplacer("/", "_", ".", "_").Replace(p))
			if cfg.Native {
				args := append(append([]string{"test"}, flags...), p)
				r.Native = runOne(ctx, cfg, "go", args, base+".native.log")
				logf(cfg.Log, "native %-50s %s", p, r.Native.summary())
			}
			if cfg.Guest {
				args := append(append(append([]string{"test"}, cfg.GotoroFlags...), flags...), p)
				r.Guest = runOne(ctx, cfg, cfg.Gotoro, args, base+".guest.log")
				logf(cfg.Log, "guest  %-50s %s", p, r.Guest.summary())
			}
			if ctx.Err() != nil {
				return rs, ctx.Err()
			}
			rs = append(rs, r)
		}
	}
	return rs, nil
}

// runOne runs one go test or gotoro test command for one package and
// reads its verdict.
func runOne(ctx context.Context, cfg Config, name string, args []string, logFile string) Outcome {
	start := time.Now()
	out, err := command(ctx, filepath.Join(cfg.Dir, "mod"), name, args...)
	o := Outcome{Ran: true, Wall: time.Since(start), Log: logFile}
	o.Elapsed = reportedTime(out, o.Wall)
	header := "$ " + name + " " + strings.Join(args, " ") + "\n"
	os.WriteFile(logFile, []byte(header+out), 0o644)
	o.Failed = failedTests(out)
	var exit *exec.ExitError
	switch {
	case err == nil:
		o.Passed = true
	case errors.As(err, &exit):
		if strings.Contains(out, "[build failed]") || strings.Contains(out, "[setup failed]") {
			o.Note = "build failed"
		} else if len(o.Failed) == 0 {
			o.Note = lastMeaningfulLine(out)
		}
	default:
		o.Ran = false
		o.Note = err.Error()
	}
	return o
}

var (
	failLine    = regexp.MustCompile(`^\s*--- FAIL: (\S+)`)
	verdictLine = regexp.MustCompile(`(?m)^(?:ok|FAIL)\s+\S+\s+([0-9.]+)s`)
)

// reportedTime returns the time on go test's verdict line ("ok  pkg
// 1.234s"), or wall if there is none.
func reportedTime(out string, wall time.Duration) time.Duration {
	m := verdictLine.FindAllStringSubmatch(out, -1)
	if len(m) == 0 {
		return wall
	}
	d, err := time.ParseDuration(m[len(m)-1][1] + "s")
	if err != nil {
		return wall
	}
	return d
}

// failedTests returns the names of the tests go test reported failing
// (top-level and subtests).
func failedTests(out string) []string {
	var names []string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if m := failLine.FindStringSubmatch(sc.Text()); m != nil {
			names = append(names, m[1])
		}
	}
	return names
}

// lastMeaningfulLine returns the last line of out that is not go test's
// own FAIL summary.
func lastMeaningfulLine(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || l == "FAIL" || strings.HasPrefix(l, "FAIL\t") || strings.HasPrefix(l, "exit status") {
			continue
		}
		if len(l) > 160 {
			l = l[:160] + "…"
		}
		return l
	}
	return ""
}

func (o Outcome) summary() string {
	switch {
	case !o.Ran:
		return "not run: " + o.Note
	case o.Passed:
		return fmt.Sprintf("ok %.1fs", o.Elapsed.Seconds())
	case len(o.Failed) > 0:
		return fmt.Sprintf("FAIL %.1fs %s", o.Elapsed.Seconds(), strings.Join(o.Failed, " "))
	}
	return fmt.Sprintf("FAIL %.1fs %s", o.Elapsed.Seconds(), o.Note)
}

// command runs name with args in dir and returns its combined output.
func command(ctx context.Context, dir, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}
