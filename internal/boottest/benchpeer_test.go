package boottest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gotoro/gotoro/host/qemu"
)

// TestBenchUserPeer: gotoro bench boot times the user-mode peer (hello as
// a static linux/amd64 executable under qemu-x86_64, against the
// 3-instruction exit program) in the same run and prints its share and
// gotoro's own share over it, and with -blocks its translated blocks; without qemu-x86_64 on PATH it says so and
// the rest of the benchmark still runs and passes.
func TestBenchUserPeer(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	if _, err := exec.LookPath("qemu-x86_64"); err != nil {
		if requireVM() {
			t.Fatalf("GOTORO_REQUIRE_VM=1 but qemu-x86_64 is missing (scripts/setup.sh installs qemu-user): %v", err)
		}
		t.Skipf("qemu-x86_64 missing: %v", err)
	}
	out, err := exec.Command(cli, "bench", "boot", "-accel", "tcg", "-n", "10", "-trace=false", "-blocks", "../../examples/hello").CombinedOutput()
	if status := exitStatus(t, err); status != 0 {
		t.Fatalf("status %d:\n%s", status, out)
	}
	// The Go runtime's start is thousands of distinct blocks, in the
	// peer's translation log as in gotoro's.
	distinct := regexp.MustCompile(`the peer's distinct blocks: ([0-9]+) `).FindSubmatch(out)
	if distinct == nil {
		t.Fatalf("no translated blocks of the user-mode peer in:\n%s", out)
	}
	if n, _ := strconv.Atoi(string(distinct[1])); n < 2000 {
		t.Errorf("the user-mode peer translated %d distinct blocks, want the Go runtime's thousands:\n%s", n, out)
	}
	share := regexp.MustCompile(`the Go program's share under user-mode TCG \(median start → exit − exit program's\): ([0-9.]+) ms`).FindSubmatch(out)
	if share == nil {
		t.Fatalf("no share of the user-mode peer in:\n%s", out)
	}
	// The Go runtime's start translated takes tens of milliseconds under
	// TCG; the exit program's one block next to nothing.
	if ms, _ := strconv.ParseFloat(string(share[1]), 64); ms < 5 {
		t.Errorf("the Go program's share under qemu-x86_64 is %.1f ms: did it run the Go runtime at all?\n%s", ms, out)
	}
	for _, want := range []string{"user-mode TCG: exit program, start → exit (peer floor)", "hello under qemu-x86_64: start → exit", "gotoro's own share / the Go program's share under user-mode TCG: "} {
		if !strings.Contains(string(out), want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}

	// A PATH with go and qemu-system-x86_64 only.
	bin := t.TempDir()
	for _, name := range []string{"go", qemu.Binary} {
		p, err := exec.LookPath(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(cli, "bench", "boot", "-accel", "tcg", "-n", "10", "-trace=false", "../../examples/hello")
	cmd.Env = append(os.Environ(), "PATH="+bin)
	out, err = cmd.CombinedOutput()
	if status := exitStatus(t, err); status != 0 {
		t.Fatalf("without qemu-x86_64: status %d:\n%s", status, out)
	}
	for _, want := range []string{"# user-mode peer (qemu-x86_64) skipped: qemu-x86_64 not found on PATH", "hello: gotoro run start → exit", "# image hello.img"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("without qemu-x86_64: no %q in:\n%s", want, out)
		}
	}
}
