// Host only: these tests use the packer or the option parser (not in a
// guest build).

//go:build !gotoro

package bootabi

import (
	"strings"
	"testing"
)

func TestParseKernelOption(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    Param
		wantErr string
	}{
		{in: "xsave=off", want: Param{KeyXsave, "off"}},
		{in: "xsave=avx", want: Param{KeyXsave, "avx"}},
		{in: "kvmclock=0", want: Param{KeyKvmclock, "0"}},
		{in: "x2apic=0", want: Param{KeyX2apic, "0"}},
		{in: "tscdeadline=0", want: Param{KeyTSCDeadline, "0"}},
		{in: "vdso=0", want: Param{KeyVDSO, "0"}},
		{in: "idlepoll=0", want: Param{KeyIdlePoll, "0"}},
		{in: "idlepoll=50", want: Param{KeyIdlePoll, "50"}},
		{in: "idlepoll=-1", wantErr: `value "-1" not accepted`},
		{in: "xsave=sse", wantErr: `value "sse" not accepted (want off or avx)`},
		{in: "x2apic=1", wantErr: `value "1" not accepted (want 0)`},
		{in: "x2apic", wantErr: "want KEY=VALUE with KEY one of apic_hz, idlepoll, kvmclock, tscdeadline, vdso, x2apic, xsave"},
		{in: "arg=x", wantErr: "KEY one of"},
		{in: "", wantErr: "KEY one of"},
	} {
		got, err := ParseKernelOption(c.in)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("ParseKernelOption(%q) = %v, %v; want error containing %q", c.in, got, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseKernelOption(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}
