package bench

import (
	"bytes"
	"strings"
	"testing"
)

const sampleTrace = `# tracer: nop
#
# entries-in-buffer/entries-written: 7/7   #P:2
#
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
 CPU 0/KVM-4242    [001] .....    10.000001: kvm_exit: vcpu 0 reason io rip 0x100000 info1 0x03f80010 info2 0x0
 CPU 0/KVM-4242    [001] .....    10.000002: kvm_pio: pio_write at 0x3f8 size 1 count 1 val 0x48 
 CPU 0/KVM-4242    [001] .....    10.000003: kvm_exit: reason msr rip 0x100010 info1 0x1 info2 0x0
 CPU 0/KVM-4242    [001] .....    10.000004: kvm_msr: msr_write 6e0 = 0x1234
 CPU 0/KVM-4242    [001] .....    10.000005: kvm_exit: vcpu 0 reason IO_INSTRUCTION rip 0x100020 info1 0x0 info2 0x0
 CPU 0/KVM-4242    [001] .....    10.000006: kvm_pio: pio_read at 0x3fd size 1 count 1 val 0x60 
 CPU 0/KVM-4242    [001] .....    10.000007: kvm_exit: vcpu 0 reason hlt rip 0x100030 info1 0x0 info2 0x0
`

func TestParseExitTrace(t *testing.T) {
	e, err := parseExitTrace(strings.NewReader(sampleTrace))
	if err != nil {
		t.Fatal(err)
	}
	if e.Total != 4 || e.Lost || e.Recorded != 7 {
		t.Errorf("total %d lost %v recorded %d, want 4, false, 7", e.Total, e.Lost, e.Recorded)
	}
	for k, want := range map[string]int{"io": 1, "msr": 1, "IO_INSTRUCTION": 1, "hlt": 1} {
		if e.Reasons[k] != want {
			t.Errorf("reason %s: %d, want %d", k, e.Reasons[k], want)
		}
	}
	if e.Ports["out 0x3f8"] != 1 || e.Ports["in 0x3fd"] != 1 || len(e.Ports) != 2 {
		t.Errorf("ports %v", e.Ports)
	}
	if e.MSRs["wrmsr 0x6e0"] != 1 || len(e.MSRs) != 1 {
		t.Errorf("MSRs %v", e.MSRs)
	}
}

func TestParseExitTraceLost(t *testing.T) {
	tr := strings.Replace(sampleTrace, "7/7", "7/90", 1)
	e, err := parseExitTrace(strings.NewReader(tr))
	if err != nil || !e.Lost {
		t.Fatalf("lost %v, err %v: want the overflow noticed", e.Lost, err)
	}
	var b bytes.Buffer
	printExits(&b, "hello", []Exits{e}, []Exits{e})
	if !strings.Contains(b.String(), "overflowed") {
		t.Errorf("report does not say the buffer overflowed:\n%s", b.String())
	}
}

func TestParseExitTraceBad(t *testing.T) {
	if _, err := parseExitTrace(strings.NewReader(" x-1 [000] ..... 1.0: kvm_exit: vcpu 0 rip 0x0\n")); err == nil {
		t.Error("a kvm_exit line without a reason was accepted")
	}
}

func TestTop(t *testing.T) {
	got := top(map[string]int{"a": 1, "b": 5, "c": 5, "d": 2}, 3)
	want := []string{"b 5", "c 5", "d 2"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("top = %v, want %v", got, want)
	}
}

// TestPrintExitsLeavesOutUnseenBoots: a boot with no recorded event is
// reported and left out of the statistics.
func TestPrintExitsLeavesOutUnseenBoots(t *testing.T) {
	e, err := parseExitTrace(strings.NewReader(sampleTrace))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	printExits(&b, "hello", []Exits{e, {}}, []Exits{{}, e, e})
	out := b.String()
	for _, want := range []string{"per boot, in order: 4 0", "per boot, in order: 0 4 4", "1 boots recorded no event", "hello: exits                                                    4        4        4"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
