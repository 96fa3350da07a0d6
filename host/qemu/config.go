package qemu

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// Accel selects QEMU's accelerator.
type Accel string

// Accelerators.
const (
	// AccelAuto uses KVM when /dev/kvm is usable and a self-test proves that
	// it runs ring-0 SSE natively, and TCG otherwise.
	AccelAuto Accel = "auto"
	// AccelKVM uses KVM (-accel kvm -cpu host), without a self-test.
	AccelKVM Accel = "kvm"
	// AccelTCG uses QEMU's multi-threaded binary translator (-cpu max).
	AccelTCG Accel = "tcg"
)

// ParseAccel parses an accelerator name: auto, kvm or tcg.
func ParseAccel(s string) (Accel, error) {
	switch a := Accel(s); a {
	case AccelAuto, AccelKVM, AccelTCG:
		return a, nil
	}
	return "", fmt.Errorf("invalid accelerator %q: want auto, kvm or tcg", s)
}

// Defaults used for zero Config fields.
const (
	DefaultMemory = 256 * MiB
	DefaultCPUs   = 1
	// MemoryGranule divides every guest RAM size: QEMU rounds -m up to a
	// multiple of 8 KiB, and a memory backend (which gotoro always gives
	// guest RAM) of another size than the rounded one makes QEMU refuse
	// to start ("Machine memory size does not match the size of the
	// memory backend").
	MemoryGranule = 8 * KiB
	// MinMemory is the least RAM with which QEMU's microvm firmware loads
	// a PVH kernel at all.
	MinMemory = 2 * MiB
	// MinGuestMemory is the least RAM a gotoro guest runs in: the
	// image's zero-initialized data ends near 15 MiB, and above it the
	// kernel wants its stack pool (2 MiB at the least) and 4 MiB to
	// spare, else it stops its boot ("not enough memory for the kernel's
	// stacks and tables"). examples/hello needed 21 MiB on 1 to 4 cores
	// (2026-12-07; 20 MiB, the floor before, failed since the kernel's
	// data grew): 3 MiB of margin. TestCLIRun boots hello at exactly this
	// floor, so a kernel that outgrows it fails a test, not a user's run.
	// Larger programs need more; a guest out of memory exits with 137
	// and says so.
	MinGuestMemory = 24 * MiB
)

// Config describes one guest run.
type Config struct {
	// Image is the path of the bootable image (see package host/image).
	Image string
	// Memory is the guest RAM in bytes (DefaultMemory if 0).
	Memory uint64
	// CPUs is the number of virtual CPUs (DefaultCPUs if 0).
	CPUs int
	// Accel is the accelerator (AccelAuto if empty).
	Accel Accel
	// Cmdline is the kernel command line (see bootabi.EncodeCmdline).
	Cmdline string
	// Timeout kills the guest after this long; 0 means no limit. It does
	// not apply in Debug mode, where the guest waits for a debugger.
	Timeout time.Duration
	// Debug starts QEMU's gdb stub on TCP port 1234 with the CPU stopped
	// (-s -S) and logs interrupts, CPU resets and guest errors to DebugLog.
	Debug bool
	// DebugLog is the QEMU log file in Debug mode ("qemu-debug.log" in the
	// current directory if empty).
	DebugLog string
	// TranslationLog, if not empty, is a file to which QEMU logs every
	// block of guest code it translates (-d in_asm): under TCG a boot's
	// cost follows the number of blocks it translates (docs/boot.md).
	// TCG only; not with Debug, which has a log of its own.
	TranslationLog string
	// Monitor, if not empty, is the path of a Unix socket on which QEMU
	// serves its machine protocol (QMP; see package host/qmp), for the
	// profiler or any other tool that inspects the running guest.
	Monitor string
	// Stop, if not nil, asks for a graceful stop when it is closed: the
	// guest gets an ACPI power-button event (QMP system_powerdown), which
	// the kernel turns into SIGTERM for the program. If the guest has not
	// exited StopTimeout later (DefaultStopTimeout if 0), it is killed.
	Stop <-chan struct{}
	// StopTimeout bounds the wait after Stop.
	StopTimeout time.Duration
	// Verbose prints the QEMU command line and the accelerator choice to
	// Stderr.
	Verbose bool
	// Stdout receives the guest console, with the exit-status marker line
	// removed. Nil discards it.
	Stdout io.Writer
	// Stderr receives QEMU's own messages and gotoro's notes about the run.
	// Nil discards them (the end of QEMU's messages still appears in errors).
	Stderr io.Writer
	// QEMU is the emulator binary; empty means qemu-system-x86_64 on PATH.
	QEMU string
	// Console selects the guest console: ConsoleSerial (the default) or
	// ConsoleVirtio. The guest must be told too (Guest.Console).
	Console Console
	// Devices are the guest's virtio devices (see devices.go).
	Devices []Device
	// BootTrace asks the kernel to time its boot (boottrace=1) and fills
	// Result.Boot; the kernel's trace line is removed from the console.
	BootTrace bool
	// PauseOnReset keeps QEMU running, its vCPUs stopped, when the guest
	// resets the machine (a triple fault, or the guest's own reset)
	// instead of exiting (-no-shutdown with -no-reboot), so that its memory
	// and the other vCPUs' registers can be read through WatchMonitor or
	// Monitor; QMP's query-status then says "shutdown". The caller must
	// end QEMU itself.
	PauseOnReset bool
	// WatchMonitor, if not empty, is the path of a second QMP socket,
	// for a watcher that must not compete with the user of Monitor (one
	// client per socket).
	WatchMonitor string
	// Snapshot, if not nil, saves the machine at the program's main.main
	// or starts it from such a file (snapshot.go).
	Snapshot *Snapshot

	// snapMonitor is the snapshot's control socket, set by Run.
	snapMonitor string
	// imageRAM, if not nil, are QEMU's descriptors of the image's layout
	// and stub (imageram.go), set by Run.
	imageRAM *imageRAMFDs
	// stopFD, if not 0, is QEMU's descriptor of the private monitor
	// connection a graceful stop uses (stopMonitor), set by Run.
	stopFD int
}

// Console is the kind of guest console.
type Console string

// Consoles.
const (
	// ConsoleSerial is the 16550 UART (COM1).
	ConsoleSerial Console = "serial"
	// ConsoleVirtio is a virtio-console device; kernel messages before it
	// is up still appear on the serial port, which shares QEMU's stdio.
	ConsoleVirtio Console = "virtio"
)

// ParseConsole parses a console name: serial or virtio.
func ParseConsole(s string) (Console, error) {
	switch c := Console(s); c {
	case ConsoleSerial, ConsoleVirtio:
		return c, nil
	}
	return "", fmt.Errorf("invalid console %q: want serial or virtio", s)
}

// defaultDebugLog is the QEMU log file of a Debug run without DebugLog.
const defaultDebugLog = "qemu-debug.log"

// withDefaults returns c with zero fields set to their defaults and checked.
func (c Config) withDefaults() (Config, error) {
	if c.Image == "" {
		return c, fmt.Errorf("no image to boot")
	}
	if c.Memory == 0 {
		c.Memory = DefaultMemory
	}
	if c.Memory < MinMemory {
		return c, fmt.Errorf("guest memory %s is too small: want at least %s", FormatSize(c.Memory), FormatSize(MinMemory))
	}
	if err := CheckMemoryGranule(c.Memory); err != nil {
		return c, fmt.Errorf("guest memory %w", err)
	}
	if c.CPUs == 0 {
		c.CPUs = DefaultCPUs
	}
	if c.CPUs < 0 || c.CPUs > bootabi.MaxCPUs {
		return c, fmt.Errorf("invalid CPU count %d: gotoro runs 1 to %d cores", c.CPUs, bootabi.MaxCPUs)
	}
	if c.Accel == "" {
		c.Accel = AccelAuto
	}
	if _, err := ParseAccel(string(c.Accel)); err != nil {
		return c, err
	}
	if c.Console == "" {
		c.Console = ConsoleSerial
	}
	if _, err := ParseConsole(string(c.Console)); err != nil {
		return c, err
	}
	if c.Debug && c.TranslationLog != "" {
		return c, errors.New("a translation log cannot be written in a debugging session (it has its own QEMU log): leave out one of them")
	}
	if c.Debug && c.DebugLog == "" {
		c.DebugLog = defaultDebugLog
	}
	if c.Stdout == nil {
		c.Stdout = io.Discard
	}
	if c.Stderr == nil {
		c.Stderr = io.Discard
	}
	return c, nil
}

// CheckMemoryGranule returns an error naming size and the nearest valid
// sizes if size is not a multiple of MemoryGranule.
func CheckMemoryGranule(size uint64) error {
	if size%MemoryGranule == 0 {
		return nil
	}
	down := size &^ (MemoryGranule - 1)
	return fmt.Errorf("%s is not a multiple of %s (QEMU's unit of guest RAM): give %s or %s",
		FormatSize(size), FormatSize(MemoryGranule), FormatSize(down), FormatSize(down+MemoryGranule))
}
