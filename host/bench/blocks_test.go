package bench

import (
	"bytes"
	"strings"
	"testing"
)

// blockLog is a small -d in_asm log in QEMU's layout: a firmware block
// without a symbol, the kernel's entry, the runtime, main; a block of the
// kernel and one of the runtime are translated a second time; a kernel
// block and a runtime block are a prologue's stack check.
const blockLog = `----------------
IN: 
0x000ffff0:  ljmpl    $0xf000, $0xe05b

----------------
IN: github.com/gotoro/gotoro/kernel.entry64.abi0
0x00201ca0:  movq     %rbx, %rdi
0x00201ca3:  jmp      0x201cb0

----------------
IN: github.com/gotoro/gotoro/kernel.kmain
0x00202000:  pushq    %rbp

----------------
IN: github.com/gotoro/gotoro/kernel.kmain
0x00202010:  retq     

----------------
IN: _rt0_amd64_linux
0x00400000:  jmp      0x400010

----------------
IN: github.com/gotoro/gotoro/kernel.setupSigframe
0x00203000:  49 3b 66 10              cmpq     0x10(%r14), %rsp
0x00203004:  0f 86 d5 00 00 00        jbe      0x2030df

----------------
IN: runtime.main
0x00410000:  49 3b 66 10              cmpq     0x10(%r14), %rsp
0x00410004:  76 16                    jbe      0x41001c

----------------
IN: github.com/gotoro/gotoro/kernel.kmain
0x00202000:  pushq    %rbp

----------------
IN: main.main
0x00420000:  callq    0x420100

----------------
IN: runtime.main
0x00410000:  nop      

`

func TestCountBlocks(t *testing.T) {
	phases, err := CountBlocks(strings.NewReader(blockLog))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ blocks, insns, kernel, again, kernelAgain int }{{1, 1, 0, 0, 0}, {3, 4, 3, 0, 0}, {2, 3, 1, 0, 0}, {2, 3, 1, 1, 1}, {2, 2, 0, 1, 0}}
	if len(phases) != len(want) {
		t.Fatalf("%d phases, want %d", len(phases), len(want))
	}
	for i, w := range want {
		p := phases[i]
		if p.Blocks != w.blocks || p.Insns != w.insns || p.Kernel != w.kernel {
			t.Errorf("phase %q: %d blocks, %d insns, %d kernel's; want %d, %d, %d", p.Name, p.Blocks, p.Insns, p.Kernel, w.blocks, w.insns, w.kernel)
		}
		if p.Again != w.again || p.KernelAgain != w.kernelAgain {
			t.Errorf("phase %q: %d blocks translated again, %d of them the kernel's; want %d, %d", p.Name, p.Again, p.KernelAgain, w.again, w.kernelAgain)
		}
	}
	for i, p := range phases {
		want := 0
		if i == 2 {
			want = 1 // setupSigframe's; runtime.main's is not the kernel's
		}
		if p.KernelStackChecks != want {
			t.Errorf("phase %q: %d of the kernel's prologues with a stack check, want %d", p.Name, p.KernelStackChecks, want)
		}
	}
	if top := phases[1].Top(1); len(top) != 1 || top[0] != (FuncBlocks{gotoroPrefix + "kernel.kmain", 2}) {
		t.Errorf("kernel boot's top function %v, want kmain with 2 blocks", top)
	}
	if phases[0].Funcs["?"] != 1 {
		t.Errorf("a block without a symbol is not counted as \"?\": %v", phases[0].Funcs)
	}
	if n := SignalBlocks(phases); n != 1 {
		t.Errorf("SignalBlocks = %d, want 1", n)
	}
	var out bytes.Buffer
	printBlocks(&out, "hello", phases)
	for _, s := range []string{"all                                                            10", "kernel.kmain 2", "with a stack check: 1", "a signal was delivered"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, out.String())
		}
	}
}

func TestCountBlocksRejects(t *testing.T) {
	for _, in := range []string{"", "gotoro: something else\n0x1000: nop\n"} {
		if _, err := CountBlocks(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "-d in_asm") {
			t.Errorf("CountBlocks(%q) = %v, want an error naming -d in_asm", in, err)
		}
	}
}
