package qemu

import (
	"strconv"
	"time"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// Guest is what the kernel command line tells the guest program.
type Guest struct {
	// Args is argv; Args[0] is the program name.
	Args []string
	// Env holds KEY=VALUE environment entries.
	Env []string
	// Cwd is the initial working directory; empty means "/".
	Cwd string
	// Writable makes the packed file tree writable: changes go to a
	// copy-up overlay in guest memory (bootabi.KeyRW), never to the host.
	Writable bool
	// KernelTrace is the kernel's tracing level (bootabi.KeyKtrace): 0 off,
	// 1 boot facts and unimplemented system calls, 2 every system call.
	KernelTrace int
	// Console "virtio" makes the virtio console the guest's console
	// (Config.Console must add the device); empty keeps the serial one.
	Console Console
	// PollDevices makes the kernel poll its virtio devices instead of
	// taking their interrupts.
	PollDevices bool
	// Shares are the shared directories to mount, in the order of their
	// devices (the n-th has tag FSTag(n)).
	Shares []Share
	// Params are kernel options (bootabi.KernelOptions: xsave= and the
	// like), added to the command line as they are.
	Params []bootabi.Param
}

// Cmdline encodes g as a kernel command line, adding the host's TSC rate
// (omitted if 0) and epoch, the wall-clock time the guest starts from.
func (g Guest) Cmdline(tscHz uint64, epoch time.Time) string {
	var ps []bootabi.Param
	for _, a := range g.Args {
		ps = append(ps, bootabi.Param{Key: bootabi.KeyArg, Value: a})
	}
	for _, e := range g.Env {
		ps = append(ps, bootabi.Param{Key: bootabi.KeyEnv, Value: e})
	}
	// The guest starts in /: saying so would cost its boot a token to
	// read (under TCG, blocks to translate).
	if g.Cwd != "" && g.Cwd != "/" {
		ps = append(ps, bootabi.Param{Key: bootabi.KeyCwd, Value: g.Cwd})
	}
	if g.Writable {
		ps = append(ps, bootabi.Param{Key: bootabi.KeyRW, Value: "1"})
	}
	if tscHz != 0 {
		ps = append(ps, bootabi.Param{Key: bootabi.KeyTSCHz, Value: strconv.FormatUint(tscHz, 10)})
	}
	if g.KernelTrace > 0 {
		ps = append(ps, bootabi.Param{Key: bootabi.KeyKtrace, Value: strconv.Itoa(g.KernelTrace)})
	}
	if g.Console == ConsoleVirtio {
		ps = append(ps, bootabi.Param{Key: bootabi.KeyConsole, Value: string(g.Console)})
	}
	for i, sh := range g.Shares {
		v := FSTag(i) + ":" + sh.GuestDir
		if sh.ReadOnly {
			v += ":ro"
		}
		ps = append(ps, bootabi.Param{Key: bootabi.KeyFS, Value: v})
	}
	if g.PollDevices {
		ps = append(ps, bootabi.Param{Key: bootabi.KeyVirtioPoll, Value: "1"})
	}
	ps = append(ps, g.Params...)
	ps = append(ps, bootabi.Param{Key: bootabi.KeyEpochNs, Value: strconv.FormatInt(epoch.UnixNano(), 10)})
	return bootabi.EncodeCmdline(ps)
}
