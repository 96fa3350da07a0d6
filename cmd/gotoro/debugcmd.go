package main

// debug runs gotoro run -debug: the guest starts stopped, waiting for gdb
// on QEMU's gdb stub, and the gdb command line that loads the image's
// symbols is printed.
func (c *cli) debug(args []string) int {
	return c.run(append([]string{"-debug"}, args...))
}

const debugUsage = `usage: gotoro debug [run flags] PKG|IMAGE [guest args...]

Debug is gotoro run -debug: it boots PKG or IMAGE in QEMU with the gdb stub
on TCP port 1234 and the vCPUs stopped before the first instruction, logs
interrupts and CPU resets to NAME.qemu.log, and prints the gdb command line
that loads the image's symbols and attaches. The image is an ordinary ELF
file with symbols and DWARF, so breakpoints work in Go code and in the
kernel alike (docs/debugging.md). Build the image with gotoro build first
to keep it after the session.

Flags (those of gotoro run):
`
