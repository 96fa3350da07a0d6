package compat

import (
	"slices"
	"testing"
	"time"
)

func TestFailedTests(t *testing.T) {
	out := "=== RUN   TestA\n--- FAIL: TestA (0.01s)\n    --- FAIL: TestA/sub (0.00s)\n--- PASS: TestB (0.00s)\nFAIL\nFAIL\tpkg\t1.5s\n"
	if got := failedTests(out); !slices.Equal(got, []string{"TestA", "TestA/sub"}) {
		t.Errorf("failedTests = %v", got)
	}
	if got := reportedTime(out, time.Minute); got != 1500*time.Millisecond {
		t.Errorf("reportedTime = %v", got)
	}
	if got := reportedTime("ok  \tgithub.com/x/y\t0.250s\n", time.Minute); got != 250*time.Millisecond {
		t.Errorf("reportedTime ok line = %v", got)
	}
	if got := reportedTime("no verdict", time.Minute); got != time.Minute {
		t.Errorf("reportedTime without a verdict = %v", got)
	}
	if got := lastMeaningfulLine("panic: boom\n\ngoroutine 1\nFAIL\tpkg\t1s\nFAIL\n"); got != "goroutine 1" {
		t.Errorf("lastMeaningfulLine = %q", got)
	}
}

func TestSuitesPinned(t *testing.T) {
	areas := map[string]bool{}
	mods := map[string]bool{}
	ci := 0
	for _, s := range Suites {
		if s.Module == "" || s.Version == "" || len(s.Packages) == 0 || s.Area == "" {
			t.Errorf("incomplete suite %+v", s)
		}
		if mods[s.Module] {
			t.Errorf("%s listed twice", s.Module)
		}
		mods[s.Module] = true
		areas[s.Area] = true
		if s.Skip != "" && s.SkipWhy == "" {
			t.Errorf("%s skips %q without saying why", s.Module, s.Skip)
		}
		if s.CI {
			ci++
		}
	}
	if len(mods) < 15 {
		t.Errorf("%d modules, want at least 15", len(mods))
	}
	for _, a := range []string{"storage", "networking", "compression", "crypto", "serialization", "logging", "CLI", "metrics"} {
		if !areas[a] {
			t.Errorf("no suite covers %s", a)
		}
	}
	if ci == 0 {
		t.Errorf("no suite in the CI subset")
	}
}
