package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/gotoro/gotoro/host/build"
)

// buildOptions are the parsed flags of gotoro build.
type buildOptions struct {
	output  string
	files   mountsFlag
	verbose bool
	gf      goFlags
}

func buildFlagSet() (*flag.FlagSet, *buildOptions) {
	o := &buildOptions{}
	fs := flag.NewFlagSet("gotoro build", flag.ContinueOnError)
	fs.StringVar(&o.output, "o", "", "write the image to `FILE` (default: PKGDIR.img)")
	fs.Var(&o.files, "files", "pack the host directory `DIR[:GUESTDIR]` into the image (repeatable)")
	fs.BoolVar(&o.verbose, "v", false, "print the go commands")
	o.gf.register(fs)
	setUsage(fs, buildUsage)
	return fs, o
}

// parseUsage parses args with fs and reports a status to exit with if
// parsing failed: -h prints the whole usage, a bad flag its error and one
// line pointing at gotoro help.
func (c *cli) parseUsage(fs *flag.FlagSet, args []string) (int, bool) {
	usage := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.Usage = usage
	fs.SetOutput(c.stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return 0, false
		}
		return c.usageError(fs, "%v", err), false
	}
	return 0, true
}

// usageError prints a usage error for fs and a pointer to its help, and
// returns exitError.
func (c *cli) usageError(fs *flag.FlagSet, format string, args ...any) int {
	fmt.Fprintf(c.stderr, "%s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fmt.Fprintf(c.stderr, "Run 'gotoro help %s' for usage.\n", strings.TrimPrefix(fs.Name(), "gotoro "))
	return exitError
}

func (c *cli) build(args []string) int {
	fs, o := buildFlagSet()
	if code, ok := c.parseUsage(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return c.usageError(fs, "want exactly one package, got %d arguments", fs.NArg())
	}
	_, err := build.Build(c.ctx, build.Options{
		Package: fs.Arg(0),
		Output:  o.output,
		Files:   o.files,
		GoFlags: o.gf.args(),
		Verbose: o.verbose,
		Log:     c.stderr,
	})
	if err != nil {
		return c.fail(err)
	}
	return 0
}
