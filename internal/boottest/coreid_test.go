package boottest

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// TestCoreIDIsOneGSLoad disassembles gotoro.CoreID from a built guest image:
// its body must read the core number with a single GS-relative load (then
// store the result and return), with no call, MSR, CPUID or memory-mapped
// APIC access.
func TestCoreIDIsOneGSLoad(t *testing.T) {
	t.Parallel()
	img := buildImage(t, "smp", nil)
	out, err := exec.Command("go", "tool", "objdump", "-s", `^github\.com/gotoro/gotoro\.CoreID(\.abi0)?$`, img).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool objdump: %v\n%s", err, out)
	}
	var insns []string
	for _, line := range strings.Split(string(out), "\n") {
		// file:line, address, encoding, instruction, tab-separated.
		var f []string
		for _, p := range strings.Split(line, "\t") {
			if p = strings.TrimSpace(p); p != "" {
				f = append(f, p)
			}
		}
		if strings.HasPrefix(line, "TEXT ") || len(f) < 4 {
			continue
		}
		insns = append(insns, f[len(f)-1])
	}
	if len(insns) == 0 {
		t.Fatalf("gotoro.CoreID not found in the image:\n%s", out)
	}
	load := fmt.Sprintf("MOVQ GS:%#x, AX", bootabi.CPUIDOffset)
	gs := 0
	for _, in := range insns {
		if strings.Contains(in, "GS:") {
			gs++
		}
		for _, bad := range []string{"CALL", "RDMSR", "CPUID", "LOCK"} {
			if strings.HasPrefix(in, bad) {
				t.Errorf("gotoro.CoreID contains %s", in)
			}
		}
	}
	if gs != 1 || insns[0] != load || len(insns) != 3 || insns[2] != "RET" {
		t.Errorf("gotoro.CoreID = %q; want %q, a store of the result and RET", insns, load)
	}
}
