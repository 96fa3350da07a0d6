package build

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gotoro/gotoro/host/image"
	"github.com/gotoro/gotoro/internal/imagefs"
)

// Build compiles opts.Package with the gotoro kernel and writes a bootable
// image to opts.Output. It returns the package as the go command sees it.
//
// Errors name the package and say what went wrong: the package does not
// exist, is not a main package (unless opts.Test), or does not compile (the
// go command's messages are in the error).
func Build(ctx context.Context, opts Options) (*Package, error) {
	log := opts.Log
	if log == nil {
		log = os.Stderr
	}
	if !opts.Verbose {
		log = nil
	}
	userDir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	root, err := Root()
	if err != nil {
		return nil, err
	}
	user, err := withGuestTag(opts.GoFlags)
	if err != nil {
		return nil, err
	}
	flags, err := goBuildFlags(user)
	if err != nil {
		return nil, err
	}
	load := loadFlags(user)
	pkg, err := listOne(ctx, goCmd{dir: userDir, env: targetEnv}, load, opts.Package, log)
	if err != nil {
		return nil, err
	}
	userPkg := pkg
	if !opts.Test && pkg.Name != "main" {
		return nil, fmt.Errorf("%s is not a main package (package %s)", opts.Package, pkg.Name)
	}

	tmp, err := os.MkdirTemp("", "gotoro-build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	ws, err := planWorkspace(ctx, pkg, userDir, root, filepath.Join(tmp, "go.work"), log)
	if err != nil {
		return nil, err
	}
	if ws.work != "" {
		if err := os.WriteFile(ws.gowork, []byte(ws.work), 0o644); err != nil {
			return nil, err
		}
	}
	base := goCmd{dir: ws.dir, env: ws.env()}
	// Resolve the package again where it will be built: its directory is
	// where the kernel file goes (the gotoro module's copy of a gotoro
	// package, say, rather than a module cache copy). A package of the
	// gotoro module listed outside any workspace was listed there already.
	if !listedInPlace(pkg, ws, root, userDir) {
		pkg, err = listOne(ctx, base, load, pkg.ImportPath, log)
		if err != nil {
			return nil, fmt.Errorf("resolving %s with the gotoro module: %w", opts.Package, err)
		}
	}

	exe := filepath.Join(tmp, "exe")
	slot := linkSlotFor(ctx, ws, pkg, opts.Test, flags, log)
	if slot != nil {
		defer slot.release()
		exe = slot.exe
	}
	c := base
	c.args, err = compileArgs(tmp, pkg, opts.Test, flags, exe)
	if err != nil {
		return nil, err
	}
	var prog []byte
	for try := 0; ; try++ {
		if _, err := c.output(ctx, log); err != nil {
			return nil, fmt.Errorf("building %s: %w", opts.Package, err)
		}
		if prog, err = os.ReadFile(exe); err != nil {
			return nil, err
		}
		if slot == nil || try > 0 || !cutShort(prog) {
			break
		}
		// The go command found a slot's program up to date by the build
		// ID at its start although the rest is missing: link it again.
		if err := os.Remove(exe); err != nil {
			return nil, fmt.Errorf("removing the link cache's damaged %s: %w", exe, err)
		}
	}
	if slot != nil {
		slot.release()
		if slot.made {
			evictLinkCache(filepath.Dir(slot.exe), linkCacheEntries, linkCacheBytes)
		}
	}
	var tree []imagefs.Mount
	if opts.TestTree {
		if tree, err = testTree(ctx, userPkg, ws.view); err != nil {
			return nil, fmt.Errorf("collecting the test's files: %w", err)
		}
	}
	files, err := packFiles(userDir, opts.Files, tree)
	if err != nil {
		return nil, err
	}
	img, err := image.Patch(prog, files)
	if err != nil {
		return nil, fmt.Errorf("making the image of %s: %w", opts.Package, err)
	}
	out := opts.Output
	if out == "" {
		out = DefaultOutput(pkg)
	}
	if !filepath.IsAbs(out) {
		out = filepath.Join(userDir, out)
	}
	if err := writeFileAtomic(out, img, 0o755); err != nil {
		return nil, fmt.Errorf("writing the image: %w", err)
	}
	return pkg, nil
}

// DefaultOutput is the image name used when Options.Output is empty: the
// base name of the package directory with ".img" (hello.img), in Options.Dir.
func DefaultOutput(pkg *Package) string {
	return filepath.Base(pkg.Dir) + ".img"
}

// compileArgs writes the kernel file and the overlay into tmp and returns
// the go command arguments that build pkg into exe.
func compileArgs(tmp string, pkg *Package, test bool, flags []string, exe string) ([]string, error) {
	name, content := kernelFile(test, pkg.Name, pkg.UsesNetwork(test))
	virtual := filepath.Join(pkg.Dir, name)
	if _, err := os.Lstat(virtual); !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s exists: gotoro needs that file name for the kernel import", virtual)
	}
	// The real file keeps the virtual file's name: the compiler sees that
	// name (a _test.go suffix is what allows //go:debug in a test file).
	real := filepath.Join(tmp, name)
	if err := os.WriteFile(real, content, 0o644); err != nil {
		return nil, err
	}
	overlay := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(overlay, overlayJSON(virtual, real), 0o644); err != nil {
		return nil, err
	}
	args := []string{"build"}
	if test {
		args = []string{"test", "-c"}
	}
	args = append(args, "-o", exe, "-overlay", overlay)
	args = append(args, flags...)
	return append(args, pkg.ImportPath), nil
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory and a rename, so that path never holds a partial file.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
