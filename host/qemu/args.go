package qemu

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// GDBPort is the TCP port of QEMU's gdb stub in Debug mode (-s).
const GDBPort = 1234

// args returns QEMU's arguments (without the program name) for c, which must
// have its defaults applied, with accel resolved to AccelKVM or AccelTCG.
func args(c Config, accel Accel) []string {
	machine := "microvm,rtc=on"
	var mem []string
	switch {
	case c.Snapshot != nil:
		machine += ",memory-backend=mem"
		mem = memoryArgs(c.Snapshot, c.Memory)
	case needsSharedMemory(c):
		machine += ",memory-backend=mem"
		mem = []string{"-object", "memory-backend-memfd,id=mem,size=" + FormatSize(c.Memory) + ",share=on"}
	case accel == AccelTCG && c.imageRAM != nil:
		mem = imageRAMArgs(c.Memory, *c.imageRAM)
	case accel == AccelTCG:
		machine += ",memory-backend=mem"
		mem = tcgMemoryArgs(c.Memory)
	}
	a := []string{"-M", machine}
	if accel == AccelKVM {
		a = append(a, "-accel", "kvm", "-cpu", "host")
	} else {
		a = append(a, "-accel", "tcg,thread=multi", "-cpu", "max")
	}
	a = append(a,
		"-m", FormatSize(c.Memory),
		"-smp", strconv.Itoa(c.CPUs),
		"-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
	)
	if c.PauseOnReset {
		a = append(a, "-no-shutdown")
	}
	a = append(a, mem...)
	if c.Console == ConsoleVirtio {
		// One stdio back end shared by the serial port (early kernel
		// messages) and the virtio console.
		a = append(a, "-chardev", "stdio,id=con0,mux=on", "-serial", "chardev:con0")
	} else {
		a = append(a, "-serial", "stdio")
	}
	a = append(a, "-device", fmt.Sprintf("isa-debug-exit,iobase=%#x,iosize=4", bootabi.DebugExitPort))
	a = append(a, deviceArgs(c)...)
	if c.Debug {
		a = append(a, "-s", "-S", "-d", "int,cpu_reset,guest_errors", "-D", c.DebugLog)
	}
	if c.TranslationLog != "" && accel == AccelTCG {
		a = append(a, "-d", "in_asm", "-D", c.TranslationLog)
	}
	if c.Monitor != "" {
		a = append(a, "-qmp", "unix:"+c.Monitor+",server=on,wait=off")
	}
	if c.stopFD != 0 {
		a = append(a, stopMonitorArgs(c.stopFD)...)
	}
	if c.WatchMonitor != "" {
		a = append(a, "-qmp", "unix:"+c.WatchMonitor+",server=on,wait=off")
	}
	if s := c.Snapshot; s != nil {
		a = append(a, "-qmp", "unix:"+c.snapMonitor+",server=on,wait=off")
		if s.Restore != "" {
			// Paused after the load, until the files are checked. The
			// load starts over QMP (migrate-incoming), once both ends
			// leave the shared memory out of the stream; QEMU reads
			// the file from restoreFD (Run opens it).
			a = append(a, "-S", "-incoming", "defer")
		}
	}
	// The kernel reads the ACPI MADT only to find more than one vCPU.
	cmdline := c.Cmdline + " " + bootabi.KeyCPUs + "=" + strconv.Itoa(c.CPUs) + mmioCmdline(virtioDevices(c))
	if c.BootTrace {
		cmdline += " " + bootabi.KeyBootTrace + "=1"
	}
	if c.Snapshot != nil {
		cmdline += " " + bootabi.KeySnapshot + "=1"
	}
	for _, d := range c.Devices {
		cmdline += d.Cmdline
	}
	kernel := c.Image
	if c.imageRAM != nil && accel == AccelTCG && c.Snapshot == nil {
		kernel = fmt.Sprintf("/proc/self/fd/%d", c.imageRAM.kernelFD)
	}
	return append(a, "-kernel", kernel, "-append", cmdline)
}

// shellQuote renders a command line so that it can be pasted into a shell.
func shellQuote(argv []string) string {
	var b strings.Builder
	for i, s := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+,./:@%") == "" {
			b.WriteString(s)
			continue
		}
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(s, "'", `'\''`))
		b.WriteByte('\'')
	}
	return b.String()
}
