package boottest

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/host/qemu"
)

// exampleImages caches built example images per test binary run.
var exampleImages sync.Map // package dir -> image path

// bootExample builds ../../examples/name and boots it on cpus vCPUs.
func bootExample(t *testing.T, name string, cpus int, args ...string) (string, qemu.Result) {
	t.Helper()
	needQEMU(t)
	img, ok := exampleImages.Load(name)
	if !ok {
		out := filepath.Join(imageDir, "example-"+name+".img")
		if _, err := build.Build(t.Context(), build.Options{Package: "../../examples/" + name, Dir: ".", Output: out}); err != nil {
			t.Fatalf("building %s: %v", name, err)
		}
		exampleImages.Store(name, out)
		img = out
	}
	out, res, err := qemu.Boot(t.Context(), qemu.Config{
		Image: img.(string), CPUs: cpus, Accel: qemu.AccelTCG, Timeout: 2 * time.Minute,
	}, qemu.Guest{Args: append([]string{name}, args...)})
	if err != nil {
		t.Fatalf("booting %s: %v\nconsole:\n%s", name, err, out)
	}
	return string(out), res
}

func TestOSUExample(t *testing.T) {
	t.Parallel()
	for _, cpus := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("cpus=%d", cpus), func(t *testing.T) {
			out, res := bootExample(t, "osu", cpus, "-iters", "20", "-max", "4096", "allreduce")
			wantExit(t, out, res, 0)
			var rows int
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				if !strings.HasPrefix(l, "#") {
					rows++
				}
			}
			if !strings.Contains(out, fmt.Sprintf("# guest, %d ranks on %d cores", cpus, cpus)) || rows != 11 {
				t.Errorf("want a table of 11 rows (4 B to 4 KiB) for %d ranks:\n%s", cpus, out)
			}
		})
	}
}
