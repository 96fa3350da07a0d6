// Package kernel is the gotoro guest kernel. An image is the user's Go
// program linked with this package (the builder adds the import) and with
// entry64 as its ELF entry point. The kernel boots the machine, then starts
// the unmodified Go runtime at _rt0_amd64_linux and serves the Linux system
// calls it makes.
//
// Boot order (kmain): console, CPU tables, memory, time, interrupts, file
// tree, then the first thread, which enters the Go runtime.
package kernel

import (
	"sync/atomic"
	"unsafe"

	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/internal/imagefs"
	"github.com/gotoro/gotoro/kernel/acpi"
	"github.com/gotoro/gotoro/kernel/apic"
	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/ktime"
	"github.com/gotoro/gotoro/kernel/mm"
	"github.com/gotoro/gotoro/kernel/percpu"
)

const bootStackSize = 65536

var (
	startInfoPA uintptr // hvm_start_info, from EBX at entry
	bootBlockPA uintptr // boot block, from ESI at entry
	bootStack   [bootStackSize]byte
	bootKG      percpu.KernelG
	bootTLS     [2]uintptr
	// initTLS is the TLS area of the first thread until the runtime sets
	// its own with arch_prctl.
	initTLS [2]uintptr
	// imageEnd bounds the kernel image (Go globals live below it).
	imageEnd uintptr
	// pathBuf holds the decoded working directory at boot.
	pathBuf [imagefs.MaxPath + 1]byte
)

// cString returns the NUL-terminated string at address p without copying
// it; "" for p == 0 (boot_amd64.s).
func cString(p uintptr) string

// kmain runs on the boot stack with interrupts off and never returns.
func kmain() {
	entryTSC := arch.Rdtsc()
	consoleInit()
	c := &cpus[0]
	setupIDT()
	setupCPU(c)
	c.kdepth = 1 // kernel code runs: faults are handled on the IST
	// The vector state first, with all the CPU offers: enabling AVX
	// changes how QEMU's TCG translates code, so code run both before and
	// after (the command line's tokenizer, CPUID, MSR access) would be
	// translated twice. xsave= on the command line lowers it below.
	fpuSetup(fpuAllowAll)

	si := (*hvmStartInfo)(ptr(startInfoPA))
	bb := (*bootabi.BootBlock)(ptr(bootBlockPA))
	if uint64(si.magic^hvmStartMagic)|(bb.Magic^bootabi.BootBlockMagic) != 0 {
		badMagic(si)
	}
	imageEnd = uintptr(bb.ImageEnd)
	cmdline := cString(uintptr(si.cmdlinePaddr))
	params := &bootArgs
	parseParams(params, cmdline)
	stampAt(bootabi.StepEntry, entryTSC)
	// What a plain run does not ask for is behind one test per step
	// (params.extra; bootextra.go): under TCG each test is a block.
	if params.extra {
		bootExtraCPU(params, bb)
	} else {
		arch.ClearDebug() // no boot trace: no breakpoint (bootTraceArm)
	}
	stampAt(bootabi.StepCPU, arch.Rdtsc())

	memInit(si, bb)
	symbolizeInit(uintptr(bb.Pclntab), uintptr(bb.PclntabLen))
	stampAt(bootabi.StepMemory, arch.Rdtsc())

	ktime.Init(params.tscHz, params.kvmclock, params.epochNs)
	apicInit(params.x2apic, params.tscDeadline, params.apicHz)
	stampAt(bootabi.StepClock, arch.Rdtsc())
	if params.cpus != 1 {
		acpi.ReadMADT(&madt, uintptr(si.rsdpPaddr), mm.IdentityLimit)
	} else {
		acpi.ProbeTables(&madt, uintptr(si.rsdpPaddr), mm.IdentityLimit)
	}
	stampAt(bootabi.StepACPI, arch.Rdtsc())
	ncpu = startAPs(si, uintptr(si.cmdlinePaddr), uintptr(len(cmdline)))
	stampAt(bootabi.StepCPUs, arch.Rdtsc())
	randomInit()

	// gotoro build validated the tree when it packed it (image.Patch). An
	// image without one has a zero address and size: too short a tree.
	fs, err := imagefs.OpenTrusted(unsafeSlice(uintptr(bb.FilesAddr), uintptr(bb.FilesSize)))
	if err != nil {
		kpanic("the image's file tree is missing or corrupt")
	}
	rootFS = fs
	vcon.want = params.virtioConsole
	gedInit()
	if params.extra {
		bootExtraDevices(cmdline, params)
	}
	stampAt(bootabi.StepDevices, arch.Rdtsc())
	tmpInit()
	setCwd("/")
	if params.extra {
		bootExtraFiles(params)
	}
	fdInit()
	stampAt(bootabi.StepFiles, arch.Rdtsc())
	if params.extra {
		bootExtraLast(params, entryTSC)
	}
	apicTimerReady()
	startFirstThread(cmdline, &params.args)
	gedDeliverEarly()
	// The boot stack becomes core 0's idle context, which runs thread 1.
	c.idleKG = bootKG
	c.idleTLS[0] = uintptr(unsafe.Pointer(&c.idleKG))
	c.setCur(-1)
	atomic.StoreUint32(&c.online, 1)
	idleLoop()
}

// badMagic stops the boot when the start info or the boot block is not
// what gotoro's images are started with (kmain tests both at once).
func badMagic(si *hvmStartInfo) {
	if si.magic != hvmStartMagic {
		kpanic("not started through PVH (bad hvm_start_info magic)")
	}
	kpanic("bad boot block magic: image not built by gotoro build")
}

// startFirstThread creates thread 1, which enters the Go runtime, and
// queues it on core 0.
//
//go:nosplit
func startFirstThread(cmdline string, args *initArgs) {
	t := threadAlloc()
	if t == nil {
		kpanic("cannot create the first thread")
	}
	fpuInitZeroed(t.fxAddr()) // threadAlloc cleared the thread, its area too
	t.fsbase = uintptr(unsafe.Pointer(&initTLS[1]))
	f := t.frame()
	*f = trapFrame{}
	f.rip = uint64(rt0Addr())
	f.rsp = uint64(buildInitialStack(cmdline, args))
	if !mm.GuardLowMemory() {
		kpanic("out of memory for the low-memory guard")
	}
	// The other cores may have cached the low identity mapping.
	tlbShootdown()
	f.rflags = 0x202
	f.cs = selKernelCode
	f.ss = selKernelData
	t.prepareStart()
	t.cpu = 0
	cpus[0].sched().nthreads++
	// From here on, virtqueue waits block instead of polling.
	threadsRunning = true
	makeRunnable(t)
	stampAt(bootabi.StepRuntime, arch.Rdtsc())
}

// bootParams are the kernel's own command-line settings.
type bootParams struct {
	tscHz   uint64
	apicHz  uint64 // the one-shot timer's expected rate, 0: calibrate (apic.Init)
	epochNs int64
	cwd     string // still escaped
	ktrace  bool
	ktest   string // a kernel self-test (ktest.go): "panic", "kstack", "ist", "bootstack", "rowrite"...
	// virtioConsole: console=virtio, use the virtio console once it is up.
	virtioConsole bool
	xsave         string // xsave=off|avx lowers the vector state enabled (fpu.go)
	// What the command line allows of what the CPU offers (each on by
	// default): kvmclock as the clock, x2APIC mode, the TSC-deadline timer.
	kvmclock, x2apic, tscDeadline bool
	// bootTrace: time the boot and print it at exit (boottrace.go).
	bootTrace bool
	// rw: the packed tree is writable through the overlay (overlay.go).
	rw bool
	// snapshot: wait for the host at main.main (snapshot.go).
	snapshot bool
	// cpus: the vCPUs the host gave the machine (0: not said). With 1
	// the MADT is not read (acpi.ProbeTables).
	cpus uint64
	// virtio: a virtio_mmio.device token names a device, for virtioInit;
	// virtioPoll: virtio_poll=1. fs: an fs= token names a share, for
	// fuseMountAll. Without them those steps do not read the line.
	virtio, virtioPoll, fs bool
	// args: what the initial stack needs of arg= and env= (initstack.go).
	args initArgs
	// extra: the line asks for something a plain run does not (a key of
	// bootextra.go's steps, or a cwd other than /).
	extra bool
}

// bootArgs is what kmain's parseParams read (a global, not kmain's
// local: a returned bootParams is copied through kmain's frame).
var bootArgs bootParams

// parseParams reads the command line in one pass into p, which is zero:
// the kernel's settings, and what later boot steps need to know of the
// other tokens (bootParams).
//
//go:nosplit
func parseParams(p *bootParams, cmdline string) {
	// The defaults that are not zero. Not a composite literal: storing
	// one through p would test for the write barrier (its strings).
	p.kvmclock, p.x2apic, p.tscDeadline, p.apicHz = true, true, true, apic.VMMTimerHz
	for rest := cmdline; ; {
		k, raw, r, ok := bootabi.NextParam(rest)
		if !ok {
			break
		}
		rest = r
		switch k {
		case bootabi.KeyTSCHz:
			p.tscHz = parseUint(raw)
		case bootabi.KeyAPICHz:
			p.apicHz = parseUint(raw)
		case bootabi.KeyEpochNs:
			p.epochNs = int64(parseUint(raw))
		case bootabi.KeyCwd:
			if raw != "/" { // "/" is where the boot starts
				p.cwd, p.extra = raw, true
			}
		case bootabi.KeyRW:
			p.rw, p.extra = raw == "1", true
		case "ktest":
			p.ktest, p.extra = raw, true
		case keyConsole:
			p.virtioConsole = raw == "virtio"
		case bootabi.KeyStdin:
			if raw == "serial" {
				stdinInit()
			}
		case bootabi.KeyVDSO:
			vdsoEnabled = raw != "0"
		case bootabi.KeyXsave:
			p.xsave = raw
			p.extra = true
		case bootabi.KeyKvmclock:
			p.kvmclock = raw != "0"
		case bootabi.KeyX2apic:
			p.x2apic = raw != "0"
		case bootabi.KeyTSCDeadline:
			p.tscDeadline = raw != "0"
		case bootabi.KeyIdlePoll:
			setIdlePoll(raw)
		case "idle_fixup":
			idleHLTFixup = raw != "0"
		case "biglock":
			bigLockOnly = raw == "all"
		case "net.ip", "net.gw", "net.dns":
			netParam(k, raw)
		case bootabi.KeyBootTrace:
			p.bootTrace = raw == "1"
			p.extra = true
		case bootabi.KeySnapshot:
			p.snapshot = raw == "1"
			p.extra = true
		case bootabi.KeyCPUs:
			p.cpus = parseUint(raw)
		case bootabi.KeyArg:
			p.args.arg(raw)
		case bootabi.KeyEnv:
			p.args.env(raw)
		case keyVirtioMMIO:
			p.virtio, p.extra = true, true
		case keyVirtioPoll:
			p.virtioPoll = raw == "1"
		case bootabi.KeyFS:
			p.fs, p.extra = true, true
		case bootabi.KeyKtrace:
			p.ktrace, p.extra = raw != "0", true
			ktraceSyscalls = raw == "2"
		}
	}
}

// parseUint is not inlined: parseParams calls it for several keys, and
// one copy is translated once under TCG where inlined copies each are.
//
//go:noinline
func parseUint(s string) uint64 {
	v := uint64(0)
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0
		}
		v = v*10 + uint64(s[i]-'0')
	}
	return v
}

// exitVM stops the machine with the given guest exit status: an
// exit-status line on the console, then the value for the status written to
// the debug-exit port (see bootabi.ExitValue).
//
//go:nosplit
func exitVM(status int) {
	if ktrace {
		reportLAPICTimer()
		reportHLTShadow()
		reportDoubleDelivery()
		if n := spuriousDebug.Load(); n != 0 {
			kprint("ktrace: ")
			kprintDec(n)
			kprint(" debug exceptions without a cause ignored\n")
		}
		reportCPUTime()
		reportWakeStats()
		reportTLBStats()
	}
	bootTracePrint()
	v := bootabi.ExitValue(status)
	if v == bootabi.ExitHigh {
		// The port cannot carry this status: the host reads it here.
		kprint(bootabi.ExitMarker)
		kprintDec(uint64(status & 0xff))
		kprint("\n")
	}
	arch.Outl(bootabi.DebugExitPort, v)
	for {
		arch.Hlt()
	}
}
