package kernel

import (
	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/ktime"
)

// Standard input from the host: with stdin=serial on the command line,
// the host's standard input arrives on the second UART (COM2,
// bootabi.StdinPort), escaped so that its end can be told (see bootabi).
// Reading descriptor 0 (or any console descriptor) drains the UART; when
// it is empty the reader sleeps and looks again, 1 ms at first and up to
// 16 ms while nothing comes. Without stdin=serial the console reads end
// of file, as before. The kernel writes bootabi.StdinReady to the UART
// once it is set up; the host sends nothing before.

const lsrDR = 0x01 // line status: data ready

var stdin struct {
	on  bool // the host passes its standard input
	esc bool // an escape byte was read; the next byte says what it meant
	eof bool // the host's input ended
}

// stdinInit programs COM2 like the console: no interrupts, FIFOs on.
func stdinInit() {
	const p = bootabi.StdinPort
	arch.Outb(p+1, 0x00)
	arch.Outb(p+3, 0x80)
	arch.Outb(p+0, 0x01)
	arch.Outb(p+1, 0x00)
	arch.Outb(p+3, 0x03)
	arch.Outb(p+2, 0xC7)
	arch.Outb(p, bootabi.StdinReady) // the host sends from now on
	stdin.on = true
}

// stdinDrain moves what the UART holds into b, decoding the escapes, and
// returns how many bytes it stored.
func stdinDrain(b []byte) int {
	const p = bootabi.StdinPort
	n := 0
	for n < len(b) && !stdin.eof && arch.Inb(p+5)&lsrDR != 0 {
		c := arch.Inb(p)
		switch {
		case stdin.esc:
			stdin.esc = false
			if c == bootabi.StdinEOF {
				stdin.eof = true
				continue
			}
			b[n] = c
			n++
		case c == bootabi.StdinEscape:
			stdin.esc = true
		default:
			b[n] = c
			n++
		}
	}
	return n
}

// stdinPoll bounds how long a read that has bytes keeps polling for
// more: the device refills its 16-byte FIFO within microseconds while
// input flows, and returning every 16 bytes would cost a system call each.
const stdinPoll = 200_000 // ns

// stdinRead is read on a console descriptor: the bytes the host has sent,
// waiting for at least one unless nonblock; 0 at the end of the input or
// when the host passes none.
func stdinRead(b []byte, nonblock bool) int64 {
	if !stdin.on || len(b) == 0 {
		return 0
	}
	wait := int64(1_000_000)
	for {
		n := stdinDrain(b)
		for n > 0 && n < len(b) && !stdin.eof {
			// More may follow at once: poll a little before returning.
			got := 0
			for deadline := ktime.Now() + stdinPoll; got == 0 && ktime.Now() < deadline; {
				got = stdinDrain(b[n:])
				if got == 0 {
					arch.Pause()
				}
			}
			if got == 0 {
				break
			}
			n += got
		}
		if n > 0 {
			return int64(n)
		}
		if stdin.eof {
			return 0
		}
		if nonblock {
			return -EAGAIN
		}
		if e := sleepUntil(ktime.Now() + wait); e != 0 {
			return e
		}
		wait = min(2*wait, 16_000_000)
	}
}
