package mm

import (
	"sync/atomic"
	"syscall"
	"testing"
	"unsafe"
)

// Hosted tests run the allocator and the page tables on pages mapped for
// the test (outside the Go heap, as the kernel's pages are). The owner and
// pin maps are indexed by page frame number; for pages at host addresses
// the maps' bases are shifted down so that the test's frames land in a
// small buffer.

// testHost counts the shootdowns and the free pages at the last one.
type testHost struct{}

var shootdowns, freeAtShootdown, services atomic.Int64

func (testHost) TLBShootdown() {
	shootdowns.Add(1)
	freeAtShootdown.Store(int64(FreePages()))
}
func (testHost) TLBService() { services.Add(1) }

// testMem maps n pages, resets the package's state and makes the pages
// the allocator's only range. It returns the first page's address.
func testMem(t *testing.T, n int) uintptr {
	t.Helper()
	mem := mapPages(t, n)
	base := uintptr(unsafe.Pointer(&mem[0]))
	maps := mapPages(t, 2*((n+PageSize-1)/PageSize))
	mapBase := uintptr(unsafe.Pointer(&maps[0]))
	phys = struct {
		free                uintptr
		nfree               uint64
		total               uint64
		ownerBase, ownerLen uintptr
		pinBase             uintptr
		nranges             int
		ranges              [maxRanges]struct{ next, end uintptr }
	}{}
	pools = [len(pools)]pool{}
	physLock.held = 0
	unmapped = pageBatch{}
	zero = 0
	shootdowns.Store(0)
	services.Store(0)
	host = testHost{}
	frame := base >> PageShift
	mapLen := uintptr(len(maps)) / 2
	phys.ownerBase = mapBase - frame
	phys.pinBase = mapBase + mapLen - frame
	phys.ownerLen = frame + uintptr(n)
	addRange(base, base+uintptr(n)*PageSize)
	return base
}

func mapPages(t *testing.T, n int) []byte {
	t.Helper()
	mem, err := syscall.Mmap(-1, 0, n*PageSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	return mem
}

// fill writes b over page p.
func fill(p uintptr, b byte) {
	pg := (*[PageSize]byte)(ptr(p))
	for i := range pg {
		pg[i] = b
	}
}
