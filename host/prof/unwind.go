package prof

import (
	"github.com/gotoro/gotoro/host/qmp"
)

// maxDepth bounds the frames of one stack.
const maxDepth = 128

// funcRange is a function's code, [entry, end).
type funcRange struct{ entry, end uint64 }

func (r funcRange) has(pc uint64) bool { return pc >= r.entry && pc < r.end }

// unwinder walks guest stacks for one image.
type unwinder struct {
	syms        *Symbols
	trapReturns []funcRange // return sites with a trap frame above them
	entries     []funcRange // kernel entry/exit assembly
}

func newUnwinder(s *Symbols) *unwinder {
	u := &unwinder{syms: s}
	find := func(names []string) []funcRange {
		var rs []funcRange
		for _, n := range names {
			if f := s.tab.LookupFunc(n); f != nil {
				rs = append(rs, funcRange{f.Entry, f.End})
			}
		}
		return rs
	}
	u.trapReturns = find(trapReturnSites)
	u.entries = find(entryPaths)
	return u
}

func inAny(rs []funcRange, pc uint64) bool {
	for _, r := range rs {
		if r.has(pc) {
			return true
		}
	}
	return false
}

// walk returns the stack of a vCPU with registers r, innermost frame
// first. The innermost frame is unwound with the pcsp table (it may be a
// leaf without a frame pointer, or be in its prologue); every caller
// after it through the frame-pointer chain (Go keeps frame pointers on
// amd64: [BP] is the caller's BP, [BP+8] the return address). A return
// into the kernel's trap entry continues with the registers saved in the
// trap frame, under a pseudo-frame naming the entry.
func (u *unwinder) walk(mem *stackMem, r qmp.Regs) []Frame {
	if !u.syms.InText(r.RIP) {
		switch {
		case r.Halted && r.RIP < firmwareEnd:
			return []Frame{{Kernel: OfflineFrame}}
		case r.RIP < firmwareEnd:
			return []Frame{{Kernel: FirmwareFrame}}
		case r.RIP < u.syms.textStart:
			return []Frame{{Kernel: TrampolineFrame}}
		}
		return []Frame{{PC: r.RIP}}
	}
	var st []Frame
	if r.Halted {
		st = append(st, Frame{Kernel: IdleFrame})
	}
	pc, sp, bp := r.RIP, r.RSP, r.RBP
	leafPC := pc
	for len(st) < maxDepth {
		// Innermost frame of this stack: pc is the interrupted instruction.
		st = append(st, Frame{PC: leafPC})
		if inAny(u.entries, pc) {
			return append(st, Frame{Kernel: EntryFrame})
		}
		d, ok := u.syms.SPDelta(pc)
		if !ok || d < 0 {
			return st
		}
		ret, ok := mem.word(sp + uint64(d))
		if !ok {
			return st
		}
		// The function saved its caller's BP just below the return
		// address, and pointed BP there, unless it has no frame pointer
		// or has not set it up yet (or has already popped it).
		if d >= 8 && bp == sp+uint64(d)-8 {
			if bp, ok = mem.word(bp); !ok {
				return st
			}
		}
		slot := sp + uint64(d)
		// Callers, through the frame pointers.
		for {
			if !u.syms.InText(ret) || len(st) >= maxDepth {
				return st
			}
			if !u.isWrapper(st[len(st)-1].PC, ret-1) {
				st = append(st, Frame{PC: ret - 1})
			}
			if inAny(u.trapReturns, ret) {
				break
			}
			if bp == 0 || bp&7 != 0 {
				return st
			}
			slot = bp + 8
			next, ok1 := mem.word(bp)
			r, ok2 := mem.word(slot)
			if !ok1 || !ok2 || next == bp {
				return st
			}
			bp, ret = next, r
		}
		// A trap frame lies 16 bytes above the slot of the return address
		// into the entry code (past the trap handler's one argument).
		tf := slot + 16
		vector, ok1 := mem.word(tf + tfVector)
		rax, ok2 := mem.word(tf + tfRAX)
		rip, ok3 := mem.word(tf + tfRIP)
		rsp, ok4 := mem.word(tf + tfRSP)
		rbp, ok5 := mem.word(tf + tfRBP)
		if !(ok1 && ok2 && ok3 && ok4 && ok5) || !u.syms.InText(rip) {
			return st
		}
		st = append(st, Frame{Kernel: entryName(vector, rax)})
		pc, sp, bp = rip, rsp, rbp
		leafPC = rip
		if vector == vecSyscall || vector == vecSyscallFX {
			// The saved RIP follows the SYSCALL instruction.
			leafPC = rip - 1
			pc = rip - 1
		}
	}
	return st
}

// isWrapper reports whether the caller frame at pc is an ABI wrapper of the
// callee frame at calleePC: a different function of the same name (the
// wrapper that lets assembly call a Go function). Go's own profiles leave
// wrappers out too.
func (u *unwinder) isWrapper(calleePC, pc uint64) bool {
	if calleePC == 0 {
		return false
	}
	a, ok1 := u.syms.FuncAt(calleePC)
	b, ok2 := u.syms.FuncAt(pc)
	return ok1 && ok2 && a.Name == b.Name && a.Entry != b.Entry
}
