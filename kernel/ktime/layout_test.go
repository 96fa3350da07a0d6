package ktime

import (
	"os"
	"regexp"
	"strconv"
	"testing"
	"unsafe"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// TestClockLayout checks the offsets the vDSO's assembly reads the clock
// and the pvclock structure at, and the x86-64 ABI's pvclock layout.
func TestClockLayout(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want uintptr
	}{
		{"clock.mult", unsafe.Offsetof(clock.mult), 16},
		{"clock.epochNs", unsafe.Offsetof(clock.epochNs), 24},
		{"clock.kvm", unsafe.Offsetof(clock.kvm), 32},
		{"clock.kvm0", unsafe.Offsetof(clock.kvm0), 40},
		{"clock.last", unsafe.Offsetof(clock.last), 48},
		{"clock.kvmStable", unsafe.Offsetof(clock.kvmStable), 56},
		{"pvclockTimeInfo size", unsafe.Sizeof(pvclockTimeInfo{}), 32},
		{"pvclockTimeInfo.systemTime", unsafe.Offsetof(pvclockTimeInfo{}.systemTime), 16},
		{"pvclockTimeInfo.tscToSystemMul", unsafe.Offsetof(pvclockTimeInfo{}.tscToSystemMul), 24},
		{"pvclockTimeInfo.flags", unsafe.Offsetof(pvclockTimeInfo{}.flags), 29},
		{"pvclockSlot (vdso_amd64.s shifts the core number by 6)", pvclockSlot, 64},
		{"bootabi.CPUIDOffset (arch.CoreID and the vDSO load GS:72)", bootabi.CPUIDOffset, 72},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
	src, err := os.ReadFile("vdso_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uintptr{
		"CLOCK_TSC0": unsafe.Offsetof(clock.tsc0), "CLOCK_MULT": unsafe.Offsetof(clock.mult),
		"CLOCK_EPOCH": unsafe.Offsetof(clock.epochNs), "CLOCK_KVM": unsafe.Offsetof(clock.kvm),
		"CLOCK_KVM0": unsafe.Offsetof(clock.kvm0), "CLOCK_LAST": unsafe.Offsetof(clock.last),
		"CLOCK_KVMSTABLE": unsafe.Offsetof(clock.kvmStable),
	}
	re := regexp.MustCompile(`(?m)^#define (CLOCK_\w+)\s+(\d+)`)
	found := 0
	for _, m := range re.FindAllStringSubmatch(string(src), -1) {
		w, ok := want[m[1]]
		if !ok {
			t.Errorf("vdso_amd64.s: unexpected define %s", m[1])
			continue
		}
		found++
		if m[2] != strconv.FormatUint(uint64(w), 10) {
			t.Errorf("vdso_amd64.s: %s = %s, want %d", m[1], m[2], w)
		}
	}
	if found != len(want) {
		t.Errorf("vdso_amd64.s: found %d offset defines, want %d", found, len(want))
	}
}

func TestNsToTSC(t *testing.T) {
	defer func(hz uint64) { clock.hz = hz }(clock.hz)
	for _, tc := range []struct {
		hz   uint64
		ns   int64
		want uint64
	}{
		{3_000_000_000, 1_000_000_000, 3_000_000_000},
		{3_000_000_000, 1, 3},
		{2_100_000_000, 1000, 2100},
		{1_000_000_000, 0, 0},
		{4_000_000_000, 1 << 62, ^uint64(0)}, // saturates instead of wrapping
	} {
		clock.hz = tc.hz
		if got := NsToTSC(tc.ns); got != tc.want {
			t.Errorf("NsToTSC(%d) at %d Hz = %d, want %d", tc.ns, tc.hz, got, tc.want)
		}
	}
}
