package bootcase

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/cpu"

	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/internal/vectorwork"
)

// xsaveOff boots with the FXSAVE fallback: x87 and SSE only, no OSXSAVE.
const xsaveOff = "xsave=off"

// vectorFeatures checks that the Go runtime sees the vector features the
// virtual CPU offers (golang.org/x/sys/cpu makes the same OSXSAVE and XCR0
// checks as the runtime's internal/cpu): under TCG's -cpu max that is AVX
// and AVX2; under KVM's -cpu host it is what the CPU running the case
// offers (for the nested lane, L1's). With xsave=off there is none of it.
func vectorFeatures(t TB, e *Env) {
	avx, avx2 := true, true
	var cmdline string
	if e.Accel == qemu.AccelKVM {
		avx, avx2 = cpu.X86.HasAVX, cpu.X86.HasAVX2
		cmdline = "ktrace=1" // the kernel says which save instruction it chose
	}
	out, res := e.Boot(t, Spec{Prog: progVector, Args: []string{"features"}, Cmdline: cmdline})
	WantExit(t, out, res, 0)
	if avx && xcr0Lost(out) {
		// A hypervisor that does not keep the guest's XCR0 across a VM
		// exit (QEMU < 9.1's emulated SVM under the nested lane): the
		// kernel detected it and runs the FXSAVE fallback (docs/kernel.md).
		t.Logf("the hypervisor loses XCR0 on VM exits: the kernel chose FXSAVE, as it must")
		avx, avx2 = false, false
	}
	Contains(t, out, fmt.Sprintf("avx=%v", avx), fmt.Sprintf("avx2=%v", avx2))
	if avx {
		Contains(t, out, "osxsave=true")
		// x87, SSE and AVX state enabled (and AVX-512's where offered;
		// TCG's -cpu max has none).
		m := xcr0RE.FindStringSubmatch(out)
		x, err := uint64(0), error(nil)
		if m != nil {
			x, err = strconv.ParseUint(m[1], 16, 64)
		}
		switch {
		case m == nil || err != nil:
			t.Errorf("no xcr0 in the guest's report:\n%s", out)
		case x&7 != 7, e.Accel != qemu.AccelKVM && x != 7:
			t.Errorf("xcr0=%#x, want x87, SSE and AVX (0x7) enabled:\n%s", x, out)
		}
	}
	out, res = e.Boot(t, Spec{Prog: progVector, Args: []string{"features"}, Cmdline: xsaveOff})
	WantExit(t, out, res, 0)
	Contains(t, out, "avx=false", "avx2=false", "osxsave=false")
}

// vectorStress runs vector-heavy code (memmove, bytes.IndexByte, sha256,
// AES-GCM, float64 math) on several threads over 4 cores while the threads
// are interrupted, switched and sent SIGURG, with the default vector state
// and with the SSE fallback, and compares every worker's results with the
// same work done natively by the runner (internal/vectorwork). The program
// also checks that all sixteen vector registers and MXCSR survive a long
// loop.
func vectorStress(t TB, e *Env) {
	const workers, rounds = 6, 8
	want := vectorwork.Digests(workers, rounds) // computed here, natively
	regs := "Y0-Y15"
	if e.Accel == qemu.AccelKVM {
		out, res := e.Boot(t, Spec{Prog: progVector, Args: []string{"features"}, Cmdline: "ktrace=1"})
		WantExit(t, out, res, 0)
		if !cpu.X86.HasAVX || xcr0Lost(out) {
			regs = "X0-X15" // the SSE code: the CPU or the hypervisor has no AVX state
		}
	}
	for _, c := range []struct{ cmdline, regs string }{{"", regs}, {xsaveOff, "X0-X15"}} {
		out, res := e.Boot(t, Spec{
			Prog: progVector, Args: []string{"stress", strconv.Itoa(workers), strconv.Itoa(rounds)},
			CPUs: 4, Cmdline: c.cmdline, Timeout: 5 * time.Minute,
		})
		WantExit(t, out, res, 0)
		Contains(t, out, "corrupted registers: 0 ("+c.regs)
		got := map[string]string{}
		for _, s := range digestRE.FindAllStringSubmatch(out, -1) {
			got[s[1]] = s[2]
		}
		for w, d := range want {
			if g := got[strconv.Itoa(w)]; g != d {
				t.Errorf("%q worker %d: guest digest %q, native %q", c.cmdline, w, g, d)
			}
		}
	}
}

// xcr0Lost reports whether the kernel's -ktrace 1 facts say it fell back
// to FXSAVE because the hypervisor lost XCR0 across a VM exit.
func xcr0Lost(out string) bool {
	return strings.Contains(out, "fpu=fxsave(XCR0-lost-on-VM-exit)")
}

var xcr0RE = regexp.MustCompile(`xcr0=0x([0-9a-f]+)`)

var digestRE = regexp.MustCompile(`(?m)^worker (\d+) digest ([0-9a-f]+)`)
