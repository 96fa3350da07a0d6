package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Package is what gotoro needs to know about a Go package (from go list).
type Package struct {
	ImportPath   string
	Name         string
	Dir          string
	Standard     bool
	Module       *Module
	GoFiles      []string
	TestGoFiles  []string
	XTestGoFiles []string
	Deps         []string // every package the package imports, directly or not
	TestImports  []string
	XTestImports []string
	Error        *PackageError
}

// Module is a package's module (from go list).
type Module struct {
	Path      string
	Version   string
	Dir       string
	GoVersion string
	Main      bool
}

// PackageError is go list's error about a package.
type PackageError struct {
	Err string
}

// Err returns go list's error about p as an error, or nil.
func (p *Package) Err() error {
	if p.Error == nil {
		return nil
	}
	return fmt.Errorf("package %s: %s", p.ImportPath, strings.TrimSpace(p.Error.Err))
}

// HasTests reports whether the package has test files.
func (p *Package) HasTests() bool { return len(p.TestGoFiles)+len(p.XTestGoFiles) > 0 }

// listFields are the fields List asks go list for.
const listFields = "ImportPath,Name,Dir,Standard,Module,GoFiles,TestGoFiles,XTestGoFiles,Deps,TestImports,XTestImports,Error"

// UsesNetwork reports whether the program (or, with test, the test binary)
// built from p uses package net: then the image gets the network service
// (package netsvc). For a test, the test files' own imports count when
// they are net or under it, since go list does not give their
// dependencies.
func (p *Package) UsesNetwork(test bool) bool {
	if p.ImportPath == "net" || slices.Contains(p.Deps, "net") {
		return true
	}
	if !test {
		return false
	}
	for _, i := range slices.Concat(p.TestImports, p.XTestImports) {
		if i == "net" || strings.HasPrefix(i, "net/") {
			return true
		}
	}
	return false
}

// List runs go list for the patterns in dir (with the linux/amd64 target
// environment) and returns the packages they match. A package that cannot
// be loaded (a pattern naming a missing directory, say) comes back with its
// Error set, so that the caller can report it and go on with the others.
// goFlags are go build flags as in Options.GoFlags; those that change
// which files belong to a package (-tags) are passed to go list. If log is
// not nil, the go command is printed to it.
func List(ctx context.Context, dir string, goFlags, patterns []string, log io.Writer) ([]*Package, error) {
	return list(ctx, goCmd{dir: dir, env: targetEnv}, loadFlags(goFlags), patterns, log)
}

// list runs go list with the working directory and environment of base.
func list(ctx context.Context, base goCmd, flags, patterns []string, log io.Writer) ([]*Package, error) {
	c := base
	c.args = append([]string{"list", "-e", "-json=" + listFields}, flags...)
	c.args = append(append(c.args, "--"), patterns...)
	out, err := c.output(ctx, log)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", strings.Join(patterns, " "), err)
	}
	var pkgs []*Package
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		p := new(Package)
		if err := dec.Decode(p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("listing %s: reading go list output: %w", strings.Join(patterns, " "), err)
		}
		if p.ImportPath == "command-line-arguments" {
			return nil, fmt.Errorf("%s: gotoro builds packages, not lists of .go files: name the package's directory (e.g. ./cmd/app)", strings.Join(patterns, " "))
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("%s matched no packages", strings.Join(patterns, " "))
	}
	return pkgs, nil
}

// listOne lists pattern, which must name exactly one package.
func listOne(ctx context.Context, base goCmd, flags []string, pattern string, log io.Writer) (*Package, error) {
	pkgs, err := list(ctx, base, flags, []string{pattern}, log)
	if err != nil {
		return nil, err
	}
	if len(pkgs) != 1 {
		return nil, fmt.Errorf("%s matches %d packages; name one", pattern, len(pkgs))
	}
	if err := pkgs[0].Err(); err != nil {
		return nil, err
	}
	return pkgs[0], nil
}
