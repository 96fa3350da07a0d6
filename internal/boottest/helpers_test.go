package boottest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/internal/bootabi"
)

// requireVM reports whether boot tests must run (CI).
func requireVM() bool { return os.Getenv("GOTORO_REQUIRE_VM") == "1" }

// needQEMU skips (or, under CI, fails) a test when QEMU is missing.
func needQEMU(t *testing.T) {
	t.Helper()
	if _, err := qemu.Find(""); err != nil {
		if requireVM() {
			t.Fatalf("GOTORO_REQUIRE_VM=1 but QEMU is unavailable: %v", err)
		}
		t.Skipf("skipping boot test: %v (install it with scripts/setup.sh)", err)
	}
}

// images caches built images per test binary run.
var images sync.Map // name -> string (path)

type bootOpts struct {
	args    []string
	env     []string
	cwd     string
	files   []build.Mount
	mem     uint64
	cpus    int
	timeout time.Duration
	devices []qemu.Device
	console qemu.Console
	poll    bool            // the kernel polls virtio devices
	params  []bootabi.Param // kernel parameters (xsave= ...)
	ktrace  int             // kernel trace level
}

// buildImage builds testdata/name (once per run unless files differ).
func buildImage(t *testing.T, name string, files []build.Mount) string {
	t.Helper()
	key := name
	for _, m := range files {
		key += "|" + m.HostDir + ":" + m.GuestDir
	}
	if p, ok := images.Load(key); ok {
		return p.(string)
	}
	out := filepath.Join(imageDir, strings.ReplaceAll(key, "/", "_")+".img")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, err := build.Build(ctx, build.Options{
		Package: "./testdata/" + name,
		Dir:     ".",
		Output:  out,
		Files:   files,
	})
	if err != nil {
		t.Fatalf("building %s: %v", name, err)
	}
	images.Store(key, out)
	return out
}

// boot builds and boots testdata/name and returns the console output.
func boot(t *testing.T, name string, o bootOpts) (string, qemu.Result) {
	t.Helper()
	needQEMU(t)
	img := buildImage(t, name, o.files)
	if o.timeout == 0 {
		o.timeout = 2 * time.Minute
	}
	args := append([]string{name}, o.args...)
	ctx := context.Background()
	out, res, err := qemu.Boot(ctx, qemu.Config{
		Image:   img,
		Memory:  o.mem,
		CPUs:    o.cpus,
		Accel:   qemu.AccelTCG,
		Timeout: o.timeout,
		Devices: o.devices,
		Console: o.console,
	}, qemu.Guest{Args: args, Env: o.env, Cwd: o.cwd, Console: o.console, PollDevices: o.poll, Params: o.params, KernelTrace: o.ktrace})
	if err != nil {
		if errors.Is(err, qemu.ErrNoQEMU) && !requireVM() {
			t.Skip(err)
		}
		t.Fatalf("booting %s: %v\nconsole:\n%s", name, err, out)
	}
	return string(out), res
}

// wantExit checks that the guest exited normally with status.
func wantExit(t *testing.T, out string, res qemu.Result, status int) {
	t.Helper()
	if res.Outcome != qemu.Exited || res.Status != status {
		t.Fatalf("outcome %v status %d, want exit status %d\nconsole:\n%s", res.Outcome, res.Status, status, out)
	}
}

var imageDir string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "gotoro-boottest-")
	if err != nil {
		panic(err)
	}
	imageDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}
