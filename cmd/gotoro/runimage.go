package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/host/qemu"
)

// bootImage is the image a run boots: target itself if it is an image
// file, else one built from the package target into a temporary directory
// that cleanup removes. name is the program's name (argv[0]).
type bootImage struct {
	path, name string
	cleanup    func()
}

// prepareImage checks or builds the image for a run target (PKG or IMAGE).
func (c *cli) prepareImage(target string, gf *guestFlags, gof *goFlags, verbose bool) (bootImage, error) {
	img := bootImage{path: target, name: strings.TrimSuffix(filepath.Base(target), ".img"), cleanup: func() {}}
	// An image first: notAPackage would look at its first bytes again.
	if isImageFile(target) {
		return img, qemu.CheckImage(target)
	}
	if err := notAPackage(target); err != nil {
		return img, err
	}
	tmp, err := os.MkdirTemp("", "gotoro-run-")
	if err != nil {
		return img, err
	}
	img.cleanup = func() { os.RemoveAll(tmp) }
	pkg, err := build.Build(c.ctx, build.Options{
		Package: target,
		Output:  filepath.Join(tmp, "image"),
		Files:   gf.files,
		GoFlags: gof.args(),
		Verbose: verbose,
		Log:     c.stderr,
	})
	if err != nil {
		return img, err
	}
	img.name = filepath.Base(pkg.Dir)
	img.path = filepath.Join(tmp, img.name+".img")
	return img, os.Rename(filepath.Join(tmp, "image"), img.path)
}
