// Command overlay checks a writable file tree: files of the tree written,
// appended, truncated, renamed, removed and made again; new files,
// directories, symlinks and Unix sockets beside them; directory listings
// that show both; renamed and removed directories. Its argument is the
// tree (made by TestWritableTree: a.txt "alpha", b.txt "beta", link ->
// a.txt, sub/c.txt "gamma", sub/deep/d.txt "delta", full/{x,y}), and it
// runs in sub. In the guest the tree is the packed one with rw=1 (the
// overlay); natively a copy on disk, the oracle: both print the same checks
// and "overlay ok". With "ro" first, it checks that a read-only packed
// tree refuses writes with EROFS.
package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

func content(name string) string {
	b, err := os.ReadFile(name)
	if err != nil {
		return "error: " + err.Error()
	}
	return string(b)
}

func names(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	var ns []string
	for _, e := range ents {
		ns = append(ns, e.Name())
	}
	return ns
}

func main() {
	if os.Args[1] == "ro" {
		readOnly(os.Args[2])
		return
	}
	t := os.Args[1]
	j := func(p ...string) string { return filepath.Join(append([]string{t}, p...)...) }
	wd, _ := os.Getwd()
	guestcheck.Check("working directory", wd == j("sub"), "%q", wd)
	guestcheck.Check("read a file of the tree", content(j("a.txt")) == "alpha", "%q", content(j("a.txt")))

	// Files of the tree.
	guestcheck.Expect("overwrite a file", os.WriteFile(j("a.txt"), []byte("ALPHA!"), 0o644), nil)
	guestcheck.Check("read it back", content(j("a.txt")) == "ALPHA!", "%q", content(j("a.txt")))
	guestcheck.Check("through the tree's symlink", content(j("link")) == "ALPHA!", "%q", content(j("link")))
	f, err := os.OpenFile(j("b.txt"), os.O_WRONLY|os.O_APPEND, 0)
	guestcheck.Expect("open a file to append", err, nil)
	f.WriteString("+more")
	f.Close()
	guestcheck.Check("appended", content(j("b.txt")) == "beta+more", "%q", content(j("b.txt")))
	f, err = os.OpenFile(j("link"), os.O_WRONLY|os.O_TRUNC, 0)
	guestcheck.Expect("open through a symlink to write", err, nil)
	f.WriteString("via link")
	f.Close()
	guestcheck.Check("written through the symlink", content(j("a.txt")) == "via link", "%q", content(j("a.txt")))
	l, _ := os.Readlink(j("link"))
	guestcheck.Check("the symlink stays", l == "a.txt", "%q", l)
	guestcheck.Expect("truncate", os.Truncate(j("sub", "c.txt"), 2), nil)
	guestcheck.Check("truncated", content(j("sub", "c.txt")) == "ga", "%q", content(j("sub", "c.txt")))
	guestcheck.Expect("chmod", os.Chmod(j("b.txt"), 0o600), nil)
	fi, _ := os.Stat(j("b.txt"))
	guestcheck.Check("mode", fi.Mode().Perm() == 0o600, "%v", fi.Mode())
	when := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	guestcheck.Expect("chtimes", os.Chtimes(j("sub", "deep", "d.txt"), when, when), nil)
	fi, _ = os.Stat(j("sub", "deep", "d.txt"))
	guestcheck.Check("mtime", fi.ModTime().Equal(when), "%v", fi.ModTime())
	guestcheck.Check("data kept by chtimes", content(j("sub", "deep", "d.txt")) == "delta", "%q", content(j("sub", "deep", "d.txt")))

	// New entries, relative to the working directory too.
	guestcheck.Expect("create in the working directory", os.WriteFile("rel.txt", []byte("relative"), 0o644), nil)
	guestcheck.Check("read it by its full path", content(j("sub", "rel.txt")) == "relative", "")
	guestcheck.Expect("create above it", os.WriteFile("../up.txt", []byte("up"), 0o644), nil)
	guestcheck.Expect("MkdirAll", os.MkdirAll(j("sub", "deep", "new", "er"), 0o755), nil)
	guestcheck.Expect("create in a new directory", os.WriteFile(j("sub", "deep", "new", "er", "e.txt"), []byte("e"), 0o644), nil)
	guestcheck.Expect("symlink", os.Symlink("c.txt", "clink"), nil)
	guestcheck.Check("read through the new symlink", content("clink") == "ga", "%q", content("clink"))
	_, err = os.OpenFile(j("a.txt"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	guestcheck.Expect("O_EXCL on a file of the tree", err, os.ErrExist)
	guestcheck.Expect("mkdir over a file of the tree", os.Mkdir(j("b.txt"), 0o755), os.ErrExist)
	want := []string{"a.txt", "b.txt", "full", "link", "sub", "up.txt"}
	guestcheck.Check("listing of the top", slices.Equal(names(t), want), "%v", names(t))
	want = []string{"c.txt", "clink", "deep", "rel.txt"}
	guestcheck.Check("listing of the working directory", slices.Equal(names("."), want), "%v", names("."))
	guestcheck.Check("listing of a deeper directory", slices.Equal(names(j("sub", "deep")), []string{"d.txt", "new"}), "%v", names(j("sub", "deep")))

	// Removing and renaming.
	guestcheck.Expect("remove a file of the tree", os.Remove(j("b.txt")), nil)
	_, err = os.Stat(j("b.txt"))
	guestcheck.Expect("it is gone", err, os.ErrNotExist)
	guestcheck.Check("and not listed", !slices.Contains(names(t), "b.txt"), "%v", names(t))
	guestcheck.Expect("remove it again", os.Remove(j("b.txt")), os.ErrNotExist)
	guestcheck.Expect("make it again", os.WriteFile(j("b.txt"), []byte("new b"), 0o644), nil)
	guestcheck.Check("the new one", content(j("b.txt")) == "new b", "%q", content(j("b.txt")))
	guestcheck.Expect("rename a file of the tree", os.Rename(j("sub", "deep", "d.txt"), j("moved.txt")), nil)
	guestcheck.Check("renamed", content(j("moved.txt")) == "delta", "%q", content(j("moved.txt")))
	_, err = os.Stat(j("sub", "deep", "d.txt"))
	guestcheck.Expect("the old name is gone", err, os.ErrNotExist)
	guestcheck.Expect("rename over a file of the tree", os.Rename(j("up.txt"), j("a.txt")), nil)
	guestcheck.Check("replaced", content(j("a.txt")) == "up", "%q", content(j("a.txt")))
	guestcheck.Expect("rename an untouched file of the tree to another directory", os.Rename(j("full", "x"), j("sub", "x-moved")), nil)
	guestcheck.Check("moved with its data", content(j("sub", "x-moved")) == "x", "%q", content(j("sub", "x-moved")))
	guestcheck.Check("listed in its new directory", slices.Contains(names(j("sub")), "x-moved"), "%v", names(j("sub")))
	guestcheck.Check("not in its old one", slices.Equal(names(j("full")), []string{"y"}), "%v", names(j("full")))
	guestcheck.Expect("rmdir of a full directory", syscall.Rmdir(j("full")), syscall.ENOTEMPTY)
	os.Remove(j("full", "x"))
	os.Remove(j("full", "y"))
	guestcheck.Check("emptied", len(names(j("full"))) == 0, "%v", names(j("full")))
	guestcheck.Expect("rmdir once empty", syscall.Rmdir(j("full")), nil)
	guestcheck.Expect("mkdir again", os.Mkdir(j("full"), 0o755), nil)
	guestcheck.Check("the new directory is empty", len(names(j("full"))) == 0, "%v", names(j("full")))
	guestcheck.Expect("rename a directory of the tree", os.Rename(j("sub", "deep"), j("deep2")), nil)
	guestcheck.Check("its files moved", content(j("deep2", "new", "er", "e.txt")) == "e", "%q", content(j("deep2", "new", "er", "e.txt")))
	guestcheck.Check("and its listing", slices.Equal(names(j("deep2")), []string{"new"}), "%v", names(j("deep2")))
	_, err = os.Stat(j("sub", "deep"))
	guestcheck.Expect("the old directory is gone", err, os.ErrNotExist)
	guestcheck.Expect("RemoveAll", os.RemoveAll(j("sub")), nil)
	_, err = os.Stat(j("sub"))
	guestcheck.Expect("the working directory is gone", err, os.ErrNotExist)
	os.Mkdir(j("sub"), 0o755)
	os.Chdir(j("sub"))

	// A Unix socket in the tree, as servers' tests make them.
	ln, err := net.Listen("unix", "test.sock")
	guestcheck.Expect("listen on a Unix socket in the tree", err, nil)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Write([]byte("hi"))
			c.Close()
		}
	}()
	c, err := net.Dial("unix", j("sub", "test.sock"))
	guestcheck.Expect("dial it", err, nil)
	b := make([]byte, 2)
	c.Read(b)
	c.Close()
	ln.Close()
	guestcheck.Check("data over it", string(b) == "hi", "%q", b)

	var sfs syscall.Statfs_t
	syscall.Statfs(t, &sfs)
	guestcheck.Check("statfs: writable", sfs.Flags&1 == 0, "flags %#x", sfs.Flags)
	fmt.Println("overlay ok")
}

// readOnly checks that without the overlay the packed tree refuses
// writes with EROFS (the guest only).
func readOnly(t string) {
	_, err := os.OpenFile(filepath.Join(t, "a.txt"), os.O_WRONLY, 0)
	guestcheck.Expect("ro: open to write", err, syscall.EROFS)
	_, err = os.Create(filepath.Join(t, "new.txt"))
	guestcheck.Expect("ro: create", err, syscall.EROFS)
	guestcheck.Expect("ro: remove", os.Remove(filepath.Join(t, "a.txt")), syscall.EROFS)
	guestcheck.Expect("ro: mkdir", os.Mkdir(filepath.Join(t, "d"), 0o755), syscall.EROFS)
	guestcheck.Expect("ro: rename", os.Rename(filepath.Join(t, "a.txt"), filepath.Join(t, "z")), syscall.EROFS)
	guestcheck.Check("ro: nothing changed", content(filepath.Join(t, "a.txt")) == "alpha", "")
	_, err = net.Listen("unix", filepath.Join(t, "s.sock"))
	guestcheck.Check("ro: a Unix socket", err != nil && strings.Contains(err.Error(), "read-only"), "%v", err)
	var sfs syscall.Statfs_t
	syscall.Statfs(t, &sfs)
	guestcheck.Check("ro: statfs says read-only", sfs.Flags&1 != 0, "flags %#x", sfs.Flags)
	fmt.Println("overlay ro ok")
}
