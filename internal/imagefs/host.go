//go:build !gotoro

// The packer is host code (gotoro build): a guest never packs a tree, so
// the kernel, which reads the tree through this package, does not link
// fmt, os, path and path/filepath into every program, nor their package
// initializations (docs/boot.md).

package imagefs

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// addHostTree adds the host directory hostDir and everything below it to t
// at the guest path guestDir. Symlinks are stored, not followed (hostDir
// itself may be one). Sockets, devices, named pipes and other special files
// are skipped, and so are the entries skip (if not nil) names.
func (t *tree) addHostTree(hostDir, guestDir string, skip func(string, bool) bool) error {
	info, err := os.Stat(hostDir)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return fmt.Errorf("%s: not a directory", hostDir)
	}
	if err := t.add(dirNode(guestDir, info)); err != nil {
		return err
	}
	return t.addHostDir(hostDir, guestDir, skip)
}

// addHostDir adds the entries of host directory hostDir below guestDir,
// recursively.
func (t *tree) addHostDir(hostDir, guestDir string, skip func(string, bool) bool) error {
	entries, err := os.ReadDir(hostDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		hostPath := filepath.Join(hostDir, e.Name())
		guestPath := path.Join(guestDir, e.Name())
		info, err := e.Info() // lstat: does not follow symlinks
		if err != nil {
			return err
		}
		if skip != nil && skip(hostPath, info.IsDir()) {
			continue
		}
		var n *node
		switch info.Mode().Type() {
		case 0:
			n = &node{
				path: guestPath, mode: ModeRegular | linuxPerm(info.Mode()),
				mtime: info.ModTime().UnixNano(), size: uint64(info.Size()), host: hostPath,
			}
		case fs.ModeDir:
			n = dirNode(guestPath, info)
		case fs.ModeSymlink:
			target, err := os.Readlink(hostPath)
			if err != nil {
				return err
			}
			n = &node{
				path: guestPath, mode: ModeSymlink | linuxPerm(info.Mode()),
				mtime: info.ModTime().UnixNano(), size: uint64(len(target)), link: target,
			}
		default:
			continue // socket, device, fifo: nothing a guest could read
		}
		if err := t.add(n); err != nil {
			return fmt.Errorf("%s: %w", hostPath, err)
		}
		if n.isDir() {
			if err := t.addHostDir(hostPath, guestPath, skip); err != nil {
				return err
			}
		}
	}
	return nil
}

// dirNode describes a host directory at guestPath.
func dirNode(guestPath string, info fs.FileInfo) *node {
	return &node{
		path:  guestPath,
		mode:  ModeDir | linuxPerm(info.Mode()),
		mtime: info.ModTime().UnixNano(),
	}
}

// linuxPerm converts the permission, setuid, setgid and sticky bits of m to
// their Linux st_mode values.
func linuxPerm(m fs.FileMode) uint32 {
	p := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		p |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		p |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		p |= 0o1000
	}
	return p
}

// readHostFile fills dst with the content of host file name, failing if the
// file's length is no longer len(dst).
func readHostFile(name string, dst []byte) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.ReadFull(f, dst); err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return fmt.Errorf("%s: file shrank while packing", name)
		}
		return err
	}
	var one [1]byte
	switch _, err := f.Read(one[:]); err {
	case io.EOF:
		return nil
	case nil:
		return fmt.Errorf("%s: file grew while packing", name)
	default:
		return err
	}
}
