package boottest

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTLBShare: a write into a page other cores have just read as zeros
// is seen by each of them right after, on 2 and 4 cores, whether they
// spun for the writer's flag or slept (their cores halted idle, which
// TLB shootdowns do not wait for: ipi.go). A core left with its
// translation of the zero page reads 0: the program prints the stale
// reads and fails. The same program runs natively first.
func TestTLBShare(t *testing.T) {
	native, err := exec.Command("go", "run", "./testdata/tlbshare", "visible", "50").CombinedOutput()
	if err != nil || !strings.Contains(string(native), "tlbshare ok") {
		t.Fatalf("natively: %v\n%s", err, native)
	}
	forCores(t, []int{2, 4}, func(t *testing.T, cpus int) {
		out, res := boot(t, "tlbshare", bootOpts{cpus: cpus, args: []string{"visible", "100"}, timeout: 6 * time.Minute})
		wantExit(t, out, res, 0)
		want := fmt.Sprintf("visible: 100 rounds, %d readers, 0 stale reads\n", cpus-1)
		if !strings.Contains(out, want) || !strings.Contains(out, "tlbshare ok") {
			t.Errorf("want %q and tlbshare ok:\n%s", want, out)
		}
	})
}

// zeroShootdowns matches -ktrace's count of TLB shootdowns and of those
// for zero-page unshares (tlbstat.go).
var zeroShootdowns = regexp.MustCompile(`ktrace: (\d+) TLB shootdowns \((\d+) for zero-page unshares\)`)

// TestZeroSpanShootdowns: threads that write in order through memory
// they read first (every page the zero page) pay a TLB shootdown per
// doubling of the span unshared (zerospan.go), not one per 64 KiB: on 2
// cores, 2 threads × 2 regions of 4 MiB make 8 each (32) where 64 KiB
// blocks made 256; the bound leaves room for the runtime's own (about 20
// on 4 cores, 2026-12-08).
func TestZeroSpanShootdowns(t *testing.T) {
	out, res := boot(t, "tlbshare", bootOpts{cpus: 2, args: []string{"seq", "4"}, ktrace: 1, timeout: 4 * time.Minute})
	wantExit(t, out, res, 0)
	if !strings.Contains(out, "tlbshare ok") {
		t.Fatalf("unexpected output:\n%s", out)
	}
	m := zeroShootdowns.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no count of TLB shootdowns in -ktrace's output:\n%s", out)
	}
	zero, _ := strconv.Atoi(m[2])
	t.Logf("%s TLB shootdowns, %d for zero-page unshares", m[1], zero)
	if zero < 16 || zero > 96 {
		t.Errorf("%d TLB shootdowns for zero-page unshares, want 16 to 96 (32 for the program's writes: 4 MiB in 8 spans, 4 times)\n%s", zero, out)
	}
}
