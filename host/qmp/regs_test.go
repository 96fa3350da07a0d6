package qmp

import (
	"strings"
	"testing"
)

const dump64 = `CPU#0
RAX=0000000000000001 RBX=0000000000000002 RCX=0000000000000003 RDX=0000000000000004
RSI=0000000000000005 RDI=0000000000000006 RBP=000000c000050f58 RSP=000000c000050f30
R8 =0000000000000000 R9 =0000000000000000 R10=0000000000000000 R11=0000000000000000
RIP=00000000001be869 RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0
ES =0000 0000000000000000 00000000 00000000
CR0=80050033 CR2=0000000000000000 CR3=0000000000a1d000 CR4=00000620
CPU#1
EAX=00000000 EBX=00000000 ECX=00000000 EDX=00060fb1
ESI=00000000 EDI=00000000 EBP=00000000 ESP=00000000
EIP=0000fff0 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=1
`

func TestParseRegisters(t *testing.T) {
	tests := []struct {
		name    string
		dump    string
		want    []Regs
		wantErr string
	}{
		{"two CPUs, one at reset", dump64, []Regs{
			{CPU: 0, RIP: 0x1be869, RSP: 0xc000050f30, RBP: 0xc000050f58},
			{CPU: 1, RIP: 0xfff0, Halted: true},
		}, ""},
		{"one CPU without header", "RAX=0 RBX=0\nRBP=10 RSP=8\nRIP=20 HLT=1\n", []Regs{{RIP: 0x20, RSP: 8, RBP: 0x10, Halted: true}}, ""},
		{"CRLF", "CPU#3\r\nRBP=1 RSP=2\r\nRIP=3\r\n", []Regs{{CPU: 3, RIP: 3, RSP: 2, RBP: 1}}, ""},
		{"missing RIP", "CPU#0\nRBP=1 RSP=2\n", nil, "lacks RIP"},
		{"bad value", "CPU#0\nRBP=xyz RSP=2 RIP=1\n", nil, "bad RBP value"},
		{"empty", "", nil, "no CPU"},
		{"bad header", "CPU#x\n", nil, "bad CPU header"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRegisters(tc.dump)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("CPU %d: got %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestParseWords(t *testing.T) {
	out := "00007fffffef0000: 0x0000000000000001 0x00000000deadbeef\r\n00007fffffef0010: 0x0000000000000003\r\n"
	got, err := parseWords(out, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != 1 || got[1] != 0xdeadbeef || got[2] != 3 {
		t.Errorf("got %x", got)
	}
	if _, err := parseWords(out, 4); err == nil {
		t.Error("parseWords accepted 3 words for 4")
	}
	if _, err := parseWords("0000: Cannot access memory\n", 1); err == nil || !strings.Contains(err.Error(), "not mapped") {
		t.Errorf("err = %v, want not mapped", err)
	}
}
