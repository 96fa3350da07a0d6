package kernel

import (
	"testing"
	"unsafe"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// The layout of the kernel stacks and their guard pages (kstack.go), and
// guardOwner's reading of a faulting address.

func TestKstackPoolLayout(t *testing.T) {
	saved := kstackPool
	t.Cleanup(func() { kstackPool = saved })
	const base = 0x40_0000
	kstackInit(base, kstackMin)
	if kstackSlot%pageSize != 0 {
		t.Fatalf("slot %d bytes: not whole pages", kstackSlot)
	}
	for i := 0; i < kstackMin; i++ {
		s := kstackAt(i)
		if s%pageSize != 0 || s-pageSize != base+uintptr(i)*kstackSlot {
			t.Fatalf("stack %d at %#x: not a page above its slot's start", i, s)
		}
		if i > 0 && kstackAt(i-1)+kstackSize != s-pageSize {
			t.Errorf("stack %d does not end at stack %d's guard page", i-1, i)
		}
		for _, tc := range []struct {
			addr uintptr
			kind int
		}{
			{s - pageSize, guardPool},
			{s - 1, guardPool},
			{s, guardNone},
			{s + kstackSize - 1, guardNone},
		} {
			if kind, _, n := guardOwner(tc.addr); kind != tc.kind || kind == guardPool && n != i {
				t.Errorf("guardOwner(%#x) = %d, %d; want %d, %d", tc.addr, kind, n, tc.kind, i)
			}
		}
	}
	if kind, _, _ := guardOwner(base + kstackMin*kstackSlot); kind != guardNone {
		t.Errorf("the first byte past the pool is a guard (%d)", kind)
	}
	// Who holds the stack: a thread (by tid), a core's idle context.
	savedT, savedC := threads[4].kstack, cpus[3].idleStack
	t.Cleanup(func() { threads[4].kstack, cpus[3].idleStack = savedT, savedC })
	threads[4].kstack, cpus[3].idleStack = kstackAt(7), kstackAt(9)
	if kind, _, n := guardOwner(kstackAt(7) - 8); kind != guardThread || n != 5 {
		t.Errorf("thread 5's guard: %d, %d; want %d, 5", kind, n, guardThread)
	}
	if kind, c, _ := guardOwner(kstackAt(9) - pageSize); kind != guardIdle || c != 3 {
		t.Errorf("core 3's idle guard: %d, core %d; want %d, core 3", kind, c, guardIdle)
	}
	// Alloc and free go by slot.
	kstackPool.used = [maxThreads]bool{}
	a, b := kstackAlloc(), kstackAlloc()
	if a != kstackAt(0) || b != kstackAt(1) {
		t.Fatalf("alloc gave %#x, %#x; want %#x, %#x", a, b, kstackAt(0), kstackAt(1))
	}
	kstackFree(a)
	if kstackPool.used[0] || !kstackPool.used[1] {
		t.Errorf("free of stack 0 left used %v", kstackPool.used[:2])
	}
}

func TestISTLayout(t *testing.T) {
	lo := uintptr(unsafe.Pointer(&istArea[0]))
	hi := lo + uintptr(len(istArea))
	prevTop := uintptr(0)
	for core := 0; core < maxCPUs; core++ {
		for ist := 1; ist <= istStacks; ist++ {
			b := istBottom(core, ist)
			guard := b - pageSize
			if b%pageSize != 0 || guard < lo || b+istStackSize > hi {
				t.Fatalf("core %d IST %d at %#x: unaligned or outside istArea [%#x, %#x)", core, ist, b, lo, hi)
			}
			if prevTop > guard {
				t.Fatalf("core %d IST %d's guard %#x overlaps the stack below (top %#x)", core, ist, guard, prevTop)
			}
			prevTop = b + istStackSize
			if (b+istStackSize)%16 != 0 {
				t.Errorf("core %d IST %d: top not 16-byte aligned", core, ist)
			}
			if kind, c, n := guardOwner(guard + 100); kind != guardIST || c != core || n != ist {
				t.Errorf("guardOwner(core %d IST %d's guard) = %d, %d, %d", core, ist, kind, c, n)
			}
			if kind, _, _ := guardOwner(b); kind != guardNone {
				t.Errorf("core %d IST %d's first byte taken for a guard", core, ist)
			}
		}
	}
	if istNames[istIRQ] == "" || istNames[istExcept] != "exceptions" || istNames[istDouble] == "" {
		t.Errorf("istNames %q do not follow desc.go's IST indexes", istNames)
	}
}

func TestBootStackGuard(t *testing.T) {
	lo := uintptr(unsafe.Pointer(&bootStack[0]))
	g := bootStackGuard()
	if g%pageSize != 0 || g < lo || g+pageSize > lo+bootStackSize {
		t.Fatalf("guard %#x not a whole page of bootStack [%#x, %#x)", g, lo, lo+bootStackSize)
	}
	if room := lo + bootStackSize - (g + pageSize); room < bootStackSize-2*pageSize {
		t.Errorf("%d bytes of stack above the guard", room)
	}
	if kind, _, _ := guardOwner(g + pageSize - 1); kind != guardBoot {
		t.Errorf("guardOwner(boot guard) = %d, want %d", kind, guardBoot)
	}
}

// TestISTGuardIsAPage: the layout the host reads a reset machine's
// interrupt stacks with (bootabi) has the kernel's one-page guards.
func TestISTGuardIsAPage(t *testing.T) {
	if bootabi.ISTGuard != pageSize {
		t.Errorf("bootabi.ISTGuard = %d, want the page size %d", bootabi.ISTGuard, pageSize)
	}
}

func TestVectorIST(t *testing.T) {
	for v := range 256 {
		want := uint8(istIRQ)
		switch {
		case v == 2 || v == 8 || v == 18: // NMI, double fault, machine check
			want = istDouble
		case v < 32:
			want = istExcept
		}
		if got := vectorIST(v); got != want {
			t.Errorf("vector %d: interrupt stack %d, want %d", v, got, want)
		}
	}
}
