package build

import (
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"

	"github.com/gotoro/gotoro/internal/imagefs"
)

// Options describes one image build.
type Options struct {
	// Package is the package pattern as the user gave it (./cmd/app, an
	// import path, a standard-library package); it must name one package.
	Package string
	// Dir is the directory Package is relative to; "" means the current one.
	Dir string
	// Output is the image file to write, relative to Dir; empty means
	// DefaultOutput.
	Output string
	// Files are host directories to pack into the image.
	Files []Mount
	// Test builds the package's test binary (go test -c) instead of the
	// program; the package need not be main.
	Test bool
	// TestTree packs what a test expects to find (see testTree): the
	// package's module tree at its own path and GOROOT's time zone
	// database, besides Files.
	TestTree bool
	// GoFlags are extra flags for go build or go test -c (e.g. -tags x,
	// -race is not supported). A -ldflags value is added to gotoro's own.
	GoFlags []string
	// Verbose prints the go commands and their messages to Log.
	Verbose bool
	// Log receives Verbose output (os.Stderr if nil).
	Log io.Writer
}

// Mount places the host directory HostDir at GuestDir in the image's file
// tree.
type Mount struct {
	HostDir  string
	GuestDir string
}

// ParseMount parses the -files flag syntax DIR[:GUESTDIR]. Without
// GUESTDIR the directory's contents appear at the guest root "/", where a
// guest program starts by default, so relative paths that work in DIR on the
// host work in the guest. GUESTDIR must be absolute.
func ParseMount(s string) (Mount, error) {
	host, guest, found := strings.Cut(s, ":")
	if host == "" {
		return Mount{}, fmt.Errorf("invalid -files %q: want DIR[:GUESTDIR]", s)
	}
	if !found {
		guest = "/"
	}
	if !path.IsAbs(guest) {
		return Mount{}, fmt.Errorf("invalid -files %q: the guest directory %q must be absolute", s, guest)
	}
	return Mount{HostDir: host, GuestDir: path.Clean(guest)}, nil
}

// String formats m in the -files syntax.
func (m Mount) String() string { return m.HostDir + ":" + m.GuestDir }

// packFiles packs the mounts (host directories relative to dir) after the
// trees in extra into an imagefs tree, or returns nil if there are none.
func packFiles(dir string, mounts []Mount, extra []imagefs.Mount) ([]byte, error) {
	if len(mounts)+len(extra) == 0 {
		return nil, nil
	}
	ms := extra
	for _, m := range mounts {
		host := m.HostDir
		if !filepath.IsAbs(host) {
			host = filepath.Join(dir, host)
		}
		ms = append(ms, imagefs.Mount{HostDir: host, GuestDir: m.GuestDir})
	}
	files, err := imagefs.PackMulti(ms)
	if err != nil {
		return nil, fmt.Errorf("packing files: %w", err)
	}
	return files, nil
}
