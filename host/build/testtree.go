package build

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gotoro/gotoro/internal/imagefs"
)

// maxTestTree is the most bytes of a module's tree a test image packs; a
// larger module gets only the package directory and the testdata
// directories above it.
const maxTestTree = 256 << 20

// testTree returns the host trees packed into the image of pkg's test
// binary, so that the test finds the files go test would give it:
//
//   - the module's tree at its own path (the package directory is the
//     test's working directory, and tests read ../testdata and other
//     packages' files), without version-control directories and nested
//     modules; the module-cache view (modView) as a symlink to it, since
//     the binary's file names (runtime.Caller) are in the view;
//   - for a standard-library package, the package directory and the
//     testdata directories of its parents up to GOROOT/src (the whole
//     standard library would not fit);
//   - GOROOT's time zone database.
//
// pkg is the package as listed in the user's directory.
func testTree(ctx context.Context, pkg *Package, view string) ([]imagefs.Mount, error) {
	goroot, err := goCmd{args: []string{"env", "GOROOT"}}.output(ctx, nil)
	if err != nil {
		return nil, err
	}
	gorootDir := strings.TrimSpace(string(goroot))
	var ms []imagefs.Mount
	switch {
	case pkg.Module != nil && pkg.Module.Dir != "" && !pkg.Standard:
		root := pkg.Module.Dir
		skip := moduleSkip(root)
		if n, err := treeSize(root, skip, maxTestTree); err != nil {
			return nil, err
		} else if n > maxTestTree {
			ms = append(ms, withTestdata(pkg.Dir, root)...)
		} else {
			ms = append(ms, imagefs.Mount{HostDir: root, GuestDir: root, Skip: skip})
		}
		if view != "" {
			ms = append(ms, imagefs.Mount{GuestDir: view, Link: root})
		}
	case pkg.Standard:
		ms = append(ms, withTestdata(pkg.Dir, filepath.Join(gorootDir, "src"))...)
	default:
		ms = append(ms, imagefs.Mount{HostDir: pkg.Dir, GuestDir: pkg.Dir})
	}
	tz := filepath.Join(gorootDir, "lib", "time")
	if st, err := os.Stat(tz); err == nil && st.IsDir() && !inDir(pkg.Dir, tz) {
		ms = append(ms, imagefs.Mount{HostDir: tz, GuestDir: tz})
	}
	return ms, nil
}

// withTestdata returns mounts for dir and the testdata directories of its
// parents up to top, each at its own path.
func withTestdata(dir, top string) []imagefs.Mount {
	ms := []imagefs.Mount{{HostDir: dir, GuestDir: dir}}
	for d := filepath.Dir(dir); inDir(d, top); d = filepath.Dir(d) {
		td := filepath.Join(d, "testdata")
		if st, err := os.Stat(td); err == nil && st.IsDir() && !inDir(dir, td) {
			ms = append(ms, imagefs.Mount{HostDir: td, GuestDir: td})
		}
		if d == top || d == filepath.Dir(d) {
			break
		}
	}
	return ms
}

// moduleSkip returns the filter that leaves version-control directories
// and nested modules out of the tree of the module rooted at root.
func moduleSkip(root string) func(string, bool) bool {
	return func(p string, isDir bool) bool {
		if !isDir {
			return false
		}
		switch filepath.Base(p) {
		case ".git", ".hg", ".svn", ".bzr":
			return true
		}
		if p == root {
			return false
		}
		_, err := os.Lstat(filepath.Join(p, "go.mod"))
		return err == nil
	}
}

// treeSize adds up the sizes of the regular files below root that skip
// keeps, stopping once the total passes limit.
func treeSize(root string, skip func(string, bool) bool, limit int64) (int64, error) {
	var n int64
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root && skip(p, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
			if n > limit {
				return filepath.SkipAll
			}
		}
		return nil
	})
	return n, err
}
