package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/gotoro/gotoro/host/build"
)

// buildPair builds gotoro's examples/NAME twice in a new temporary
// directory: as a guest image and as a native program, for benchmarks that
// run both in the same run. The caller removes dir.
func buildPair(ctx context.Context, name string) (dir, img, native string, err error) {
	root, err := build.Root()
	if err != nil {
		return "", "", "", err
	}
	dir, err = os.MkdirTemp("", "gotoro-bench-"+name+"-")
	if err != nil {
		return "", "", "", err
	}
	img = filepath.Join(dir, name+".img")
	if _, err := build.Build(ctx, build.Options{Package: "./examples/" + name, Dir: root, Output: img}); err != nil {
		os.RemoveAll(dir)
		return "", "", "", fmt.Errorf("building the guest %s: %w", name, err)
	}
	native = filepath.Join(dir, name)
	gobuild := exec.CommandContext(ctx, "go", "build", "-o", native, "./examples/"+name)
	gobuild.Dir = root
	if out, err := gobuild.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", "", "", fmt.Errorf("building the native %s: %v\n%s", name, err, out)
	}
	return dir, img, native, nil
}
