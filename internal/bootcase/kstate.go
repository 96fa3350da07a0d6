package bootcase

import (
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gotoro/gotoro/host/qmp"
)

// The kernel's scheduler state, read from guest memory at the addresses
// and field offsets the image's DWARF gives. The kernel's data is
// identity-mapped, so physical reads (QMP pmemsave) need no vCPU.

const kernelPkg = "github.com/gotoro/gotoro/kernel."

// mmPkg is the kernel's memory package, whose pml4 (the page tables' root)
// the reset report walks and whose physLock (the global page pool's lock)
// the stall report prints; symbols.vars holds them under "mm/" and their
// names (mmPML4, "mm/physLock").
const (
	mmPkg  = "github.com/gotoro/gotoro/kernel/mm."
	mmPML4 = "mm/pml4"
)

// mmVars are the variables of package mm that symbols.vars holds.
var mmVars = map[string]bool{"pml4": true, "physLock": true}

// cpuFields are the per-core fields printed for each core, found in
// kernel.cpus or, for the scheduler's part, kernel.scheds (coreSched);
// threadFields are kernel.thread's, printed for each thread.
var (
	cpuFields    = []string{"cur", "idle", "online", "kdepth", "inbox", "runq.n", "timerArmed", "sliceEnd", "tlbAck", "pinned", "hltShadowed", "hltShadowVec"}
	threadFields = []string{"state", "cpu", "onCPU", "inInbox", "inboxNext", "affinity", "waitAddr", "wakeAt", "wakeReason", "pending", "sigmask"}
	// The lock words: the big lock's owner (core id + 1), vmLock's
	// (1<<31 a writer holds or waits, plus the readers inside), fdLock's
	// and the global page pool's (1 held): a core spinning with
	// interrupts off waits for one of them or for a shootdown's
	// acknowledgement (tlbGen against each core's tlbAck).
	globals = []string{"ncpu", "threadHigh", "nthreads", "tlbGen", "bkl.owner", "vmLock.v", "fdLock.v", "mm/physLock.held"}
)

// kernelState formats the scheduler state of a stopped guest.
func kernelState(c *qmp.Client, image string, ncpuMax int) string {
	var b strings.Builder
	b.WriteString("kernel state:\n")
	syms, err := readSymbols(image)
	if err != nil {
		fmt.Fprintf(&b, "  %v\n", err)
		return b.String()
	}
	dir, err := os.MkdirTemp("", "gotoro-kstate-")
	if err != nil {
		fmt.Fprintf(&b, "  %v\n", err)
		return b.String()
	}
	defer os.RemoveAll(dir)
	mem := physReader{c: c, file: filepath.Join(dir, "mem")}

	line, vals := globalsLine(syms, mem)
	b.WriteString(line)
	n := int(vals["ncpu"])
	if n <= 0 || n > ncpuMax {
		n = ncpuMax
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  core %d:", i)
		for _, f := range cpuFields {
			v, size, err := syms.readCore(mem, i, f)
			if err != nil {
				fmt.Fprintf(&b, " %s=?(%v)", f, err)
				continue
			}
			fmt.Fprintf(&b, " %s=%d", f, signed(v, size))
		}
		b.WriteString("\n")
	}
	high := int(vals["threadHigh"])
	if high > 256 {
		high = 256
	}
	for i := 0; i < high; i++ {
		st, err := syms.read(mem, "threads", i, "state")
		if err != nil || st == 0 || st == 5 { // free or dead
			continue
		}
		fmt.Fprintf(&b, "  thread %d:", i+1)
		for _, f := range threadFields {
			v, err := syms.read(mem, "threads", i, f)
			if err != nil {
				fmt.Fprintf(&b, " %s=?", f)
				continue
			}
			if f == "affinity" || f == "waitAddr" || f == "pending" || f == "sigmask" {
				fmt.Fprintf(&b, " %s=%#x", f, v)
			} else {
				fmt.Fprintf(&b, " %s=%d", f, signed(v, syms.size("threads", f)))
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("  (thread state: 1 runnable, 2 running, 3 blocked, 4 waking; wakeReason: 1 event, 2 timeout, 3 signal)\n")
	return b.String()
}

// globalsLine reads the kernel's globals (globals) and formats them on
// one line; vals holds those it could read.
func globalsLine(syms *symbols, mem physReader) (line string, vals map[string]uint64) {
	var b strings.Builder
	vals = map[string]uint64{}
	for _, g := range globals {
		v, err := syms.read(mem, g, 0, "")
		if err != nil {
			fmt.Fprintf(&b, "  %s: %v\n", g, err)
			continue
		}
		vals[g] = v
		if g == "vmLock.v" {
			fmt.Fprintf(&b, "  %s=%#x", g, v)
			continue
		}
		fmt.Fprintf(&b, "  %s=%d", g, int64(v))
	}
	b.WriteString("\n")
	return b.String(), vals
}

// kernelGlobals reads the kernel's globals of a guest that may still be
// running (the values need not agree with each other): the dump's first
// look, which the stopped second one is compared with, so that a machine
// whose cores spin but move (tlbGen grows: a livelock or a slow guest) is
// told from one that is stuck for good.
func kernelGlobals(c *qmp.Client, image string) string {
	syms, err := readSymbols(image)
	if err != nil {
		return fmt.Sprintf("  %v\n", err)
	}
	dir, err := os.MkdirTemp("", "gotoro-kstate-")
	if err != nil {
		return fmt.Sprintf("  %v\n", err)
	}
	defer os.RemoveAll(dir)
	line, _ := globalsLine(syms, physReader{c: c, file: filepath.Join(dir, "mem")})
	return line
}

// signed sign-extends a size-byte value.
func signed(v uint64, size int64) int64 {
	switch size {
	case 1:
		return int64(int8(v))
	case 2:
		return int64(int16(v))
	case 4:
		return int64(int32(v))
	}
	return int64(v)
}

// symbols locates kernel variables and their fields.
type symbols struct {
	d    *dwarf.Data
	vars map[string]dwarfVar
}

type dwarfVar struct {
	addr uint64
	typ  dwarf.Type
}

func readSymbols(image string) (*symbols, error) {
	f, err := elf.Open(image)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := f.DWARF()
	if err != nil {
		return nil, fmt.Errorf("no DWARF in %s: %w", image, err)
	}
	s := &symbols{d: d, vars: map[string]dwarfVar{}}
	want := map[string]bool{"cpus": true, "scheds": true, "threads": true, "idt": true, "istArea": true}
	for _, g := range globals {
		name, _, _ := strings.Cut(g, ".")
		want[name] = true
	}
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			break
		}
		if e.Tag != dwarf.TagVariable {
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		short, ok := strings.CutPrefix(name, kernelPkg)
		if m, isMM := strings.CutPrefix(name, mmPkg); isMM && mmVars[m] {
			short, ok = "mm/"+m, true
		} else if !ok || !want[short] {
			continue
		}
		loc, _ := e.Val(dwarf.AttrLocation).([]byte)
		off, ok := e.Val(dwarf.AttrType).(dwarf.Offset)
		if len(loc) != 9 || loc[0] != 0x03 || !ok { // DW_OP_addr
			continue
		}
		t, err := d.Type(off)
		if err != nil {
			continue
		}
		s.vars[short] = dwarfVar{addr: binary.LittleEndian.Uint64(loc[1:]), typ: t}
	}
	return s, nil
}

// locate returns the address and size of v[index].field (index ignored for
// a variable that is not an array; field "" for the element itself; a
// field may be a dotted path). Globals may be written "var.field".
func (s *symbols) locate(name string, index int, field string) (uint64, int64, error) {
	if field == "" {
		name, field, _ = strings.Cut(name, ".")
	}
	v, ok := s.vars[name]
	if !ok {
		return 0, 0, fmt.Errorf("no variable %s%s in the image's DWARF", kernelPkg, name)
	}
	addr, t := v.addr, unwrap(v.typ)
	if a, ok := t.(*dwarf.ArrayType); ok {
		et := unwrap(a.Type)
		addr += uint64(index) * uint64(et.Size())
		t = et
	}
	if field != "" {
		for _, part := range strings.Split(field, ".") {
			st, ok := t.(*dwarf.StructType)
			if !ok {
				return 0, 0, fmt.Errorf("%s.%s: not a struct", name, field)
			}
			found := false
			for _, f := range st.Field {
				if f.Name == part {
					addr += uint64(f.ByteOffset)
					t = unwrap(f.Type)
					found = true
					break
				}
			}
			if !found {
				return 0, 0, fmt.Errorf("no field %s in %s", part, st.StructName)
			}
		}
	}
	return addr, t.Size(), nil
}

func (s *symbols) size(name, field string) int64 {
	_, n, _ := s.locate(name, 0, field)
	return n
}

// read returns the little-endian value of v[index].field (at most 8 bytes).
func (s *symbols) read(mem physReader, name string, index int, field string) (uint64, error) {
	addr, size, err := s.locate(name, index, field)
	if err != nil {
		return 0, err
	}
	if size <= 0 || size > 8 {
		return 0, fmt.Errorf("%s.%s has %d bytes", name, field, size)
	}
	b, err := mem.read(addr, int(size))
	if err != nil {
		return 0, err
	}
	var buf [8]byte
	copy(buf[:], b)
	return binary.LittleEndian.Uint64(buf[:]), nil
}

func unwrap(t dwarf.Type) dwarf.Type {
	for {
		td, ok := t.(*dwarf.TypedefType)
		if !ok {
			return t
		}
		t = td.Type
	}
}

// physReader reads guest physical memory through QMP pmemsave.
type physReader struct {
	c    *qmp.Client
	file string
}

func (m physReader) read(addr uint64, size int) ([]byte, error) {
	if _, err := m.c.Execute("pmemsave", map[string]any{"val": addr, "size": size, "filename": m.file}); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(m.file)
	if err != nil {
		return nil, err
	}
	if len(b) != size {
		return nil, fmt.Errorf("pmemsave %#x+%d: got %d bytes", addr, size, len(b))
	}
	return b, nil
}

// coreVars are the per-core arrays a core's field may live in.
var coreVars = []string{"cpus", "scheds"}

// readCore reads field of core i from the first per-core array that has
// it, and returns its size.
func (s *symbols) readCore(mem physReader, i int, field string) (uint64, int64, error) {
	var first error
	for _, name := range coreVars {
		if _, _, err := s.locate(name, i, field); err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		v, err := s.read(mem, name, i, field)
		return v, s.size(name, field), err
	}
	return 0, 0, first
}
