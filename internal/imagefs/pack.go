//go:build !gotoro

// The packer is host code (gotoro build): a guest never packs a tree, so
// the kernel, which reads the tree through this package, does not link
// fmt, os, path and path/filepath into every program, nor their package
// initializations (docs/boot.md).

package imagefs

import (
	"fmt"
	"path"
)

// Mount asks [PackMulti] to place the host directory HostDir at the
// absolute guest path GuestDir, or, with Link set, a symlink to Link there.
type Mount struct {
	HostDir  string
	GuestDir string
	// Link, if not empty, makes GuestDir a symlink with this target
	// (HostDir is then unused): one tree reachable at two paths.
	Link string
	// Skip, if not nil, leaves out the host entries below HostDir for which
	// it returns true (a directory with everything in it).
	Skip func(hostPath string, isDir bool) bool
}

// Pack packs the host directory tree root so that it appears at the
// absolute guest path guestDir (for example "/" or "/usr/local/go/src").
// It is PackMulti with one mount.
func Pack(root, guestDir string) ([]byte, error) {
	return PackMulti([]Mount{{HostDir: root, GuestDir: guestDir}})
}

// PackMulti packs several host trees into one image, in order. Each
// GuestDir must be absolute; it is cleaned, and its ancestors exist in the
// image as directories (mode 0755, mtime 0, unless a mount provides them).
//
// Regular files (content), directories and symlinks (the target as
// written, resolved later by the guest inside the image) are packed with
// their permission bits and modification times; sockets, devices and named
// pipes are skipped. Where trees overlap, directories merge (the later
// mount's metadata wins) and any other clash is an error. Paths the guest
// could not reach (a name over MaxName bytes, a path over MaxPath bytes)
// are errors too. The output depends only on the trees, not on the order
// the host lists directories in.
func PackMulti(mounts []Mount) ([]byte, error) {
	t := newTree()
	for _, m := range mounts {
		if !path.IsAbs(m.GuestDir) {
			return nil, fmt.Errorf("imagefs: mount %s: guest dir %q is not absolute", m.HostDir, m.GuestDir)
		}
		guest := path.Clean(m.GuestDir)
		if err := t.addParents(guest); err != nil {
			return nil, fmt.Errorf("imagefs: mount %s at %s: %w", m.HostDir, guest, err)
		}
		if m.Link != "" {
			n := &node{path: guest, mode: ModeSymlink | 0o777, size: uint64(len(m.Link)), link: m.Link}
			if err := t.add(n); err != nil {
				return nil, fmt.Errorf("imagefs: link %s -> %s: %w", guest, m.Link, err)
			}
			continue
		}
		if err := t.addHostTree(m.HostDir, guest, m.Skip); err != nil {
			return nil, fmt.Errorf("imagefs: mount %s at %s: %w", m.HostDir, guest, err)
		}
	}
	img, err := t.encode()
	if err != nil {
		return nil, fmt.Errorf("imagefs: %w", err)
	}
	return img, nil
}
