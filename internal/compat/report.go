package compat

import (
	"fmt"
	"io"
	"strings"
)

// Markdown writes the results as the table of docs/compat.md: one row per
// package, the native and guest verdicts and the times go test reports
// (the test binary's run; in the guest from QEMU's start to its exit),
// their ratio, and the tests that failed in the guest.
func Markdown(w io.Writer, rs []Result) {
	fmt.Fprintln(w, "| area | package | version | native | guest | guest/native | failing in the guest |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, r := range rs {
		ratio := "—"
		if r.Native.Passed && r.Guest.Passed && r.Native.Elapsed > 0 {
			ratio = fmt.Sprintf("%.1f×", r.Guest.Elapsed.Seconds()/r.Native.Elapsed.Seconds())
		}
		fail := strings.Join(r.Guest.Failed, ", ")
		if fail == "" && !r.Guest.Passed {
			fail = r.Guest.Note
		}
		if r.Suite.Skip != "" {
			if fail != "" {
				fail += "; "
			}
			fail += "skipped: `" + r.Suite.Skip + "` (" + r.Suite.SkipWhy + ")"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", r.Suite.Area, r.Package, r.Version,
			cell(r.Native), cell(r.Guest), ratio, strings.ReplaceAll(fail, "|", "\\|"))
	}
}

func cell(o Outcome) string {
	switch {
	case !o.Ran:
		return "not run"
	case o.Passed:
		return fmt.Sprintf("ok %.1fs", o.Elapsed.Seconds())
	}
	return fmt.Sprintf("FAIL %.1fs", o.Elapsed.Seconds())
}
