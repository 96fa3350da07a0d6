package kernel

import (
	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/kernel/arch"
)

// The boot console is the first 16550 UART (COM1), which QEMU microvm,
// Firecracker and Cloud Hypervisor all provide.

const (
	com1    = 0x3f8
	lsrTHRE = 0x20 // line status: transmitter holding register empty
	// uartFIFO is the transmit FIFO's depth: once the line status says the
	// transmitter is empty, that many bytes go out without asking again.
	// Each port access is a VM exit under KVM, so this halves what console
	// output costs.
	uartFIFO = 16
)

// consoleInit programs COM1 for 115200 8N1 with FIFOs on: interrupts
// off, the divisor latch (1), the line (8N1), the FIFOs (on, cleared).
// The port writes are one assembly function (console_amd64.s): a call
// per register would make QEMU's TCG translate a block per return.
func consoleInit()

// consoleWrite writes b to the console (the serial one, or the virtio
// console when it was selected), translating nothing.
//
//go:nosplit
func consoleWrite(b []byte) {
	if bootTrace.stamps[bootabi.StepFirstOutput] == 0 && len(b) > 0 {
		stamp(bootabi.StepFirstOutput)
	}
	if vcon.q != nil {
		vconWrite(b)
		return
	}
	for n, c := range b {
		if n%uartFIFO == 0 {
			for i := 0; i < 100000 && arch.Inb(com1+5)&lsrTHRE == 0; i++ {
				arch.Pause()
			}
		}
		arch.Outb(com1, c)
	}
}

// kprint writes a kernel message to the console.
func kprint(s string) {
	consoleWrite(unsafeSliceOfString(s))
}

// kprintHex writes v as 0x-prefixed hexadecimal.
func kprintHex(v uint64) {
	var buf [18]byte
	buf[0], buf[1] = '0', 'x'
	for i := 0; i < 16; i++ {
		buf[17-i] = "0123456789abcdef"[v&15]
		v >>= 4
	}
	consoleWrite(buf[:])
}

// kprintDec writes v in decimal.
func kprintDec(v uint64) {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	consoleWrite(buf[i:])
}
