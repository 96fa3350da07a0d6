package boottest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotoro/gotoro/host/bench"
)

// TestTranslationLog: gotoro run -translation-log has QEMU log the blocks
// it translates, and the log splits into the boot's phases, each with
// blocks (the kernel's boot mostly the kernel's own); under KVM it is
// refused before anything runs.
func TestTranslationLog(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	log := filepath.Join(t.TempDir(), "in_asm.log")
	out, err := exec.Command(cli, "run", "-accel", "tcg", "-translation-log", log, "./testdata/exitcode", "0").CombinedOutput()
	if status := exitStatus(t, err); status != 0 {
		t.Fatalf("status %d\n%s", status, out)
	}
	f, err := os.Open(log)
	if err != nil {
		t.Fatalf("no translation log: %v\n%s", err, out)
	}
	defer f.Close()
	phases, err := bench.CountBlocks(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range phases {
		if p.Blocks == 0 {
			t.Errorf("phase %q translated no blocks: the phases were not found in the log", p.Name)
		}
	}
	if k := phases[1]; k.Kernel*2 < k.Blocks {
		t.Errorf("kernel boot: %d of %d blocks the kernel's", k.Kernel, k.Blocks)
	}
	if k := phases[1].Blocks; k > maxKernelBootBlocks {
		t.Errorf("kernel boot: %d blocks translated (bound %d): the boot grew (its largest functions: %v; docs/boot.md, \"Translated blocks, measured\")", k, maxKernelBootBlocks, phases[1].Top(8))
	}
	// Kernel code is translated once: system calls, faults and interrupts
	// enter it with the same SS (trap_amd64.s), so QEMU finds the first
	// translation again. Left over are the few functions the kernel's
	// boot ran before it enabled AVX (a translation flag too): the stubs'
	// address getters and Outb, 3–4 blocks.
	again := 0
	for _, p := range phases[2:] {
		again += p.KernelAgain
	}
	if again > maxKernelAgain {
		t.Errorf("after the kernel's boot QEMU translated %d blocks of kernel code a second time (bound %d): kernel code runs under different translation flags on different entry paths (SS's attributes after an interrupt? docs/boot.md)", again, maxKernelAgain)
	}
	// The paths the Go runtime's start-up takes through the kernel
	// (system-call dispatch, mmap, open, signals, futex, clone, faults)
	// are //go:nosplit where the linker's budget allows: no prologue
	// stack check, which under TCG is a block of its own (docs/kernel.md).
	checks := 0
	for _, p := range phases[2:] {
		checks += p.KernelStackChecks
	}
	if checks > maxKernelStackChecks {
		t.Errorf("after the kernel's boot QEMU translated %d kernel function prologues with a stack check (bound %d): a function on the system-call paths lost its //go:nosplit? (docs/kernel.md)", checks, maxKernelStackChecks)
	}

	// The kernel's share of the runtime's own start-up (rt0 →
	// runtime.main: one thread, so no start-up SIGURG, and the same
	// system calls in every run) moves only by a timer interrupt's few
	// blocks: more is kernel code added to the paths every program's
	// start takes (the opens of hpage_pmd_size and /proc/self/cgroup,
	// mmap, the signal calls; docs/boot.md).
	t.Logf("kernel blocks: boot %d, rt0 → runtime.main %d (bound %d)", phases[1].Kernel, phases[2].Kernel, maxRuntimeStartKernelBlocks)
	if k := phases[2].Kernel; k > maxRuntimeStartKernelBlocks {
		t.Errorf("rt0 → runtime.main: %d blocks of kernel code translated (bound %d): the kernel's paths for the runtime's start-up grew (docs/boot.md, \"Counted on 2026-12-07 (blocks16w…)\")", k, maxRuntimeStartKernelBlocks)
	}

	out, err = exec.Command(cli, "run", "-accel", "kvm", "-translation-log", log, "./testdata/exitcode", "0").CombinedOutput()
	if status := exitStatus(t, err); status != 125 || !strings.Contains(string(out), "needs TCG") {
		t.Errorf("-accel kvm with a translation log: status %d, want 125 and a message saying it needs TCG:\n%s", status, out)
	}
}

// maxKernelBootBlocks bounds the blocks the kernel's boot translates
// (entry → Go runtime) for this program (TestTranslationLog): 540 in 2
// of 2 runs on 2026-12-07 (kboot16k's second round), 630 before it
// (arch.LoadCPU, the vector state's set-up, the boot's first nosplit
// functions, the default variables in one piece, fewer branches, no
// second clear of the first thread's vector area). The count does not
// depend on the load; the Go toolchain and QEMU move it a little.
const maxKernelBootBlocks = 560

// maxKernelAgain bounds the kernel's blocks translated a second time
// after its boot (TestTranslationLog); 240 before interrupts loaded SS.
const maxKernelAgain = 8

// maxRuntimeStartKernelBlocks bounds the kernel's blocks translated from
// rt0 to runtime.main (TestTranslationLog): 677 for this program in 5 of
// 5 runs (a timer interrupt more or less moves it by ~5–9), 711 before
// blocks16w's MAP_FIXED path inside one anonymous VMA, 790 before
// blocks16u's shorter open paths; 680 → 684 (3 of 3 runs each) when
// procPath began to clean an absolute path outside /proc that is not
// clean ("//proc/self/maps"). On 2026-12-08 at 7661a7d: 700, 700, 700
// and 709 (an interrupt) in 4 runs; after sys18's system calls (the
// wait masks' restore in trap's signal branch, mmap's merge comparing
// the shared flag with the protection, larger thread and node structs)
// 704 in 3 of 3 runs (709 in 2 of 2 before those two were folded into
// existing branches). After tlb18's zero-page spans (unshareZero +3):
// 706, 706, 706 and 709 in 4 runs at 55747e6+dc35949, so 712 left a
// timer interrupt's 5–9 blocks no room; 718 does.
const maxRuntimeStartKernelBlocks = 718

// maxKernelStackChecks bounds the kernel's function prologues with a
// stack check translated after its boot (TestTranslationLog). This
// program translates 9 (functions whose nosplit chain would exceed the
// linker's budget, the page allocator of package mm, the compiler's
// interface method wrappers); 11 before kboot16k's second round made the
// boot's first splittable functions nosplit (some of the scheduler's,
// which the runtime's paths reach too), 18 when rtk16m counted, 125
// before the system-call paths were nosplit.
const maxKernelStackChecks = 15

// TestMaxKernelBlocks: gotoro bench boot -max-kernel-blocks fails (status
// 1, naming the count and the bound) when the kernel's boot translates
// more blocks than the bound, -max-kernel-insns when their instructions
// are more, and both pass under bounds above the counts.
func TestMaxKernelBlocks(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	for _, tc := range []struct {
		flags  []string
		status int
		want   string
	}{
		{[]string{"-max-kernel-blocks", "100"}, 1, "blocks, above the bound 100"},
		{[]string{"-max-kernel-blocks", "100000", "-max-kernel-insns", "1000"}, 1, "instructions, above the bound 1000"},
		{[]string{"-max-kernel-blocks", "100000", "-max-kernel-insns", "1000000"}, 0, "kernel boot, entry → Go runtime"},
	} {
		args := append([]string{"bench", "boot", "-accel", "tcg", "-n", "10", "-trace=false", "-peer=false"}, tc.flags...)
		out, err := exec.Command(cli, append(args, "../../examples/hello")...).CombinedOutput()
		if status := exitStatus(t, err); status != tc.status || !strings.Contains(string(out), tc.want) {
			t.Errorf("%v: status %d, want %d and %q in:\n%s", tc.flags, status, tc.status, tc.want, out)
		}
	}
}

// TestNoStartupPreemption: a program on one vCPU gets through the Go
// runtime's own start-up without a preemption signal. The runtime's
// sysmon thread is created while the first thread has run alone since
// boot; the scheduler queues it behind a fresh time slice of its creator
// (kernel/placement.go, newcomer), so sysmon's first check comes after
// gcenable has moved the scheduler's tick. Before, sysmon ran at the next
// timer tick and sent SIGURG in every boot, in the middle of the
// runtime's own initialization (docs/boot.md, "The start-up SIGURG").
//
// A signal after gcenable is the runtime's ordinary preemption of a
// goroutine that ran 10 ms without a schedule point: under TCG the
// package initializations of runtime.main take about that long (on the
// fourteenth session's machine ~14 ms, so most boots got one inside
// main.main), which says how fast the host runs, not how the kernel
// schedules. So the order in the translation log decides: the signal
// path's first block (kernel.setupSigframe) before gcenable's first one
// is the start-up preemption. The test fails only when three boots in a
// row had it, since a very loaded host can still outlast the slice.
func TestNoStartupPreemption(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	log := filepath.Join(t.TempDir(), "in_asm.log")
	var early []string
	for try := 0; try < 3; try++ {
		out, err := exec.Command(cli, "run", "-accel", "tcg", "-cpus", "1", "-translation-log", log, "./testdata/exitcode", "0").CombinedOutput()
		if status := exitStatus(t, err); status != 0 {
			t.Fatalf("status %d\n%s", status, out)
		}
		b, err := os.ReadFile(log)
		if err != nil {
			t.Fatalf("no translation log: %v\n%s", err, out)
		}
		gcenable := bytes.Index(b, []byte("\nIN: runtime.gcenable\n"))
		sig := bytes.Index(b, []byte("\nIN: github.com/gotoro/gotoro/kernel.setupSigframe\n"))
		if gcenable < 0 {
			t.Fatalf("the translation log has no block of runtime.gcenable\n%s", out)
		}
		if sig < 0 || sig > gcenable {
			if sig > 0 {
				t.Logf("boot %d: a signal after gcenable (the runtime's 10 ms preemption of a long initialization or main.main)", try+1)
			}
			return
		}
		early = append(early, fmt.Sprintf("boot %d: signal frame at byte %d of the log, gcenable at %d", try+1, sig, gcenable))
	}
	t.Errorf("each of %d boots on one vCPU delivered a signal before runtime.gcenable: the runtime's sysmon preempted the main goroutine during the runtime's own start-up; does a new thread still wait behind its creator's fresh slice (kernel/placement.go)?\n%s", len(early), strings.Join(early, "\n"))
}
