// Command fs exercises a shared directory mounted at /share: "basic"
// creates, writes, reads, renames, lists and removes files; the host side
// of the test checks what it left behind. "escape" tries to leave the
// share; "ro" checks that a read-only share refuses changes; "lookups"
// opens and lists the share's root and subdirectories thousands of times
// in parallel (see lookups.go).
package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

const root = "/share"

func main() {
	switch os.Args[1] {
	case "basic":
		basic()
	case "escape":
		escape()
	case "ro":
		readOnly()
	case "write":
		writeFiles()
	case "lookups":
		lookups()
	case "dma":
		dmaRace()
	case "cat":
		b, err := os.ReadFile(filepath.Join(root, os.Args[2]))
		must(err)
		fmt.Printf("cat %q\n", b)
	}
	fmt.Println("done")
}

// pattern returns n reproducible bytes.
func pattern(n int, seed int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

func basic() {
	sizes := map[string]int{"empty": 0, "one": 1, "mib": 1 << 20, "big": 64 << 20}
	for name, n := range sizes {
		data := pattern(n, int64(n))
		p := filepath.Join(root, "out", name)
		must(os.MkdirAll(filepath.Dir(p), 0o755))
		must(os.WriteFile(p, data, 0o644))
		got, err := os.ReadFile(p)
		must(err)
		if !bytes.Equal(got, data) {
			fail(fmt.Errorf("%s: read back %d bytes, differ", name, len(got)))
		}
		st, err := os.Stat(p)
		must(err)
		if st.Size() != int64(n) {
			fail(fmt.Errorf("%s: size %d, want %d", name, st.Size(), n))
		}
		fmt.Printf("%s %x\n", name, sha256.Sum256(data))
	}
	// Read what the host put there.
	in, err := os.ReadFile(filepath.Join(root, "in", "hello.txt"))
	must(err)
	fmt.Printf("host file %q\n", in)
	// A long name.
	long := strings.Repeat("n", 255)
	must(os.WriteFile(filepath.Join(root, "out", long), []byte("long"), 0o644))
	if err := os.WriteFile(filepath.Join(root, "out", long+"x"), nil, 0o644); !errors.Is(err, syscall.ENAMETOOLONG) {
		fail(fmt.Errorf("256-byte name: %v", err))
	}
	// 1000 files in a directory, listed with ReadDir and fs.WalkDir.
	dir := filepath.Join(root, "out", "many")
	must(os.Mkdir(dir, 0o755))
	for i := range 1000 {
		must(os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%04d", i)), []byte(fmt.Sprint(i)), 0o644))
	}
	ents, err := os.ReadDir(dir)
	must(err)
	n := 0
	must(fs.WalkDir(os.DirFS(root), "out/many", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	}))
	fmt.Println("listed", len(ents), "walked", n)
	// Rename, seek, partial writes, truncate, remove.
	must(os.Rename(filepath.Join(dir, "f0000"), filepath.Join(root, "out", "renamed")))
	f, err := os.OpenFile(filepath.Join(root, "out", "renamed"), os.O_RDWR|os.O_APPEND, 0)
	must(err)
	_, err = f.WriteString("+appended")
	must(err)
	end, err := f.Seek(0, io.SeekEnd)
	must(err)
	must(f.Truncate(3))
	must(f.Sync())
	must(f.Close())
	fmt.Println("end", end)
	must(os.Remove(filepath.Join(dir, "f0001")))
	if err := os.Remove(filepath.Join(root, "out", "nonexistent")); !errors.Is(err, fs.ErrNotExist) {
		fail(fmt.Errorf("remove of a missing file: %v", err))
	}
	must(os.RemoveAll(filepath.Join(root, "out", "gone")))
	must(os.MkdirAll(filepath.Join(root, "out", "gone", "a", "b"), 0o755))
	must(os.WriteFile(filepath.Join(root, "out", "gone", "a", "b", "c"), []byte("c"), 0o644))
	must(os.RemoveAll(filepath.Join(root, "out", "gone")))
	if _, err := os.Stat(filepath.Join(root, "out", "gone")); !errors.Is(err, fs.ErrNotExist) {
		fail(fmt.Errorf("RemoveAll left %v", err))
	}
	// mknod of a regular file on the share: an empty file, made on the host.
	node := filepath.Join(root, "out", "node")
	must(syscall.Mknod(node, syscall.S_IFREG|0o640, 0))
	if st, err := os.Stat(node); err != nil || !st.Mode().IsRegular() || st.Size() != 0 {
		fail(fmt.Errorf("mknod S_IFREG: %v %v", st, err))
	}
	if err := syscall.Mknod(node, syscall.S_IFREG|0o640, 0); !errors.Is(err, syscall.EEXIST) {
		fail(fmt.Errorf("mknod over an existing file: %v, want EEXIST", err))
	}
	must(os.Remove(node))
	// fs.FS view.
	b, err := fs.ReadFile(os.DirFS(root), "in/hello.txt")
	must(err)
	fmt.Printf("dirfs %q\n", b)
}

func escape() {
	// ".." is lexical: /share/.. is the guest's /, never the host's.
	if _, err := os.ReadFile(root + "/../share/../etc/hosts"); err != nil {
		fmt.Println("dotdot read:", err)
	} else {
		fmt.Println("dotdot read: guest file")
	}
	for _, p := range []string{"in/outlink", "in/abslink", "in/dirlink/secret"} {
		_, err := os.ReadFile(filepath.Join(root, p))
		fmt.Printf("%s: %v\n", p, err)
	}
	// A link inside the share works.
	b, err := os.ReadFile(filepath.Join(root, "in", "inlink"))
	must(err)
	fmt.Printf("inlink %q\n", b)
}

func readOnly() {
	_, err := os.ReadFile(filepath.Join(root, "in", "hello.txt"))
	must(err)
	for what, err := range map[string]error{
		"create": os.WriteFile(filepath.Join(root, "new"), nil, 0o644),
		"mkdir":  os.Mkdir(filepath.Join(root, "d"), 0o755),
		"remove": os.Remove(filepath.Join(root, "in", "hello.txt")),
		"rename": os.Rename(filepath.Join(root, "in", "hello.txt"), filepath.Join(root, "x")),
		"open":   openW(filepath.Join(root, "in", "hello.txt")),
	} {
		fmt.Printf("%s EROFS %v\n", what, errors.Is(err, syscall.EROFS))
	}
}

func openW(p string) error {
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err == nil {
		f.Close()
	}
	return err
}

// writeFiles writes and fsyncs numbered files forever (the host kills the
// guest).
func writeFiles() {
	for i := 0; ; i++ {
		p := filepath.Join(root, fmt.Sprintf("w%04d", i))
		f, err := os.Create(p)
		must(err)
		_, err = f.Write(pattern(256<<10, int64(i)))
		must(err)
		must(f.Sync())
		must(f.Close())
		fmt.Println("synced", i)
	}
}

func must(err error) {
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Println("FAIL:", err)
	os.Exit(1)
}
