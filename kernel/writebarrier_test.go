package kernel

import (
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// bootWriteBarriers are the kernel functions allowed to contain write
// barriers: they run during boot, before the Go runtime starts, when no
// barrier is active (docs/kernel.md).
var bootWriteBarriers = map[string]bool{
	"blkAttach": true,
	"fsAttach":  true,
	"kmain":     true,
	// parseParams fills kmain's bootArgs (its strings are the command
	// line's).
	"parseParams": true,
	"netAttach":   true,
	"pclnLoad":    true,
	"vconAttach":  true,
	"vsockAttach": true,
	// kmain gives the virtio core its hook (docs/kernel.md, "Packages
	// of the kernel").
	"vio.SetHost": true,
	// memInit gives the memory package its hook.
	"mm.SetHost": true,
}

// TestNoWriteBarrier guards the rule that kernel code stores no Go
// pointers through pointers: such a store compiles to a write-barrier
// check, and a barrier taken while the program's garbage collector is
// marking runs runtime code on the kernel's stack and faults. The
// compiler's assembly listing names every function with a barrier.
func TestNoWriteBarrier(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kernel with -gcflags=-S")
	}
	// The kernel package and its subsystem packages (kernel/arch…).
	out, err := exec.Command("go", "build", "-gcflags=github.com/gotoro/gotoro/kernel/...=-S", "-o", os.DevNull, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// A function of package kernel is named bare (kmain), one of a
	// subsystem package with its package (apic.Init).
	fnRE := regexp.MustCompile(`^github\.com/gotoro/gotoro/kernel(?:/\w+)*/(\w+\.\S+) STEXT|^github\.com/gotoro/gotoro/kernel\.(\S+) STEXT`)
	fn := ""
	bad := map[string]bool{}
	seen := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if m := fnRE.FindStringSubmatch(line); m != nil {
			fn = m[1] + m[2]
			seen[strings.SplitN(m[1], ".", 2)[0]] = true
			continue
		}
		if strings.Contains(line, "runtime.gcWriteBarrier") && !bootWriteBarriers[fn] {
			bad[fn] = true
		}
	}
	for _, pkg := range []string{"arch", "apic", "ktime", "mm", "vio", "desc", "percpu", "acpi"} {
		if !seen[pkg] {
			t.Errorf("the compiler's listing has no function of kernel/%s: the test no longer sees the subsystem packages", pkg)
		}
	}
	var names []string
	for n := range bad {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Errorf("%s stores a Go pointer through a pointer (a write barrier): keep addresses as uintptr or indices", n)
	}
}
