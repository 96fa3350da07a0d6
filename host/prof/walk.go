package prof

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gotoro/gotoro/host/qmp"
)

// Walker walks the stacks of a stopped guest one at a time, with the
// profiler's unwinder: for a one-off look such as the boot cases' stall
// report, not for sampling.
type Walker struct {
	syms *Symbols
	u    *unwinder
}

// NewWalker returns a walker for the image whose symbols are s.
func NewWalker(s *Symbols) *Walker { return &Walker{syms: s, u: newUnwinder(s)} }

// Stack returns the stack of the vCPU with registers r, innermost frame
// first, reading its memory through m (as that vCPU sees it).
func (w *Walker) Stack(m Memory, r qmp.Regs) []Frame {
	return w.u.walk(newStackMem(m, r.CPU), r)
}

// FrameString names a frame as a stack trace shows it:
// "kernel.spinLock.lock+0x2a kernel/spinlock.go:27" (the function without
// the module path, the offset from its entry, the file's last two path
// elements), a pseudo-frame by its name, an unknown PC in hexadecimal.
func (w *Walker) FrameString(f Frame) string {
	if f.Kernel != "" {
		return f.Kernel
	}
	fn, ok := w.syms.FuncAt(f.PC)
	if !ok {
		return fmt.Sprintf("%#x", f.PC)
	}
	name := fn.Name
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	s := fmt.Sprintf("%s+%#x", name, f.PC-fn.Entry)
	if file, line := w.syms.Line(f.PC); line != 0 {
		s += fmt.Sprintf(" %s:%d", filepath.Join(filepath.Base(filepath.Dir(file)), filepath.Base(file)), line)
	}
	return s
}
