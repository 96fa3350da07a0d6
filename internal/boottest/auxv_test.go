package boottest

import (
	"strings"
	"testing"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// TestAuxv: the auxiliary vector on the initial stack (buildInitialStack
// copies a static template and fills in the run's values): page size,
// clock tick, random bytes, AT_SECURE, AT_EXECFN, the vDSO's header, and
// without the vDSO (vdso=0) no AT_SYSINFO_EHDR.
func TestAuxv(t *testing.T) {
	for _, c := range []struct {
		arg    string
		params []bootabi.Param
	}{
		{"vdso", nil},
		{"novdso", []bootabi.Param{{Key: bootabi.KeyVDSO, Value: "0"}}},
	} {
		out, res := boot(t, "auxv", bootOpts{args: []string{c.arg}, params: c.params})
		wantExit(t, out, res, 0)
		if !strings.Contains(out, "auxv ok") {
			t.Errorf("%s: %s", c.arg, out)
		}
	}
}
