package kernel

import (
	"encoding/binary"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// A minimal reader of the Go pcln table (format of Go 1.20 and later), so
// that the kernel can name the functions, files and lines of a faulting
// stack without the runtime's help (which needs an m). The image builder
// records where .gopclntab lies in the boot block.

var pcln struct {
	tab                                      []byte
	nfunc                                    int
	textStart                                uintptr
	funcname, cutab, filetab, pctab, functab []byte
}

const pclnMagic = 0xFFFFFFF1

func symbolizeInit(addr, size uintptr) {
	if addr == 0 || size < 64 {
		return
	}
	t := unsafeSlice(addr, size)
	if binary.LittleEndian.Uint32(t) != pclnMagic || t[7] != 8 {
		return
	}
	word := func(i int) uintptr { return uintptr(binary.LittleEndian.Uint64(t[8+8*i:])) }
	nfunc := int(word(0))
	off := func(i int) []byte {
		o := word(i)
		if o >= size {
			return nil
		}
		return t[o:]
	}
	pcln.tab = t
	pcln.nfunc = nfunc
	// The header no longer records the text start; images are linked with
	// text at bootabi.TextAddr.
	pcln.textStart = bootabi.TextAddr
	pcln.funcname = off(3)
	pcln.cutab = off(4)
	pcln.filetab = off(5)
	pcln.pctab = off(6)
	pcln.functab = off(7)
}

// funcInfo is a decoded entry of the function table.
type funcInfo struct {
	entry uintptr
	raw   []byte // the _func record
}

func (fi funcInfo) u32(i int) uint32 { return binary.LittleEndian.Uint32(fi.raw[4*i:]) }

// findFunc returns the function containing pc.
func findFunc(pc uintptr) (funcInfo, bool) {
	if pcln.functab == nil || pc < pcln.textStart {
		return funcInfo{}, false
	}
	off := uint32(pc - pcln.textStart)
	ft := pcln.functab
	entryAt := func(i int) uint32 { return binary.LittleEndian.Uint32(ft[8*i:]) }
	lo, hi := 0, pcln.nfunc
	if off >= entryAt(hi) {
		return funcInfo{}, false
	}
	for hi-lo > 1 {
		m := (lo + hi) / 2
		if entryAt(m) <= off {
			lo = m
		} else {
			hi = m
		}
	}
	foff := binary.LittleEndian.Uint32(ft[8*lo+4:])
	if uintptr(foff)+44 > uintptr(len(ft)) {
		return funcInfo{}, false
	}
	return funcInfo{entry: pcln.textStart + uintptr(entryAt(lo)), raw: ft[foff:]}, true
}

func cstring(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return unsafeString(b[:i])
		}
	}
	return ""
}

func (fi funcInfo) name() string {
	no := fi.u32(1)
	if int(no) >= len(pcln.funcname) {
		return "?"
	}
	return cstring(pcln.funcname[no:])
}

// pcvalue decodes the pc-value table at off for pc.
func pcvalue(fi funcInfo, off uint32, pc uintptr) int32 {
	if off == 0 || int(off) >= len(pcln.pctab) {
		return -1
	}
	p := pcln.pctab[off:]
	val := int32(-1)
	cur := fi.entry
	first := true
	for len(p) > 0 {
		uv, n := binary.Uvarint(p)
		if n <= 0 || (uv == 0 && !first) {
			return -1
		}
		p = p[n:]
		d := int32(uv >> 1)
		if uv&1 != 0 {
			d = ^d
		}
		val += d
		first = false
		du, n := binary.Uvarint(p)
		if n <= 0 {
			return -1
		}
		p = p[n:]
		cur += uintptr(du)
		if pc < cur {
			return val
		}
	}
	return -1
}

func (fi funcInfo) fileLine(pc uintptr) (string, int32) {
	fileno := pcvalue(fi, fi.u32(5), pc)
	line := pcvalue(fi, fi.u32(6), pc)
	cu := fi.u32(8)
	if fileno < 0 || pcln.cutab == nil {
		return "?", line
	}
	i := 4 * (int(cu) + int(fileno))
	if i+4 > len(pcln.cutab) {
		return "?", line
	}
	fo := binary.LittleEndian.Uint32(pcln.cutab[i:])
	if int(fo) >= len(pcln.filetab) {
		return "?", line
	}
	return cstring(pcln.filetab[fo:]), line
}

// printPC prints "func\n\tfile:line" for pc, Go traceback style.
func printPC(pc uintptr, isReturn bool) {
	lookup := pc
	if isReturn && lookup > 0 {
		lookup-- // a return address points after the call
	}
	fi, ok := findFunc(lookup)
	if !ok {
		kprint("?? ")
		kprintHex(uint64(pc))
		kprint("\n")
		return
	}
	kprint(fi.name())
	kprint("(...)\n\t")
	file, line := fi.fileLine(lookup)
	kprint(file)
	kprint(":")
	kprintDec(uint64(line))
	kprint(" pc=")
	kprintHex(uint64(pc))
	kprint("\n")
}

// printStack prints the stack that starts at pc with stack pointer sp,
// unwinding with the pcsp tables (frame sizes) of the pcln table, and falls
// back to the frame-pointer chain from fp where a function is unknown.
func printStack(pc, sp, fp uintptr) {
	kprint("stack:\n")
	isReturn := false
	for i := 0; i < 64 && pc != 0; i++ {
		printPC(pc, isReturn)
		lookup := pc
		if isReturn {
			lookup--
		}
		fi, ok := findFunc(lookup)
		var retAt uintptr
		if ok && sp != 0 {
			d := pcvalue(fi, fi.u32(4), lookup)
			if d < 0 {
				break
			}
			retAt = sp + uintptr(d)
			sp = retAt + 8
		} else {
			if fp == 0 || fp&7 != 0 || !readableKernelOrUser(fp, 16) {
				break
			}
			retAt = fp + 8
			fp = *(*uintptr)(ptr(fp))
			sp = 0
		}
		if !readableKernelOrUser(retAt, 8) {
			break
		}
		pc = *(*uintptr)(ptr(retAt))
		isReturn = true
		if ok && fi.name() == "runtime.goexit" {
			break
		}
	}
}
