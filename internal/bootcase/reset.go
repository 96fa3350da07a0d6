package bootcase

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gotoro/gotoro/host/qmp"
	"github.com/gotoro/gotoro/internal/bootabi"
)

// A guest that resets the machine without a report: an exception the CPU
// could not deliver even to the double-fault handler (a triple fault).
// With qemu.Config.PauseOnReset QEMU keeps the machine, its vCPUs stopped,
// and ResetState reads what is left: the other vCPUs' registers, the
// interrupt descriptor table, every core's GDT and TSS, how deep each
// interrupt stack and kernel stack has ever been used, and the kernel's
// scheduler state. Under KVM the vCPU that shut down has already been
// re-initialized by KVM (its registers say so: CS f000, RIP fff0); the
// KVM lane adds KVM's trace of the shutdown exit (Env.ResetInfo).

// Layout constants of kernel/desc.go and kernel/percpu.go, checked against
// the image's DWARF where it has them.
const (
	kernelSelCode = 0x08
	gateAttr      = 0x8E // present, DPL 0, 64-bit interrupt gate
	istIRQ        = 1
	istExcept     = 2
	istDouble     = 3
)

// gdtWant are the kernel's GDT entries 1-4 (desc.go, setupCPU).
var gdtWant = [...]uint64{0, 0x00AF9A000000FFFF, 0x00CF92000000FFFF, 0x00AFFA000000FFFF, 0x00CFF2000000FFFF}

// stackMargin is how close to its bottom a stack's deepest use may come
// before the reset report counts it as overflowing (a stack that ran into
// its guard page would show as used to the last byte).
const stackMargin = 1024

// ResetState returns what is left of a guest stopped at a machine reset,
// read through the QMP socket monitor, with what the host knows of it
// (host: KVM's shutdown exits in the lane). It never fails: problems are
// written into the text and listed in the report's Problems. For the RIP
// of every shutdown exit it walks the kernel's page tables as an
// instruction fetch there would (ResetReport.Fetch).
func ResetState(ctx context.Context, monitor, image string, host HostReset) (r ResetReport) {
	r = ResetReport{Host: host, Fetch: map[uint64]string{}}
	var b strings.Builder
	defer func() { r.Text = b.String() + host.Text }()
	start, end, hlt, err := imageText(image)
	r.TextStart, r.TextEnd, r.IdleHLT = start, end, hlt
	if err != nil {
		fmt.Fprintf(&b, "%v\n", err)
	} else {
		fmt.Fprintf(&b, "image text %#x-%#x, idle HLT at %#x\n", start, end, hlt)
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	c, err := qmp.Dial(ctx, monitor)
	if err != nil {
		r.problem("no machine state: %v", err)
		b.WriteString("no machine state: " + err.Error() + "\n")
		return r
	}
	defer c.Close()
	regs, err := c.HMP("info registers -a")
	if err != nil {
		r.problem("info registers: %v", err)
		fmt.Fprintf(&b, "info registers: %v\n", err)
	}
	b.WriteString("vCPUs at the reset:\n" + regs)
	live := -1
	var liveCR3 uint64
	var idtAddr uint64
	syms, symErr := readSymbols(image)
	if symErr == nil {
		if v, ok := syms.vars["idt"]; ok {
			idtAddr = v.addr
		}
	}
	descs := parseDescRegs(regs)
	if len(descs) == 0 {
		r.problem("no vCPU in the register dump")
	}
	for _, d := range descs {
		switch {
		case d.reset:
			r.Reinitialized = append(r.Reinitialized, d.cpu)
			fmt.Fprintf(&b, "CPU#%d was re-initialized (CS f000, RIP fff0): the vCPU that shut down\n", d.cpu)
		case idtAddr != 0 && (d.idt != idtAddr || d.idtLimit != 0xfff):
			r.problem("CPU#%d has IDTR %#x limit %#x", d.cpu, d.idt, d.idtLimit)
			fmt.Fprintf(&b, "CPU#%d has IDTR base %#x limit %#x, not the kernel's IDT (%#x limit 0xfff)\n", d.cpu, d.idt, d.idtLimit, idtAddr)
		default:
			if live < 0 {
				live, liveCR3 = d.cpu, d.cr3
			}
		}
	}
	n := 1
	for _, d := range descs {
		n = max(n, d.cpu+1)
	}
	dir, err := os.MkdirTemp("", "gotoro-reset-")
	if err != nil {
		r.problem("%v", err)
		fmt.Fprintf(&b, "%v\n", err)
		return r
	}
	defer os.RemoveAll(dir)
	mem := physReader{c: c, file: filepath.Join(dir, "mem")}
	if symErr != nil {
		r.problem("kernel symbols: %v", symErr)
		fmt.Fprintf(&b, "kernel symbols: %v\n", symErr)
	} else {
		b.WriteString(checkIDT(mem, syms, &r))
		b.WriteString(checkCores(c, mem, syms, n, live, &r))
		b.WriteString(kstackDepths(mem, syms, &r))
		if len(host.Exits) > 0 {
			root, what := fetchRoot(mem, syms, live, liveCR3)
			b.WriteString(what)
			for _, x := range host.Exits {
				if _, done := r.Fetch[x.RIP]; !done && root != 0 {
					r.Fetch[x.RIP] = walkFetch(mem, root, x.RIP)
				}
			}
			b.WriteString(describeFetch(r.Fetch, host.Exits))
		}
	}
	if image != "" {
		b.WriteString(kernelState(c, image, n))
	}
	return r
}

// fetchRoot returns the page-table root to walk a shutdown exit's RIP
// through: the CR3 of a vCPU still running the kernel (the vCPU that shut
// down was re-initialized, and every core runs on the kernel's one set of
// tables), else the kernel's own record of it (kernel/mm.pml4); and a
// line saying which.
func fetchRoot(mem physReader, syms *symbols, live int, liveCR3 uint64) (uint64, string) {
	if live >= 0 && liveCR3 != 0 {
		return liveCR3 & pteAddr, fmt.Sprintf("page tables walked through CPU#%d's CR3 %#x\n", live, liveCR3)
	}
	v, ok := syms.vars[mmPML4]
	if !ok {
		return 0, "page tables: no running vCPU and no " + mmPkg + "pml4 in the image's DWARF\n"
	}
	raw, err := mem.read(v.addr, 8)
	if err != nil {
		return 0, fmt.Sprintf("page tables: reading %spml4: %v\n", mmPkg, err)
	}
	root := binary.LittleEndian.Uint64(raw)
	return root, fmt.Sprintf("page tables walked from %spml4 %#x (no running vCPU)\n", mmPkg, root)
}

// descRegs are the parts of one vCPU's register dump ResetState uses.
type descRegs struct {
	cpu           int
	reset         bool
	idt, idtLimit uint64
	cr3           uint64
}

var (
	reCPU = regexp.MustCompile(`^CPU#(\d+)`)
	reIDT = regexp.MustCompile(`IDT=\s*([0-9a-f]+) ([0-9a-f]+)`)
	// A vCPU in 32-bit mode (KVM's re-initialized one) shows EIP.
	reRIP = regexp.MustCompile(`(?:^|\s)[RE]IP=([0-9a-f]+)`)
	reCS  = regexp.MustCompile(`^CS =([0-9a-f]+)`)
	reCR3 = regexp.MustCompile(`CR3=([0-9a-f]+)`)
)

func parseDescRegs(dump string) []descRegs {
	var out []descRegs
	var cur *descRegs
	var rip, cs uint64
	finish := func() {
		if cur != nil {
			cur.reset = rip == 0xfff0 && cs == 0xf000
		}
	}
	for _, l := range strings.Split(dump, "\n") {
		l = strings.TrimSpace(l)
		if m := reCPU.FindStringSubmatch(l); m != nil {
			finish()
			n, _ := strconv.Atoi(m[1])
			out = append(out, descRegs{cpu: n})
			cur, rip, cs = &out[len(out)-1], 0, 0
			continue
		}
		if cur == nil {
			continue
		}
		if m := reRIP.FindStringSubmatch(l); m != nil {
			rip, _ = strconv.ParseUint(m[1], 16, 64)
		}
		if m := reCS.FindStringSubmatch(l); m != nil {
			cs, _ = strconv.ParseUint(m[1], 16, 64)
		}
		if m := reCR3.FindStringSubmatch(l); m != nil {
			cur.cr3, _ = strconv.ParseUint(m[1], 16, 64)
		}
		if m := reIDT.FindStringSubmatch(l); m != nil {
			cur.idt, _ = strconv.ParseUint(m[1], 16, 64)
			cur.idtLimit, _ = strconv.ParseUint(m[2], 16, 64)
		}
	}
	finish()
	return out
}

// checkIDT compares the kernel's IDT with what setupIDT wrote: every gate
// points at its stub (16 bytes apart), kernel code, an interrupt gate, the
// right interrupt stack.
func checkIDT(mem physReader, syms *symbols, r *ResetReport) string {
	v, ok := syms.vars["idt"]
	if !ok {
		r.problem("IDT: no variable idt in the image's DWARF")
		return "IDT: no variable idt in the image's DWARF\n"
	}
	addr, size := v.addr, v.typ.Size()
	raw, err := mem.read(addr, int(size))
	if err != nil || len(raw) < 256*16 {
		r.problem("IDT at %#x: %v", addr, err)
		return fmt.Sprintf("IDT at %#x: %v\n", addr, err)
	}
	gate := func(v int) (off uint64, sel uint16, ist, attr uint8) {
		g := raw[16*v:]
		off = uint64(binary.LittleEndian.Uint16(g[0:])) | uint64(binary.LittleEndian.Uint16(g[6:]))<<16 | uint64(binary.LittleEndian.Uint32(g[8:]))<<32
		return off, binary.LittleEndian.Uint16(g[2:]), g[4], g[5]
	}
	stubs, _, _, _ := gate(0)
	bad := 0
	var b strings.Builder
	for v := 0; v < 256; v++ {
		off, sel, ist, attr := gate(v)
		wantIST := uint8(istIRQ)
		switch {
		case v == 2 || v == 8 || v == 18:
			wantIST = istDouble
		case v < 32:
			wantIST = istExcept
		}
		if off != stubs+16*uint64(v) || sel != kernelSelCode || ist != wantIST || attr != gateAttr {
			if bad < 8 {
				fmt.Fprintf(&b, "  gate %d: offset %#x selector %#x ist %d attr %#x (want %#x, %#x, %d, %#x)\n",
					v, off, sel, ist, attr, stubs+16*uint64(v), kernelSelCode, wantIST, gateAttr)
			}
			bad++
		}
	}
	if bad == 0 {
		return fmt.Sprintf("IDT at %#x: all 256 gates intact (stubs at %#x)\n", addr, stubs)
	}
	r.problem("IDT at %#x: %d gates differ", addr, bad)
	return fmt.Sprintf("IDT at %#x: %d gates differ from what the kernel wrote:\n%s", addr, bad, b.String())
}

// checkCores checks every core's GDT and TSS against what setupCPU wrote,
// how deep each of its interrupt stacks has been used (they start zeroed;
// the lowest non-zero byte is the deepest use), and, through vCPU live's
// page tables, that the IDT, GDT, TSS and interrupt stacks are mapped.
func checkCores(c *qmp.Client, mem physReader, syms *symbols, n, live int, r *ResetReport) string {
	var b strings.Builder
	if v, err := syms.read(mem, "ncpu", 0, ""); err == nil && v > 0 && int(v) < 256 {
		n = int(v)
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "core %d:", i)
		gdtAddr, _, err1 := syms.locate("cpus", i, "gdt")
		tssAddr, _, err2 := syms.locate("cpus", i, "tss")
		area, _, err3 := syms.locate("istArea", 0, "")
		if err1 != nil || err2 != nil || err3 != nil {
			r.problem("core %d: %v %v %v", i, err1, err2, err3)
			fmt.Fprintf(&b, " %v %v %v\n", err1, err2, err3)
			continue
		}
		gdt, err := mem.read(gdtAddr, 7*8)
		if err != nil {
			r.problem("core %d: GDT: %v", i, err)
			fmt.Fprintf(&b, " GDT: %v\n", err)
			continue
		}
		gdtOK := true
		for k, want := range gdtWant {
			// The CPU sets the accessed bit of segments it loads.
			if got := binary.LittleEndian.Uint64(gdt[8*k:]); got&^(1<<40) != want {
				fmt.Fprintf(&b, " GDT[%d]=%#x (want %#x)", k, got, want)
				r.problem("core %d: GDT[%d]=%#x (want %#x)", i, k, got, want)
				gdtOK = false
			}
		}
		tssDesc := binary.LittleEndian.Uint64(gdt[40:])
		tb := tssDesc>>16&0xFFFFFF | (tssDesc>>56&0xFF)<<24 | binary.LittleEndian.Uint64(gdt[48:])<<32
		if tb != tssAddr || (tssDesc>>40)&0x9D != 0x89 {
			fmt.Fprintf(&b, " TSS descriptor %#x:%#x (base %#x, want %#x)", tssDesc, binary.LittleEndian.Uint64(gdt[48:]), tb, tssAddr)
			r.problem("core %d: TSS descriptor base %#x (want %#x)", i, tb, tssAddr)
			gdtOK = false
		}
		if gdtOK {
			b.WriteString(" GDT intact;")
		}
		tss, err := mem.read(tssAddr, 104)
		if err != nil {
			r.problem("core %d: TSS: %v", i, err)
			fmt.Fprintf(&b, " TSS: %v\n", err)
			continue
		}
		// The interrupt stacks lie in istArea from its first page
		// boundary, each above a guard page (bootabi.ISTBottom).
		base := (area + bootabi.ISTGuard - 1) &^ (bootabi.ISTGuard - 1)
		var bottom [bootabi.ISTStacks]uint64
		istOK := true
		for k := range bottom {
			bottom[k] = bootabi.ISTBottom(base, i, k+1)
			got := binary.LittleEndian.Uint64(tss[36+8*k:])
			if want := bottom[k] + bootabi.ISTStackSize; got != want {
				fmt.Fprintf(&b, " IST%d=%#x (want %#x)", k+1, got, want)
				r.problem("core %d: IST%d=%#x (want %#x)", i, k+1, got, want)
				istOK = false
			}
		}
		if istOK {
			b.WriteString(" TSS IST pointers intact;")
		}
		for k, lo := range bottom {
			s, err := mem.read(lo, bootabi.ISTStackSize)
			if err != nil {
				fmt.Fprintf(&b, " IST%d stack: %v", k+1, err)
				r.problem("core %d: IST%d stack: %v", i, k+1, err)
				continue
			}
			used := usedDepth(s)
			fmt.Fprintf(&b, " IST%d used %d of %d bytes", k+1, used, bootabi.ISTStackSize)
			if used > bootabi.ISTStackSize-stackMargin {
				r.problem("core %d: IST%d used %d of %d bytes", i, k+1, used, bootabi.ISTStackSize)
			}
		}
		b.WriteString("\n")
		if live >= 0 {
			top := func(k int) uint64 { return bottom[k] + bootabi.ISTStackSize - 8 }
			for _, a := range []struct {
				what string
				addr uint64
			}{{"GDT", gdtAddr}, {"TSS", tssAddr}, {"IST1 top", top(0)}, {"IST2 top", top(1)}, {"IST3 top", top(2)}} {
				if m := translate(c, live, a.addr); m != "" {
					fmt.Fprintf(&b, "  %s at %#x: %s\n", a.what, a.addr, m)
					r.problem("core %d: %s at %#x %s", i, a.what, a.addr, m)
				}
			}
		}
	}
	if v, ok := syms.vars["idt"]; ok && live >= 0 {
		if m := translate(c, live, v.addr); m != "" {
			fmt.Fprintf(&b, "IDT at %#x: %s\n", v.addr, m)
			r.problem("IDT at %#x %s", v.addr, m)
		}
	}
	if live < 0 {
		r.problem("no vCPU left running the kernel: the tables' mapping was not checked")
		b.WriteString("no vCPU left running the kernel: the tables' mapping was not checked\n")
	}
	return b.String()
}

// translate returns "" when vCPU cpu's page tables map the kernel address
// addr to itself (the kernel's identity map), else what they do.
func translate(c *qmp.Client, cpu int, addr uint64) string {
	if _, err := c.HMP(fmt.Sprintf("cpu %d", cpu)); err != nil {
		return err.Error()
	}
	out, err := c.HMP(fmt.Sprintf("gva2gpa %#x", addr))
	if err != nil {
		return "not mapped (" + err.Error() + ")"
	}
	out = strings.TrimSpace(out)
	if v, ok := strings.CutPrefix(out, "gpa: "); ok {
		if gpa, err := strconv.ParseUint(strings.TrimPrefix(v, "0x"), 16, 64); err == nil && gpa == addr {
			return ""
		}
	}
	return "mapped as " + out
}

// usedDepth returns how many bytes at the top of a stack that started
// zeroed have been written: from the lowest non-zero byte to the end.
func usedDepth(s []byte) int {
	for i, v := range s {
		if v != 0 {
			return len(s) - i
		}
	}
	return 0
}

// kstackDepths reports the deepest use of the kernel stacks of the
// threads that have run (a stack that started zeroed and is reused keeps
// its deepest mark).
func kstackDepths(mem physReader, syms *symbols, r *ResetReport) string {
	high, err := syms.read(mem, "threadHigh", 0, "")
	if err != nil || high > 4096 {
		r.problem("kernel stacks: threadHigh %d %v", high, err)
		return fmt.Sprintf("kernel stacks: threadHigh %d %v\n", high, err)
	}
	var b strings.Builder
	b.WriteString("kernel stacks used (bytes of 32768, by thread):")
	deepest := 0
	for i := 0; i < int(high); i++ {
		ks, err := syms.read(mem, "threads", i, "kstack")
		if err != nil || ks == 0 {
			continue
		}
		s, err := mem.read(ks, 32<<10)
		if err != nil {
			r.problem("kernel stack of thread %d at %#x: %v", i+1, ks, err)
			continue
		}
		d := usedDepth(s)
		if d > len(s)-stackMargin {
			r.problem("kernel stack of thread %d used %d of %d bytes", i+1, d, len(s))
		}
		deepest = max(deepest, d)
		fmt.Fprintf(&b, " %d:%d", i+1, d)
	}
	fmt.Fprintf(&b, " (deepest %d)\n", deepest)
	return b.String()
}
