package build

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// goCmd is one invocation of the go command.
type goCmd struct {
	dir  string   // working directory
	env  []string // added to (and overriding) the process environment
	args []string // after "go"
}

// targetEnv is the environment every gotoro build uses.
var targetEnv = []string{"GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0"}

// String renders c as a shell command, for -x style output.
func (c goCmd) String() string {
	var b strings.Builder
	if c.dir != "" {
		fmt.Fprintf(&b, "cd %s && ", quote(c.dir))
	}
	for _, e := range c.env {
		b.WriteString(quote(e))
		b.WriteByte(' ')
	}
	b.WriteString("go")
	for _, a := range c.args {
		b.WriteByte(' ')
		b.WriteString(quote(a))
	}
	return b.String()
}

// output runs c and returns its standard output. On failure the error holds
// the go command's standard error. If log is not nil, the command is
// printed to it first and its standard error is copied to it.
func (c goCmd) output(ctx context.Context, log io.Writer) ([]byte, error) {
	if log != nil {
		fmt.Fprintln(log, c)
	}
	cmd := exec.CommandContext(ctx, "go", c.args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), c.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if log != nil {
		cmd.Stderr = io.MultiWriter(&stderr, log)
	}
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, fmt.Errorf("go %s: %w\n%s", c.args[0], err, msg)
		}
		return nil, fmt.Errorf("go %s: %w", c.args[0], err)
	}
	return stdout.Bytes(), nil
}

// quote quotes s for a shell if it needs it.
func quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+,./:@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
