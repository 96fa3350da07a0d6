package build

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// A module in the module cache cannot take the kernel file: the go command
// refuses -overlay replacements beneath GOMODCACHE. gotoro builds such a
// module from a view of it instead: a symlink to the module's cache
// directory, outside the cache, that a replace line of the generated
// go.work selects for the module's version. The go command reads the same
// files through it, the overlay adds the kernel file in the view, and the
// build list stays the user's (a replaced module is not a main module).
//
// The view's path is stable (the user's cache directory, then the module's
// path and version as the module cache spells them), because it is part
// of every compiled file's name: the go build cache is then reused from
// one gotoro test to the next. Test binaries see these names
// (runtime.Caller), which is why the image packs the view as a symlink to
// the module's tree (testTree).

// viewRootEnv overrides where module views live (for tests).
const viewRootEnv = "GOTORO_MODVIEW"

// viewRoot returns the directory that holds module views.
func viewRoot() (string, error) {
	if d := os.Getenv(viewRootEnv); d != "" {
		return filepath.Abs(d)
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no place for module views (%v); set %s to a directory", err, viewRootEnv)
	}
	return filepath.Join(c, "gotoro", "modview"), nil
}

// modView returns the view of the module cache directory modDir (beneath
// gomodcache), creating or repairing its symlink.
func modView(gomodcache, modDir string) (string, error) {
	rel, err := filepath.Rel(gomodcache, modDir)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return "", fmt.Errorf("%s is not a module directory in %s", modDir, gomodcache)
	}
	root, err := viewRoot()
	if err != nil {
		return "", err
	}
	if inDir(root, gomodcache) {
		return "", fmt.Errorf("module views at %s would be inside GOMODCACHE (%s); set %s elsewhere", root, gomodcache, viewRootEnv)
	}
	view := filepath.Join(root, rel)
	if target, err := os.Readlink(view); err == nil && target == modDir {
		return view, nil
	}
	if err := os.MkdirAll(filepath.Dir(view), 0o755); err != nil {
		return "", fmt.Errorf("making the module view of %s: %w", modDir, err)
	}
	// Another gotoro may be making the same view: build the link under a
	// name of its own and rename it into place, which is atomic.
	tmp := view + ".tmp-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := os.Symlink(modDir, tmp); err != nil {
		return "", fmt.Errorf("making the module view of %s: %w", modDir, err)
	}
	if err := os.Rename(tmp, view); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("making the module view of %s: %w", modDir, err)
	}
	return view, nil
}

// inDir reports whether path is dir or lies beneath it (lexically, both
// cleaned).
func inDir(path, dir string) bool {
	path, dir = filepath.Clean(path), filepath.Clean(dir)
	return path == dir || strings.HasPrefix(path, dir+string(filepath.Separator))
}

// InModView reports whether dir lies in a module-cache view: the package
// directory, as the test binary names its files, of a package built from
// the module cache.
func InModView(dir string) bool {
	root, err := viewRoot()
	return err == nil && inDir(dir, root)
}
