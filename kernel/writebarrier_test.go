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
	"blkAttach":   true,
	"fsAttach":    true,
	"kmain":       true,
	"netAttach":   true,
	"pclnLoad":    true,
	"vconAttach":  true,
	"vsockAttach": true,
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
	out, err := exec.Command("go", "build", "-gcflags=-S", "-o", os.DevNull, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	fnRE := regexp.MustCompile(`^github\.com/gotoro/gotoro/kernel\.(\S+) STEXT`)
	fn := ""
	bad := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if m := fnRE.FindStringSubmatch(line); m != nil {
			fn = m[1]
			continue
		}
		if strings.Contains(line, "runtime.gcWriteBarrier") && !bootWriteBarriers[fn] {
			bad[fn] = true
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
