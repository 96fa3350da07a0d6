package bootabi

// Boot tracing. With boottrace=1 on its command line the kernel reads the
// time-stamp counter at each step of the boot (Step*), stops at the entry
// of runtime.main and main.main (hardware breakpoints at the addresses in
// the boot block), counts system calls, page faults and interrupts, and
// prints everything on one console line just before the machine stops:
//
//	BootTraceMarker t=TSC hz=TSC_HZ ncpu=N entry=TSC cpu=TSC ... sys_main=N ... irq=N "\n"
//
// t is the counter when the line starts, so that the host, which notes
// when the line arrives, can place the guest's counter on its own clock.
// A step that did not happen is 0. The host removes the line from the
// console it shows.

// KeyBootTrace turns boot tracing on (boottrace=1).
const KeyBootTrace = "boottrace"

// BootTraceMarker starts the boot-trace line.
const BootTraceMarker = "\x00gotoro-boot:"

// Boot steps: each is stamped when the step is done, so the time of a step
// is its stamp minus the previous one.
const (
	StepEntry       = iota // the kernel's first instruction (kmain)
	StepCPU                // console, descriptor tables, system-call entry, command line
	StepMemory             // physical memory and the pcln table
	StepClock              // TSC rate and the local APIC timer
	StepACPI               // ACPI tables
	StepCPUs               // the other cores started
	StepDevices            // file tree, virtio devices, power button, virtio-fs mounts
	StepFiles              // /tmp, working directory, standard descriptors
	StepRuntime            // the first thread is ready: the Go runtime starts
	StepRuntimeMain        // runtime.main: the runtime's own set-up is done
	StepMain               // main.main: package initialization is done
	StepExit               // exit_group, or the last thread's exit
	StepFirstOutput        // the first console byte (not a boot step: a second anchor)
	NumSteps
)

// StepNames are the keys of the steps on the boot-trace line.
var StepNames = [NumSteps]string{
	"entry", "cpu", "memory", "clock", "acpi", "cpus", "devices", "files",
	"runtime", "runtime_main", "main", "exit", "first_output",
}

// Counters on the boot-trace line: each is counted up to main.main (the
// key with "_main") and up to the exit.
const (
	CountSyscalls   = iota // system calls
	CountPageFaults        // page faults (demand paging, signals)
	CountInterrupts        // interrupts and other exceptions
	NumCounts
)

// CountNames are the keys of the counters on the boot-trace line.
var CountNames = [NumCounts]string{"sys", "pf", "irq"}
