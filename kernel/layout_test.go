package kernel

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unsafe"

	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/kernel/desc"
	"github.com/gotoro/gotoro/kernel/percpu"
)

// The assembly and the Linux ABI depend on these layouts.
func TestLayouts(t *testing.T) {
	var c cpu
	var f trapFrame
	var uc ucontext
	cases := []struct {
		name      string
		got, want uintptr
	}{
		{"cpu.scratch", unsafe.Offsetof(c.scratch), 8},
		{"cpu.scratch2", unsafe.Offsetof(c.scratch2), 16},
		{"cpu.kstackTop", unsafe.Offsetof(c.kstackTop), 24},
		{"cpu.curKG", unsafe.Offsetof(c.curKG), 32},
		{"cpu.curFX", unsafe.Offsetof(c.curFX), 40},
		{"cpu.kdepth", unsafe.Offsetof(c.kdepth), 48},
		{"cpu.istKG", unsafe.Offsetof(c.istKG), 56},
		{"cpu.istFX", unsafe.Offsetof(c.istFX), 64},
		{"cpu.id", unsafe.Offsetof(c.id), bootabi.CPUIDOffset},
		{"cpu.haltSP", unsafe.Offsetof(c.haltSP), 80},
		{"trapFrame size", unsafe.Sizeof(f), trapFrameSize},
		{"trapFrame.rbp", unsafe.Offsetof(f.rbp), bootabi.TrapFrameRBP},
		{"trapFrame.rax", unsafe.Offsetof(f.rax), bootabi.TrapFrameRAX},
		{"trapFrame.vector", unsafe.Offsetof(f.vector), bootabi.TrapFrameVector},
		{"trapFrame.rip", unsafe.Offsetof(f.rip), bootabi.TrapFrameRIP},
		{"trapFrame.rsp", unsafe.Offsetof(f.rsp), bootabi.TrapFrameRSP},
		{"ucontext.mc", unsafe.Offsetof(uc.mc), 40},
		{"mcontext size", unsafe.Sizeof(uc.mc), 256},
		{"mcontext.rip", unsafe.Offsetof(uc.mc.rip), 16 * 8},
		{"ucontext.sigmask", unsafe.Offsetof(uc.sigmask), 296},
		{"siginfo size", unsafe.Sizeof(siginfo{}), 128},
		{"stat size", unsafe.Sizeof(statBuf{}), 144},
		{"sigaction size", unsafe.Sizeof(sigaction{}), 32},
		{"tss size", unsafe.Sizeof(desc.TSS{}), 104},
		{"bootStack", bootStackSize, 65536},
		{"fpu.mode (FPU_MODE)", unsafe.Offsetof(fpu.mode), 0},
		{"fpu.avx (FPU_AVX)", unsafe.Offsetof(fpu.avx), 1},
		{"fpxSwBytes size", unsafe.Sizeof(fpxSwBytes{}), 48},
		{"fpxSwBytes.xstateSize", unsafe.Offsetof(fpxSwBytes{}.xstateSize), 16},
		{"xsaveHeader size", unsafe.Sizeof(xsaveHeader{}), xsaveHdrSize},
		{"ucontext.mc.fpstate", unsafe.Offsetof(uc.mc) + unsafe.Offsetof(uc.mc.fpstate), 224},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}

// TestAsmOffsets checks that the #defines in trap_amd64.s match cpu.
func TestAsmOffsets(t *testing.T) {
	src, err := os.ReadFile("trap_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uintptr{
		"FRAME_VECTOR": unsafe.Offsetof(trapFrame{}.vector),
		"CPU_SCRATCH":  8, "CPU_SCRATCH2": 16, "CPU_KSTACK": 24, "CPU_KG": 32,
		"CPU_FX": 40, "CPU_KDEPTH": 48, "CPU_ISTKG": 56, "CPU_ISTFX": 64,
	}
	re := regexp.MustCompile(`(?m)^#define ((?:CPU|FRAME)_\w+)\s+(\d+)`)
	found := 0
	for _, m := range re.FindAllStringSubmatch(string(src), -1) {
		w, ok := want[m[1]]
		if !ok {
			t.Errorf("unexpected define %s", m[1])
			continue
		}
		found++
		if m[2] != uitoa(w) {
			t.Errorf("%s = %s, want %d", m[1], m[2], w)
		}
	}
	if found != len(want) {
		t.Errorf("found %d offset defines, want %d", found, len(want))
	}
}

// TestAsmDefines checks the numbers the entry and FPU assembly define
// (kernel/ktime checks the vDSO's, kernel/percpu the KernelG offsets).
func TestAsmDefines(t *testing.T) {
	for _, c := range []struct {
		file string
		want map[string]uintptr
	}{
		{"fpu_amd64.s", map[string]uintptr{"FPU_MODE": unsafe.Offsetof(fpu.mode), "FPU_AVX": unsafe.Offsetof(fpu.avx)}},
		{"entry_amd64.s", map[string]uintptr{"BOOTSTACK": bootStackSize, "KGUARD": percpu.KGuard}},
	} {
		src, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(`(?m)^#define (\w+)\s+(\d+)\s*$`)
		found := 0
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			w, ok := c.want[m[1]]
			if !ok {
				t.Errorf("%s: unexpected define %s", c.file, m[1])
				continue
			}
			found++
			if m[2] != uitoa(w) {
				t.Errorf("%s: %s = %s, want %d", c.file, m[1], m[2], w)
			}
		}
		if found != len(c.want) {
			t.Errorf("%s: found %d offset defines, want %d", c.file, found, len(c.want))
		}
	}
}

func uitoa(v uintptr) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}

// TestNoHeapAllocation guards the rule that kernel code never allocates:
// the compiler's escape analysis must not move anything to the heap, in the
// kernel or in the packages it shares with the host whose every function
// it may call. (bootabi and imagefs also hold host-side code that
// allocates; the kernel calls only their allocation-free parts.)
func TestNoHeapAllocation(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kernel with -gcflags=-m")
	}
	pkgs := append(kernelPackages(t), "../internal/linuxabi", "../internal/netctl", "../internal/pclntab", "../internal/rdtsc")
	for _, pkg := range pkgs {
		out, err := exec.Command("go", "build", "-gcflags=-m", "-o", os.DevNull, pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "_test.go") {
				continue
			}
			if strings.Contains(line, "escapes to heap") || strings.Contains(line, "moved to heap") {
				if strings.Contains(line, "does not escape") {
					continue
				}
				t.Errorf("kernel code allocates: %s", line)
			}
		}
	}
}

// kernelPackages lists the kernel package and its subsystem packages
// (kernel/arch…) as directories relative to this one.
func kernelPackages(t *testing.T) []string {
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list ./...: %v", err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []string
	for _, dir := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(wd, dir)
		if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, "./"+filepath.ToSlash(rel))
	}
	if len(pkgs) < 2 || pkgs[0] != "./." {
		t.Fatalf("go list ./... found %q, want the kernel package and its subpackages", pkgs)
	}
	return pkgs
}

// TestNoPackageInit guards the rule that the kernel and the packages it
// imports from this module run no package initialisation: the kernel runs
// before the Go runtime has initialised anything, so its tables (the
// system-call table, the file kinds) must be laid out by the compiler as
// static data. An init function with a body means some table is built at
// run time.
func TestNoPackageInit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kernel with -gcflags=-S")
	}
	out, err := exec.Command("go", "build", "-gcflags=github.com/gotoro/gotoro/...=-S", "-o", os.DevNull, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	re := regexp.MustCompile(`(?m)^(github\.com/gotoro/gotoro/[\w/]+)\.init STEXT .*size=(\d+)`)
	found := 0
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		found++
		if m[2] != "1" { // an empty function is one RET
			t.Errorf("%s has package initialisation code (%s bytes)", m[1], m[2])
		}
	}
	if found == 0 {
		t.Error("found no init function of the kernel package in the compiler's output")
	}
}
