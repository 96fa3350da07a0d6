package build

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
)

// ModulePath is the gotoro module's path.
const ModulePath = "github.com/gotoro/gotoro"

// KernelPackage is the import path of the guest kernel.
const KernelPackage = ModulePath + "/kernel"

// NetworkPackage is the guest's network service, linked into programs
// that use package net.
const NetworkPackage = ModulePath + "/netsvc"

// RootEnv names the environment variable that overrides where the gotoro
// module's source is.
const RootEnv = "GOTORO_ROOT"

// Root returns the directory of the gotoro module source that the kernel is
// built from. In order, it tries: $GOTORO_ROOT (an explicit choice wins,
// and must be valid); the source directory this package was compiled from
// (runtime.Caller, which is right for `go run`, `go build` and `go install`
// from a checkout); and, for binaries built with -trimpath or installed
// with `go install …@version`, the module cache copy of the version in the
// binary's build information.
func Root() (string, error) {
	if dir := os.Getenv(RootEnv); dir != "" {
		if err := checkRoot(dir); err != nil {
			return "", fmt.Errorf("%s=%s: %w", RootEnv, dir, err)
		}
		return filepath.Abs(dir)
	}
	var tried []string
	if _, file, _, ok := runtime.Caller(0); ok {
		if filepath.IsAbs(file) {
			dir := filepath.Dir(filepath.Dir(filepath.Dir(file))) // strip host/build/root.go
			if checkRoot(dir) == nil {
				return dir, nil
			}
			tried = append(tried, dir)
		} else if dir, ok := fromModCache(file); ok {
			return dir, nil
		}
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Path == ModulePath && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		if dir, ok := fromModCache(ModulePath + "@" + bi.Main.Version + "/"); ok {
			return dir, nil
		}
	}
	msg := "cannot find the gotoro source (module " + ModulePath + ")"
	if len(tried) > 0 {
		msg += "; not at " + strings.Join(tried, ", ")
	}
	return "", errors.New(msg + "; set " + RootEnv + " to a gotoro checkout")
}

// fromModCache resolves a trimmed source path (module@version/file) in the
// module cache.
func fromModCache(trimmed string) (string, bool) {
	mod, _, ok := strings.Cut(trimmed, "/host/build/")
	if !ok {
		mod = strings.TrimSuffix(trimmed, "/")
	}
	if !strings.HasPrefix(mod, ModulePath+"@") {
		return "", false
	}
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		return "", false
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), filepath.FromSlash(mod))
	return dir, checkRoot(dir) == nil
}

// checkRoot reports whether dir holds the gotoro module with its kernel.
func checkRoot(dir string) error {
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return fmt.Errorf("not a gotoro checkout: %w", err)
	}
	if modulePath(mod) != ModulePath {
		return fmt.Errorf("not a gotoro checkout: %s/go.mod is not module %s", dir, ModulePath)
	}
	if st, err := os.Stat(filepath.Join(dir, "kernel")); err != nil || !st.IsDir() {
		return fmt.Errorf("not a gotoro checkout: no kernel directory in %s", dir)
	}
	return nil
}

// modulePath returns the module path declared in a go.mod file.
func modulePath(gomod []byte) string {
	for _, line := range bytes.Split(gomod, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}
