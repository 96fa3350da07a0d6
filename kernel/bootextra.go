package kernel

import (
	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/kernel/apic"
	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/ktime"
	"github.com/gotoro/gotoro/kernel/mm"
	"github.com/gotoro/gotoro/kernel/vio"
)

// The boot steps a plain run does not need: kmain calls each only when
// the command line asked for one of them (bootParams.extra), so that a
// plain boot pays one test per step instead of one per feature (under
// QEMU's TCG each test ends a translated block: docs/boot.md).

// bootExtraCPU: -ktrace, the snapshot point, the boot trace's
// breakpoints and a lowered vector state, after the command line is read
// and before the first thread and the other cores (the size of every
// thread's saved state depends on the vector state).
func bootExtraCPU(p *bootParams, bb *bootabi.BootBlock) {
	ktrace = p.ktrace
	snapshotInit(p.snapshot, bb)
	if p.bootTrace {
		bootTraceInit(bb)
	} else {
		arch.ClearDebug()
	}
	if p.xsave != "" {
		fpuSetup(fpuAllow(p.xsave))
	}
}

// bootExtraDevices: the virtio devices and the shares the line names.
// Without either nothing uses the virtio core, so only then does it get
// its hook (vio.SetHost, before any other call into it).
func bootExtraDevices(cmdline string, p *bootParams) {
	vio.SetHost(theVirtioHost)
	if p.virtio {
		virtioInit(cmdline, p.virtioPoll)
	}
	if p.fs {
		fuseMountAll(cmdline)
	}
}

// bootExtraFiles: the writable overlay (rw=1) and a working directory
// other than / (cwd=, still escaped).
func bootExtraFiles(p *bootParams) {
	if p.rw {
		ovInit()
	}
	if p.cwd == "" {
		return
	}
	n := bootabi.Unescape(pathBuf[:], p.cwd)
	var buf [pathMax]byte
	if abs, ok := cleanJoin(buf[:], "/", unsafeString(pathBuf[:n])); ok {
		if ref, e := resolveAt(atFDCWD, abs, true); e == 0 && (ref.tmp || rootFS.IsDir(ref.idx)) {
			setCwd(abs)
			return
		}
	}
	kprint("gotoro: working directory not in the image, using /\n")
}

// bootExtraLast: -ktrace's boot line, and the kernel's self-tests
// (ktest=, ktest.go).
func bootExtraLast(p *bootParams, entryTSC uint64) {
	if ktrace {
		ktraceBoot(entryTSC)
	}
	ktestStart(p.ktest)
}

// ktraceBoot prints -ktrace's line about the boot: the clock, the local
// APIC and its timer, the vector state, the cores, the free memory and
// the kernel boot's time.
func ktraceBoot(entryTSC uint64) {
	kprint("gotoro: clock ")
	src, note := ktime.Source()
	kprint(src)
	kprint(note)
	kprint(" tsc_hz=")
	kprintDec(ktime.Hz())
	kprint(" (")
	kprint(ktime.HzFrom())
	kprint(") apic=")
	if apic.X2APIC() {
		kprint("x2apic")
	} else {
		kprint("xapic")
	}
	kprint(" timer=")
	if apic.TSCDeadline() {
		kprint("tsc-deadline")
	} else {
		kprint("one-shot")
	}
	kprint(" fpu=")
	kprint(fpuModeName())
	kprint(" xcr0=")
	kprintHex(fpu.xcr0)
	kprint(" fpu_bytes=")
	kprintDec(uint64(fpu.size))
	kprint(" cpus=")
	kprintDec(uint64(ncpu))
	switch {
	case madt.Found && madt.FromScan:
		kprint(" (MADT, RSDP from a BIOS-area scan)")
	case madt.Found:
		kprint(" (MADT, RSDP from hvm_start_info)")
	case madt.Tables:
		kprint(" (one vCPU said by the host: MADT not read)")
	}
	kprint(" free_pages=")
	kprintDec(mm.FreePages())
	kprint(" kernel_boot_us=")
	kprintDec((arch.Rdtsc() - entryTSC) * 1_000_000 / ktime.Hz())
	kprint("\n")
}
