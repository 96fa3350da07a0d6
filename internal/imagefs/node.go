//go:build !gotoro

// The packer is host code (gotoro build): a guest never packs a tree, so
// the kernel, which reads the tree through this package, does not link
// fmt, os, path and path/filepath into every program, nor their package
// initializations (docs/boot.md).

package imagefs

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// node is one entry of a tree being packed.
type node struct {
	path  string // clean absolute guest path
	mode  uint32 // Linux st_mode
	mtime int64  // ns since the Unix epoch
	size  uint64 // content or link target bytes

	link    string // symlink target
	content []byte // regular file content held in memory, or
	host    string // host file to read size bytes of content from

	implied bool // a directory made up for a mount point's parents
}

func (n *node) isDir() bool { return n.mode&ModeTypeMask == ModeDir }

// errConflict reports two mounts providing one guest path differently.
var errConflict = errors.New("provided twice, not both as directories")

// tree collects nodes by guest path before encoding. "/" always exists.
type tree struct {
	nodes map[string]*node
}

func newTree() *tree {
	root := &node{path: "/", mode: ModeDir | 0o755, implied: true}
	return &tree{nodes: map[string]*node{"/": root}}
}

// add puts n into the tree. A directory may replace a directory (the newer
// one's metadata wins over an implied one and over an older mount's);
// everything else at an existing path is a conflict.
func (t *tree) add(n *node) error {
	if err := checkGuestPath(n.path); err != nil {
		return err
	}
	old, ok := t.nodes[n.path]
	if !ok {
		t.nodes[n.path] = n
		return nil
	}
	if !old.isDir() || !n.isDir() {
		return fmt.Errorf("guest path %s: %w", n.path, errConflict)
	}
	if !n.implied {
		t.nodes[n.path] = n
	}
	return nil
}

// addParents makes every proper ancestor of the clean absolute path p a
// directory, adding implied ones where nothing provides them.
func (t *tree) addParents(p string) error {
	for dir := path.Dir(p); dir != "/"; dir = path.Dir(dir) {
		if err := t.add(&node{path: dir, mode: ModeDir | 0o755, implied: true}); err != nil {
			return err
		}
	}
	return nil
}

// checkGuestPath rejects a guest path the guest could not reach.
func checkGuestPath(p string) error {
	if len(p) > MaxPath {
		return fmt.Errorf("guest path %.40s...: longer than %d bytes", p, MaxPath)
	}
	for _, name := range strings.Split(p, "/") {
		if len(name) > MaxName {
			return fmt.Errorf("guest path %s: name %.40s... longer than %d bytes", p, name, MaxName)
		}
		if strings.IndexByte(name, 0) >= 0 {
			return fmt.Errorf("guest path %q: name contains NUL", p)
		}
	}
	return nil
}
