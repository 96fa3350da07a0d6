package prof

import (
	"slices"
	"testing"

	"github.com/gotoro/gotoro/host/qmp"
)

const pkgPath = "github.com/gotoro/gotoro/host/prof."

func TestWalk(t *testing.T) {
	s := testSymbols(t)
	a, b, c, d := fn(t, s, leafA), fn(t, s, midB), fn(t, s, topC), fn(t, s, userD)
	// A PC in midB after its prologue has set up the frame pointer.
	var midPC uint64
	var midDelta int64
	for pc := b.entry; pc < b.end; pc++ {
		if dl, ok := s.SPDelta(pc); ok && dl >= 16 {
			midPC, midDelta = pc, dl
			break
		}
	}
	if midPC == 0 {
		t.Fatal("midB has no frame")
	}
	tests := []struct {
		name  string
		regs  qmp.Regs
		mem   map[uint64]uint64
		trap  bool // treat topC as the kernel's trap return site
		want  []string
		reads int // at most
	}{
		{
			name: "leaf at entry, then frame pointers",
			regs: qmp.Regs{RIP: a.entry, RSP: 0x10000, RBP: 0x10100},
			mem: map[uint64]uint64{
				0x10000: b.entry + 5, // return address into midB
				0x10100: 0x10200, 0x10108: c.entry + 5,
				0x10200: 0x10300, 0x10208: d.entry + 5,
				0x10300: 0, 0x10308: 0,
			},
			want:  []string{pkgPath + "leafA", pkgPath + "midB", pkgPath + "topC", pkgPath + "userD"},
			reads: 1,
		},
		{
			name: "frame pointer already set up",
			regs: qmp.Regs{RIP: midPC, RSP: 0x30000, RBP: 0x30000 + uint64(midDelta) - 8},
			mem: map[uint64]uint64{
				0x30000 + uint64(midDelta) - 8: 0x30800,
				0x30000 + uint64(midDelta):     c.entry + 5,
				0x30800:                        0, 0x30808: d.entry + 5,
			},
			want: []string{pkgPath + "midB", pkgPath + "topC", pkgPath + "userD"},
		},
		{
			name: "across a system-call trap frame",
			regs: qmp.Regs{RIP: a.entry, RSP: 0x10000, RBP: 0x10100},
			mem: map[uint64]uint64{
				0x10000: b.entry + 5,
				0x10100: 0x5555, 0x10108: c.entry + 5, // returns into the trap entry
				// The trap frame, 16 bytes above the return address's slot.
				0x10118 + tfVector: vecSyscall, 0x10118 + tfRAX: 202,
				0x10118 + tfRIP: a.entry + 1, 0x10118 + tfRSP: 0x20000, 0x10118 + tfRBP: 0,
				0x20000: d.entry + 5,
			},
			trap: true,
			want: []string{pkgPath + "leafA", pkgPath + "midB", pkgPath + "topC", "kernel: syscall futex (202)", pkgPath + "leafA", pkgPath + "userD"},
		},
		{
			name: "halted in the idle loop",
			regs: qmp.Regs{RIP: a.entry, RSP: 0x10000, Halted: true},
			mem:  map[uint64]uint64{0x10000: 1},
			want: []string{IdleFrame, pkgPath + "leafA"},
		},
		{
			name: "unreadable stack",
			regs: qmp.Regs{RIP: a.entry, RSP: 0x90000, RBP: 0x90100},
			mem:  map[uint64]uint64{0x10000: 1},
			want: []string{pkgPath + "leafA"},
		},
		{
			name: "frame-pointer loop",
			regs: qmp.Regs{RIP: a.entry, RSP: 0x10000, RBP: 0x10100},
			mem:  map[uint64]uint64{0x10000: b.entry + 5, 0x10100: 0x10100, 0x10108: c.entry + 5},
			want: []string{pkgPath + "leafA", pkgPath + "midB"}, // a frame that points to itself is corrupt
		},
		{name: "vCPU at reset", regs: qmp.Regs{RIP: 0xfff0, Halted: true}, want: []string{OfflineFrame}},
		{name: "firmware", regs: qmp.Regs{RIP: 0xf001a}, want: []string{FirmwareFrame}},
		{name: "trampoline", regs: qmp.Regs{RIP: s.textStart - 0x10}, want: []string{TrampolineFrame}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := newUnwinder(s)
			if tc.trap {
				u.trapReturns = []funcRange{c}
			}
			fm := newFakeMem()
			for k, v := range tc.mem {
				fm.put(k, v)
			}
			mem := newStackMem(fm, 0)
			got := names(s, u.walk(mem, tc.regs))
			if !slices.Equal(got, tc.want) {
				t.Errorf("stack\n got %q\nwant %q", got, tc.want)
			}
			if tc.reads > 0 && mem.reads > tc.reads {
				t.Errorf("%d page reads, want at most %d", mem.reads, tc.reads)
			}
		})
	}
}

func TestEntryName(t *testing.T) {
	tests := []struct {
		vector, rax uint64
		want        string
	}{
		{vecSyscall, 202, "kernel: syscall futex (202)"},
		{vecSyscallFX, 15, "kernel: syscall rt_sigreturn (15)"},
		{vecSyscall, 999, "kernel: syscall 999"},
		{vecTimer, 0, "kernel: timer interrupt"},
		{vecPageFault, 0, "kernel: page fault"},
		{6, 0, "kernel: exception 6"},
		{40, 0, "kernel: interrupt 40"},
	}
	for _, tc := range tests {
		if got := entryName(tc.vector, tc.rax); got != tc.want {
			t.Errorf("entryName(%d, %d) = %q, want %q", tc.vector, tc.rax, got, tc.want)
		}
	}
}

func TestSPDelta(t *testing.T) {
	s := testSymbols(t)
	b := fn(t, s, midB)
	if d, ok := s.SPDelta(b.entry); !ok || d != 0 {
		t.Errorf("SPDelta(entry) = %d, %v; want 0", d, ok)
	}
	if _, ok := s.SPDelta(s.textStart - 1); ok {
		t.Error("SPDelta below the text succeeded")
	}
	if _, err := newSymbols([]byte("not a pcln table at all, not at all, not at all, really, not at all!"), 0, 0); err == nil {
		t.Error("newSymbols accepted garbage")
	}
	if _, err := LoadSymbols("/nonexistent"); err == nil {
		t.Error("LoadSymbols of a missing file succeeded")
	}
}
