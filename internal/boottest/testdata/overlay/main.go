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
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

func check(name string, ok bool, format string, args ...any) {
	if !ok {
		fmt.Printf("FAIL %s: "+format+"\n", append([]any{name}, args...)...)
		os.Exit(1)
	}
	fmt.Printf("ok %s\n", name)
}

func expect(name string, got, want error) {
	check(name, errors.Is(got, want) || (got == nil && want == nil), "got %v, want %v", got, want)
}

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
	check("working directory", wd == j("sub"), "%q", wd)
	check("read a file of the tree", content(j("a.txt")) == "alpha", "%q", content(j("a.txt")))

	// Files of the tree.
	expect("overwrite a file", os.WriteFile(j("a.txt"), []byte("ALPHA!"), 0o644), nil)
	check("read it back", content(j("a.txt")) == "ALPHA!", "%q", content(j("a.txt")))
	check("through the tree's symlink", content(j("link")) == "ALPHA!", "%q", content(j("link")))
	f, err := os.OpenFile(j("b.txt"), os.O_WRONLY|os.O_APPEND, 0)
	expect("open a file to append", err, nil)
	f.WriteString("+more")
	f.Close()
	check("appended", content(j("b.txt")) == "beta+more", "%q", content(j("b.txt")))
	f, err = os.OpenFile(j("link"), os.O_WRONLY|os.O_TRUNC, 0)
	expect("open through a symlink to write", err, nil)
	f.WriteString("via link")
	f.Close()
	check("written through the symlink", content(j("a.txt")) == "via link", "%q", content(j("a.txt")))
	l, _ := os.Readlink(j("link"))
	check("the symlink stays", l == "a.txt", "%q", l)
	expect("truncate", os.Truncate(j("sub", "c.txt"), 2), nil)
	check("truncated", content(j("sub", "c.txt")) == "ga", "%q", content(j("sub", "c.txt")))
	expect("chmod", os.Chmod(j("b.txt"), 0o600), nil)
	fi, _ := os.Stat(j("b.txt"))
	check("mode", fi.Mode().Perm() == 0o600, "%v", fi.Mode())
	when := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	expect("chtimes", os.Chtimes(j("sub", "deep", "d.txt"), when, when), nil)
	fi, _ = os.Stat(j("sub", "deep", "d.txt"))
	check("mtime", fi.ModTime().Equal(when), "%v", fi.ModTime())
	check("data kept by chtimes", content(j("sub", "deep", "d.txt")) == "delta", "%q", content(j("sub", "deep", "d.txt")))

	// New entries, relative to the working directory too.
	expect("create in the working directory", os.WriteFile("rel.txt", []byte("relative"), 0o644), nil)
	check("read it by its full path", content(j("sub", "rel.txt")) == "relative", "")
	expect("create above it", os.WriteFile("../up.txt", []byte("up"), 0o644), nil)
	expect("MkdirAll", os.MkdirAll(j("sub", "deep", "new", "er"), 0o755), nil)
	expect("create in a new directory", os.WriteFile(j("sub", "deep", "new", "er", "e.txt"), []byte("e"), 0o644), nil)
	expect("symlink", os.Symlink("c.txt", "clink"), nil)
	check("read through the new symlink", content("clink") == "ga", "%q", content("clink"))
	_, err = os.OpenFile(j("a.txt"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	expect("O_EXCL on a file of the tree", err, os.ErrExist)
	expect("mkdir over a file of the tree", os.Mkdir(j("b.txt"), 0o755), os.ErrExist)
	want := []string{"a.txt", "b.txt", "full", "link", "sub", "up.txt"}
	check("listing of the top", slices.Equal(names(t), want), "%v", names(t))
	want = []string{"c.txt", "clink", "deep", "rel.txt"}
	check("listing of the working directory", slices.Equal(names("."), want), "%v", names("."))
	check("listing of a deeper directory", slices.Equal(names(j("sub", "deep")), []string{"d.txt", "new"}), "%v", names(j("sub", "deep")))

	// Removing and renaming.
	expect("remove a file of the tree", os.Remove(j("b.txt")), nil)
	_, err = os.Stat(j("b.txt"))
	expect("it is gone", err, os.ErrNotExist)
	check("and not listed", !slices.Contains(names(t), "b.txt"), "%v", names(t))
	expect("remove it again", os.Remove(j("b.txt")), os.ErrNotExist)
	expect("make it again", os.WriteFile(j("b.txt"), []byte("new b"), 0o644), nil)
	check("the new one", content(j("b.txt")) == "new b", "%q", content(j("b.txt")))
	expect("rename a file of the tree", os.Rename(j("sub", "deep", "d.txt"), j("moved.txt")), nil)
	check("renamed", content(j("moved.txt")) == "delta", "%q", content(j("moved.txt")))
	_, err = os.Stat(j("sub", "deep", "d.txt"))
	expect("the old name is gone", err, os.ErrNotExist)
	expect("rename over a file of the tree", os.Rename(j("up.txt"), j("a.txt")), nil)
	check("replaced", content(j("a.txt")) == "up", "%q", content(j("a.txt")))
	expect("rename an untouched file of the tree to another directory", os.Rename(j("full", "x"), j("sub", "x-moved")), nil)
	check("moved with its data", content(j("sub", "x-moved")) == "x", "%q", content(j("sub", "x-moved")))
	check("listed in its new directory", slices.Contains(names(j("sub")), "x-moved"), "%v", names(j("sub")))
	check("not in its old one", slices.Equal(names(j("full")), []string{"y"}), "%v", names(j("full")))
	expect("rmdir of a full directory", syscall.Rmdir(j("full")), syscall.ENOTEMPTY)
	os.Remove(j("full", "x"))
	os.Remove(j("full", "y"))
	check("emptied", len(names(j("full"))) == 0, "%v", names(j("full")))
	expect("rmdir once empty", syscall.Rmdir(j("full")), nil)
	expect("mkdir again", os.Mkdir(j("full"), 0o755), nil)
	check("the new directory is empty", len(names(j("full"))) == 0, "%v", names(j("full")))
	expect("rename a directory of the tree", os.Rename(j("sub", "deep"), j("deep2")), nil)
	check("its files moved", content(j("deep2", "new", "er", "e.txt")) == "e", "%q", content(j("deep2", "new", "er", "e.txt")))
	check("and its listing", slices.Equal(names(j("deep2")), []string{"new"}), "%v", names(j("deep2")))
	_, err = os.Stat(j("sub", "deep"))
	expect("the old directory is gone", err, os.ErrNotExist)
	expect("RemoveAll", os.RemoveAll(j("sub")), nil)
	_, err = os.Stat(j("sub"))
	expect("the working directory is gone", err, os.ErrNotExist)
	os.Mkdir(j("sub"), 0o755)
	os.Chdir(j("sub"))

	// A Unix socket in the tree, as servers' tests make them.
	ln, err := net.Listen("unix", "test.sock")
	expect("listen on a Unix socket in the tree", err, nil)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Write([]byte("hi"))
			c.Close()
		}
	}()
	c, err := net.Dial("unix", j("sub", "test.sock"))
	expect("dial it", err, nil)
	b := make([]byte, 2)
	c.Read(b)
	c.Close()
	ln.Close()
	check("data over it", string(b) == "hi", "%q", b)

	var sfs syscall.Statfs_t
	syscall.Statfs(t, &sfs)
	check("statfs: writable", sfs.Flags&1 == 0, "flags %#x", sfs.Flags)
	fmt.Println("overlay ok")
}

// readOnly checks that without the overlay the packed tree refuses
// writes with EROFS (the guest only).
func readOnly(t string) {
	_, err := os.OpenFile(filepath.Join(t, "a.txt"), os.O_WRONLY, 0)
	expect("ro: open to write", err, syscall.EROFS)
	_, err = os.Create(filepath.Join(t, "new.txt"))
	expect("ro: create", err, syscall.EROFS)
	expect("ro: remove", os.Remove(filepath.Join(t, "a.txt")), syscall.EROFS)
	expect("ro: mkdir", os.Mkdir(filepath.Join(t, "d"), 0o755), syscall.EROFS)
	expect("ro: rename", os.Rename(filepath.Join(t, "a.txt"), filepath.Join(t, "z")), syscall.EROFS)
	check("ro: nothing changed", content(filepath.Join(t, "a.txt")) == "alpha", "")
	_, err = net.Listen("unix", filepath.Join(t, "s.sock"))
	check("ro: a Unix socket", err != nil && strings.Contains(err.Error(), "read-only"), "%v", err)
	var sfs syscall.Statfs_t
	syscall.Statfs(t, &sfs)
	check("ro: statfs says read-only", sfs.Flags&1 != 0, "flags %#x", sfs.Flags)
	fmt.Println("overlay ro ok")
}
