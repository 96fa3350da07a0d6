package kernel

import (
	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/internal/pclntab"
	"github.com/gotoro/gotoro/kernel/mm"
)

// Fault reports name the functions, files and lines of a faulting stack
// from the image's own pcln table, read with package pclntab (the
// runtime's reader needs an m). The image builder records where
// .gopclntab lies in the boot block; text starts at bootabi.TextAddr.

// pclnAt is where the table lies (symbolizeInit); pcln is decoded from it
// the first time a stack is symbolized (pclnLoad), so a boot that never
// faults does not pay for it.
var (
	pclnAt     struct{ addr, size uintptr }
	pclnLoaded bool
	pcln       pclntab.Table
)

// symbolizeInit records where the pcln table is (from the boot block).
func symbolizeInit(addr, size uintptr) {
	pclnAt.addr, pclnAt.size = addr, size
}

// pclnLoad decodes the table's header once.
func pclnLoad() {
	if pclnLoaded {
		return
	}
	pclnLoaded = true
	if pclnAt.addr == 0 {
		return
	}
	if t, ok := pclntab.Open(unsafeSlice(pclnAt.addr, pclnAt.size), bootabi.TextAddr); ok {
		pcln = t
	}
}

// printPC prints "func\n\tfile:line" for pc, Go traceback style.
func printPC(pc uintptr, isReturn bool) {
	pclnLoad()
	lookup := pc
	if isReturn && lookup > 0 {
		lookup-- // a return address points after the call
	}
	fi, ok := pcln.FuncAt(uint64(lookup))
	if !ok {
		kprint("?? ")
		kprintHex(uint64(pc))
		kprint("\n")
		return
	}
	kprint(pcln.Name(fi))
	kprint("(...)\n\t")
	file, line := pcln.FileLine(fi, uint64(lookup))
	kprint(file)
	kprint(":")
	kprintDec(uint64(line))
	kprint(" pc=")
	kprintHex(uint64(pc))
	kprint("\n")
}

// printFuncOffset prints "func+0xoff" for the code address pc, or its
// address alone where the table has no function for it.
func printFuncOffset(pc uintptr) {
	pclnLoad()
	fi, ok := pcln.FuncAt(uint64(pc))
	if !ok {
		kprintHex(uint64(pc))
		return
	}
	kprint(pcln.Name(fi))
	kprint("+0x")
	off := uint64(pc) - fi.Entry
	var buf [16]byte
	i := len(buf)
	for {
		i--
		buf[i] = "0123456789abcdef"[off&15]
		if off >>= 4; off == 0 {
			break
		}
	}
	consoleWrite(buf[i:])
}

// printStack prints the stack that starts at pc with stack pointer sp,
// unwinding with the pcsp tables (frame sizes) of the pcln table, and falls
// back to the frame-pointer chain from fp where a function is unknown; at
// the kernel entry (trapCommon) it goes on from the trapFrame's registers
// into the Go code the entry interrupted (a system call's caller). It
// prints up to stackLines frames; a run of frames returning to the same
// address (a recursion, as in a stack overflow) is printed once with its
// count, so that the frames above it are still shown.
func printStack(pc, sp, fp uintptr) {
	kprint("stack:\n")
	pclnLoad()
	isReturn := false
	repeats := uint64(0)
	lines := 0
	for i := 0; i < stackFrames && lines < stackLines && pc != 0; i++ {
		if isReturn && pc == stackPrev {
			repeats++
		} else {
			printRepeats(repeats)
			repeats = 0
			printPC(pc, isReturn)
			lines++
		}
		stackPrev = pc
		lookup := pc
		if isReturn {
			lookup--
		}
		fi, ok := pcln.FuncAt(uint64(lookup))
		if ok && sp != 0 && pcln.Name(fi) == trapCommonName {
			// The kernel entry: trapCommon called trap with the trapFrame's
			// address at its SP. Go on in the code the entry interrupted.
			if !mm.Readable(sp, 8) || !mm.Readable(*(*uintptr)(ptr(sp)), trapFrameSize) {
				break
			}
			f := (*trapFrame)(ptr(*(*uintptr)(ptr(sp))))
			kprint("\t... entered the kernel (vector ")
			kprintDec(f.vector)
			kprint(") from:\n")
			pc, sp, fp = uintptr(f.rip), uintptr(f.rsp), uintptr(f.rbp)
			// A system call's rip is its return address.
			isReturn = f.vector == vecSyscall || f.vector == vecSyscallFX
			continue
		}
		var retAt uintptr
		if ok && sp != 0 {
			d, known := pcln.SPDelta(fi, uint64(lookup))
			if !known || d < 0 {
				break
			}
			retAt = sp + uintptr(d)
			sp = retAt + 8
		} else {
			if fp == 0 || fp&7 != 0 || !mm.Readable(fp, 16) {
				break
			}
			retAt = fp + 8
			fp = *(*uintptr)(ptr(fp))
			sp = 0
		}
		if !mm.Readable(retAt, 8) {
			break
		}
		pc = *(*uintptr)(ptr(retAt))
		isReturn = true
		if ok && pcln.Name(fi) == "runtime.goexit" {
			break
		}
	}
	printRepeats(repeats)
}

// trapCommonName is the kernel entry's symbol (trap_amd64.s), where
// printStack goes on in the interrupted code.
const trapCommonName = "github.com/gotoro/gotoro/kernel.trapCommon"

// printStack's bounds: frames printed, and frames walked (a 32 KiB
// kernel stack holds at most 4,096 return addresses).
const (
	stackLines  = 64
	stackFrames = 4096
)

// stackPrev is the previous frame's pc in printStack (a global: only the
// one core that stops the machine prints a stack).
var stackPrev uintptr

// printRepeats prints how many more times the last frame printed repeats.
func printRepeats(n uint64) {
	if n == 0 {
		return
	}
	kprint("\t... the same frame ")
	kprintDec(n)
	kprint(" more times\n")
}
