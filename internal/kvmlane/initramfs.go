package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
)

// tree is the content of L1's initramfs: guest path → a host file to copy
// (symlinks followed) or literal bytes.
type tree struct {
	files map[string]entry
	// err holds every addFile that failed: writeCPIO refuses to write an
	// archive with a file missing (L1 would boot without it and fail
	// later, far from the cause).
	err error
}

type entry struct {
	src  string // host file, or
	data []byte // content
	mode os.FileMode
}

func newTree() *tree { return &tree{files: map[string]entry{}} }

// addFile copies the host file src to guest path dst. The file is read
// when the archive is written, so it must exist now; a failure is
// returned and also kept for writeCPIO.
func (t *tree) addFile(dst, src string) error {
	st, err := os.Stat(src)
	if err == nil && !st.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file", src)
	}
	if err != nil {
		err = fmt.Errorf("initramfs file %s: %w", dst, err)
		t.err = errors.Join(t.err, err)
		return err
	}
	t.files[path.Clean(dst)] = entry{src: src, mode: st.Mode().Perm()}
	return nil
}

// addData writes data to guest path dst.
func (t *tree) addData(dst string, data []byte, mode os.FileMode) {
	t.files[path.Clean(dst)] = entry{data: data, mode: mode}
}

// addBinary adds the dynamically linked program at host path bin, at the
// same path, with every shared library ldd lists.
func (t *tree) addBinary(bin string) error {
	if err := t.addFile(bin, bin); err != nil {
		return err
	}
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		return fmt.Errorf("ldd %s: %w", bin, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		var lib string
		switch {
		case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
			lib = f[2]
		case len(f) >= 1 && strings.HasPrefix(f[0], "/"):
			lib = f[0] // the dynamic loader
		default:
			continue
		}
		if err := t.addFile(lib, lib); err != nil {
			return fmt.Errorf("library of %s: %w", bin, err)
		}
	}
	return nil
}

// writeCPIO writes the tree as an uncompressed newc cpio archive, which
// the kernel unpacks as its initramfs.
func (t *tree) writeCPIO(w io.Writer) error {
	if t.err != nil {
		return t.err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	dirs := map[string]bool{}
	var names []string
	for name := range t.files {
		names = append(names, name)
		for d := path.Dir(name); d != "/" && d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	var dirList []string
	for d := range dirs {
		dirList = append(dirList, d)
	}
	sort.Strings(dirList) // parents first
	sort.Strings(names)
	ino := 1
	for _, d := range dirList {
		if err := cpioHeader(bw, ino, d, 0o40755, 0); err != nil {
			return err
		}
		ino++
	}
	for _, name := range names {
		e := t.files[name]
		data := e.data
		if e.src != "" {
			var err error
			if data, err = os.ReadFile(e.src); err != nil {
				return err
			}
		}
		if err := cpioHeader(bw, ino, name, 0o100000|uint32(e.mode), len(data)); err != nil {
			return err
		}
		ino++
		bw.Write(data)
		pad(bw, len(data))
	}
	if err := cpioHeader(bw, ino, "TRAILER!!!", 0, 0); err != nil {
		return err
	}
	return bw.Flush()
}

// cpioHeader writes one newc header and the name (relative, NUL-ended,
// padded to 4 bytes).
func cpioHeader(w *bufio.Writer, ino int, name string, mode uint32, size int) error {
	name = strings.TrimPrefix(name, "/")
	nlink := 1
	if mode&0o40000 != 0 {
		nlink = 2
	}
	_, err := fmt.Fprintf(w, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, len(name)+1, 0)
	if err != nil {
		return err
	}
	w.WriteString(name)
	w.WriteByte(0)
	pad(w, 110+len(name)+1)
	return nil
}

func pad(w *bufio.Writer, n int) {
	for ; n%4 != 0; n++ {
		w.WriteByte(0)
	}
}
