package boottest

import (
	"context"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/internal/bootcase"
)

// TestCases runs the shared boot cases (package internal/bootcase) under
// TCG: the same list, with the same expectations, that the nested KVM lane
// runs under KVM. Serial cases (they measure time) run first, alone; the
// others in parallel.
func TestCases(t *testing.T) {
	env := caseEnv()
	cases := bootcase.All()
	for _, c := range cases {
		if c.Serial {
			t.Run(c.Name, func(t *testing.T) { c.Run(t, env) })
		}
	}
	for _, c := range cases {
		if !c.Serial {
			t.Run(c.Name, func(t *testing.T) {
				t.Parallel()
				c.Run(t, env)
			})
		}
	}
}

// caseImages caches the images of the cases' programs per test run.
var caseImages sync.Map // prog -> *caseImage

type caseImage struct {
	once sync.Once
	path string
	err  error
}

// caseEnv returns the environment of the boot cases under TCG.
func caseEnv() *bootcase.Env {
	goTool, _ := exec.LookPath("go")
	return &bootcase.Env{
		Accel:   qemu.AccelTCG,
		Require: requireVM(),
		GoTool:  goTool,
		Gotoro: func(t bootcase.TB) string {
			t.Helper()
			return buildCLI(t.(*testing.T))
		},
		Image: func(t bootcase.TB, prog string) string {
			t.Helper()
			needQEMU(t.(*testing.T))
			v, _ := caseImages.LoadOrStore(prog, &caseImage{})
			ci := v.(*caseImage)
			ci.once.Do(func() {
				root, err := bootcase.ModuleRoot(".")
				if err != nil {
					ci.err = err
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				ci.path = imageDir + "/" + bootcase.ImageName(prog)
				_, ci.err = build.Build(ctx, bootcase.BuildOptions(prog, root, ci.path))
			})
			if ci.err != nil {
				t.Fatalf("building %s: %v", prog, ci.err)
			}
			return ci.path
		},
	}
}
