package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/gotoro/gotoro/host/qemu"
)

// isImageFile reports whether the run target arg names an image rather
// than a package: an existing regular file that starts with an ELF header.
// Anything else (a directory, a package path, a missing file) is taken as
// a package, and the go command will say if it is none.
func isImageFile(arg string) bool {
	st, err := os.Stat(arg)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(arg)
	if err != nil {
		return false
	}
	defer f.Close()
	magic := make([]byte, 4)
	if _, err := io.ReadFull(f, magic); err != nil {
		return false
	}
	return bytes.Equal(magic, []byte("\x7fELF"))
}

// notAPackage returns an error for run targets that are neither an image
// nor a package, so that the user is not told about Go modules when they
// named a file: a missing *.img file, or an existing file that is not an
// image (.go files are left to the go command, which says why it does not
// take them).
func notAPackage(arg string) error {
	st, err := os.Stat(arg)
	switch {
	case errors.Is(err, fs.ErrNotExist) && strings.HasSuffix(arg, ".img"):
		return fmt.Errorf("%s: no such image file", arg)
	case err != nil || !st.Mode().IsRegular() || strings.HasSuffix(arg, ".go") || isImageFile(arg):
		return nil
	}
	return qemu.CheckImage(arg)
}
