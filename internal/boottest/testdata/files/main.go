// Command files checks the file system a guest sees: the read-only tree
// packed into the image (with -files) and the writable in-memory /tmp.
package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
)

func check(what string, err error) {
	if err != nil {
		fmt.Printf("FAIL: %s: %v\n", what, err)
		os.Exit(1)
	}
}

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	// Packed tree.
	b, err := os.ReadFile(filepath.Join(root, "testdata/greeting.txt"))
	check("read packed file", err)
	fmt.Printf("greeting=%q\n", b)
	l, err := os.ReadFile(filepath.Join(root, "testdata/sub/link.txt"))
	check("read through symlink", err)
	if !bytes.Equal(l, b) {
		fmt.Println("FAIL: symlink content differs")
		os.Exit(1)
	}
	r, err := os.ReadFile(filepath.Join(root, "testdata/sub/random.bin"))
	check("read random.bin", err)
	fmt.Printf("random.bin sha256=%x\n", sha256.Sum256(r))
	var names []string
	check("walk", filepath.WalkDir(filepath.Join(root, "testdata"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		names = append(names, d.Name())
		return nil
	}))
	fmt.Println("walk:", names)
	if err := os.WriteFile(filepath.Join(root, "testdata/new.txt"), []byte("x"), 0o644); !errors.Is(err, syscall.EROFS) {
		fmt.Println("FAIL: write into the packed tree:", err)
		os.Exit(1)
	}
	_, err = os.Stat(filepath.Join(root, "testdata/missing"))
	if !errors.Is(err, fs.ErrNotExist) {
		fmt.Println("FAIL: stat of a missing file:", err)
		os.Exit(1)
	}

	// Writable /tmp.
	dir, err := os.MkdirTemp("", "gotoro-*")
	check("MkdirTemp", err)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	check("WriteFile", os.WriteFile(filepath.Join(dir, "big"), big, 0o600))
	got, err := os.ReadFile(filepath.Join(dir, "big"))
	check("ReadFile", err)
	if !bytes.Equal(got, big) {
		fmt.Println("FAIL: /tmp round trip differs")
		os.Exit(1)
	}
	check("MkdirAll", os.MkdirAll(filepath.Join(dir, "a/b/c"), 0o755))
	for i := 0; i < 100; i++ {
		check("create", os.WriteFile(filepath.Join(dir, "a/b/c", fmt.Sprintf("f%03d", i)), []byte{byte(i)}, 0o644))
	}
	ents, err := os.ReadDir(filepath.Join(dir, "a/b/c"))
	check("ReadDir", err)
	check("Rename", os.Rename(filepath.Join(dir, "big"), filepath.Join(dir, "a/moved")))
	st, err := os.Stat(filepath.Join(dir, "a/moved"))
	check("Stat moved", err)
	f, err := os.OpenFile(filepath.Join(dir, "a/moved"), os.O_RDWR|os.O_APPEND, 0)
	check("open append", err)
	_, err = f.WriteString("tail")
	check("append", err)
	check("Truncate", f.Truncate(10))
	check("Close", f.Close())
	st2, _ := os.Stat(filepath.Join(dir, "a/moved"))
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	fmt.Printf("tmp ok: %d entries, first %s, moved size %d then %d\n", len(ents), ents[0].Name(), st.Size(), st2.Size())
	check("RemoveAll", os.RemoveAll(dir))
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		fmt.Println("FAIL: RemoveAll left", dir)
		os.Exit(1)
	}
	wd, _ := os.Getwd()
	fmt.Println("files ok, wd", wd)
}
