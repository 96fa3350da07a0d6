package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/version"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// minGoVersion is the go line of generated go.work files, raised to the
// highest go line of the modules they use.
const minGoVersion = "1.26"

// workspace says where and how the go command must run so that both the
// user's package and the gotoro kernel resolve.
type workspace struct {
	dir    string // working directory for the go command
	gowork string // GOWORK value: "off", or the generated go.work's path
	// work is the content of the go.work file to generate at gowork; empty
	// when GOWORK is off.
	work string
	// view is the module-cache view the package's module is built from
	// (see modView), or "" when it is built where it is.
	view string
}

// env returns the go command environment for w. In workspace mode the go
// command accepts no -mod flag but readonly and vendor, so a -mod=mod in
// the user's GOFLAGS is left out.
func (w workspace) env() []string {
	env := append(slices.Clone(targetEnv), "GOWORK="+w.gowork)
	if w.gowork == "off" {
		return env
	}
	if gf := os.Getenv("GOFLAGS"); strings.Contains(gf, "-mod=mod") {
		var keep []string
		for _, f := range strings.Fields(gf) {
			if f != "-mod=mod" && f != "--mod=mod" {
				keep = append(keep, f)
			}
		}
		env = append(env, "GOFLAGS="+strings.Join(keep, " "))
	}
	return env
}

// userEnv is what `go env` says in the user's working directory.
type userEnv struct {
	GOMOD      string
	GOWORK     string
	GOMODCACHE string
}

// planWorkspace decides how to build pkg (as listed in the user's working
// directory), with root the gotoro source and workFile the path the
// go.work file will have if one is needed:
//
//   - a package of the gotoro module, or a standard-library package (whose
//     import paths resolve anywhere): the go command runs in root with
//     GOWORK=off;
//   - any other package: a generated go.work uses the user's module (or the
//     modules of the user's own go.work) and root. Its go line is the
//     highest of theirs. A package from the module cache, where the go
//     command refuses -overlay files, is built from a view of its module
//     that a replace line in the go.work selects (modView).
func planWorkspace(ctx context.Context, pkg *Package, userDir, root, workFile string, log io.Writer) (workspace, error) {
	if pkg.Standard || (pkg.Module != nil && pkg.Module.Path == ModulePath) {
		return workspace{dir: root, gowork: "off"}, nil
	}
	out, err := goCmd{dir: userDir, args: []string{"env", "-json", "GOMOD", "GOWORK", "GOMODCACHE"}}.output(ctx, log)
	if err != nil {
		return workspace{}, err
	}
	var ue userEnv
	if err := json.Unmarshal(out, &ue); err != nil {
		return workspace{}, fmt.Errorf("reading go env output: %w", err)
	}
	goVersions := []string{minGoVersion}
	if v, err := moduleGoVersion(filepath.Join(root, "go.mod")); err != nil {
		return workspace{}, err
	} else if v != "" {
		goVersions = append(goVersions, v)
	}
	if pkg.Module != nil && pkg.Module.GoVersion != "" {
		goVersions = append(goVersions, pkg.Module.GoVersion)
	}
	var uses []string
	var replaces []string
	switch {
	case ue.GOWORK != "" && ue.GOWORK != "off":
		wf, err := readWorkFile(ctx, ue.GOWORK, log)
		if err != nil {
			return workspace{}, err
		}
		if wf.Go != "" {
			goVersions = append(goVersions, wf.Go)
		}
		for _, u := range wf.Use {
			uses = append(uses, workPath(ue.GOWORK, u.DiskPath))
		}
		for _, r := range wf.Replace {
			replaces = append(replaces, r.directive(ue.GOWORK))
		}
	case ue.GOMOD != "" && ue.GOMOD != "/dev/null" && ue.GOMOD != "NUL":
		uses = append(uses, filepath.Dir(ue.GOMOD))
	default:
		return workspace{}, fmt.Errorf("package %s is not in a Go module (run gotoro inside the module that contains it)", pkg.ImportPath)
	}
	// The user's modules' go lines: a go.work may not name an older Go
	// than any module it uses.
	for _, u := range uses {
		v, err := moduleGoVersion(filepath.Join(u, "go.mod"))
		if err != nil {
			return workspace{}, err
		}
		if v != "" {
			goVersions = append(goVersions, v)
		}
	}
	var view string
	if m := pkg.Module; m != nil && !m.Main && ue.GOMODCACHE != "" && inDir(m.Dir, ue.GOMODCACHE) {
		var err error
		if view, err = modView(ue.GOMODCACHE, m.Dir); err != nil {
			return workspace{}, err
		}
		replaces = append(replaces, fmt.Sprintf("%s %s => %s", quoteModPath(m.Path), m.Version, quoteModPath(view)))
	}
	if !slices.Contains(uses, root) {
		uses = append(uses, root)
	}
	return workspace{
		dir:    uses[0],
		gowork: workFile,
		work:   workFileContent(maxGoVersion(goVersions), uses, replaces...),
		view:   view,
	}, nil
}

// goWork is the part of `go work edit -json` output gotoro reads.
type goWork struct {
	Go      string
	Use     []struct{ DiskPath string }
	Replace []workReplace
}

// workReplace is a replace directive of a go.work file.
type workReplace struct {
	Old, New struct{ Path, Version string }
}

// directive returns r as the text after "replace" in a go.work file in
// another directory than the user's go.work at gowork.
func (r workReplace) directive(gowork string) string {
	old := quoteModPath(r.Old.Path)
	if r.Old.Version != "" {
		old += " " + r.Old.Version
	}
	if r.New.Version != "" {
		return fmt.Sprintf("%s => %s %s", old, quoteModPath(r.New.Path), r.New.Version)
	}
	return fmt.Sprintf("%s => %s", old, quoteModPath(workPath(gowork, r.New.Path)))
}

// workPath makes a directory named in the go.work file at gowork absolute.
func workPath(gowork, dir string) string {
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(filepath.Dir(gowork), dir)
	}
	return filepath.Clean(dir)
}

func readWorkFile(ctx context.Context, path string, log io.Writer) (goWork, error) {
	var wf goWork
	out, err := goCmd{dir: filepath.Dir(path), args: []string{"work", "edit", "-json", path}}.output(ctx, log)
	if err != nil {
		return wf, fmt.Errorf("reading your go.work: %w", err)
	}
	if err := json.Unmarshal(out, &wf); err != nil {
		return wf, fmt.Errorf("reading %s: %w", path, err)
	}
	return wf, nil
}

// maxGoVersion returns the highest of the go-line versions vs ("1.26",
// "1.24.3").
func maxGoVersion(vs []string) string {
	best := vs[0]
	for _, v := range vs[1:] {
		if version.Compare("go"+v, "go"+best) > 0 {
			best = v
		}
	}
	return best
}

// workFileContent returns a go.work file using the module directories,
// with the replace directives replaces ("path version => dir").
func workFileContent(goVersion string, uses []string, replaces ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "// Generated by gotoro build; temporary.\n\ngo %s\n\nuse (\n", goVersion)
	for _, u := range uses {
		fmt.Fprintf(&b, "\t%s\n", quoteModPath(u))
	}
	b.WriteString(")\n")
	for _, r := range replaces {
		fmt.Fprintf(&b, "\nreplace %s\n", r)
	}
	return b.String()
}

// quoteModPath quotes a go.work path when it holds characters that need it.
func quoteModPath(p string) string {
	if p == "" || strings.ContainsAny(p, " \t\n\"'`\\(){}[],;") {
		return strconv.Quote(p)
	}
	return p
}

// moduleGoVersion returns the go line of the go.mod file at path ("" if it
// has none).
func moduleGoVersion(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading a module's go line: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "go" {
			return f[1], nil
		}
	}
	return "", nil
}

// listedInPlace reports whether pkg, as listed in userDir with the user's
// environment, is what listing it again for the build in ws would give:
// a package of the gotoro module at root, built with GOWORK=off, listed
// where no workspace was in effect (GOWORK off, or set nowhere — neither
// in the environment nor in the go command's configuration file — with
// no go.work in userDir or above it, where the go command looks).
func listedInPlace(pkg *Package, ws workspace, root, userDir string) bool {
	if ws.gowork != "off" || pkg.Module == nil || pkg.Module.Path != ModulePath || filepath.Clean(pkg.Module.Dir) != filepath.Clean(root) {
		return false
	}
	switch os.Getenv("GOWORK") {
	case "off":
		return true
	case "":
	default:
		return false
	}
	if goEnvFileSets("GOWORK") {
		return false
	}
	for d := filepath.Clean(userDir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); !errors.Is(err, fs.ErrNotExist) {
			return false // there, or unknown
		}
		if filepath.Dir(d) == d {
			return true
		}
	}
}

// goEnvFileSets reports whether the go command's configuration file (`go
// env -w`) may set the variable name: it does, or the file cannot be read
// for a reason other than its absence.
func goEnvFileSets(name string) bool {
	path := os.Getenv("GOENV")
	switch path {
	case "off":
		return false
	case "":
		dir, err := os.UserConfigDir()
		if err != nil {
			return false // the go command has no file either
		}
		path = filepath.Join(dir, "go", "env")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, _, ok := strings.Cut(strings.TrimSpace(line), "="); ok && k == name {
			return true
		}
	}
	return false
}
