package qemu

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestMemoLine(t *testing.T) {
	when := time.Date(2026, 12, 7, 13, 0, 0, 123, time.UTC)
	for _, v := range []verdict{
		{OK: true, When: when},
		{Why: "QEMU died (aborted): failed to set MSR 0x10a to 0x69", When: when},
		{Why: "a reason with \"quotes\",\nlines and trailing space ", When: when},
	} {
		got, err := parseMemo(formatMemo(v))
		if err != nil || got.OK != v.OK || got.Why != v.Why || !got.When.Equal(v.When) {
			t.Errorf("%+v: read back %+v, %v", v, got, err)
		}
	}
	for _, bad := range []string{
		"", "ok 1", "ok\n", "ok x\n", "ok 1 \"why\"\n", "maybe 1\n",
		"failed 1\n", "failed 1 unquoted\n", "failed 1 \"\"\n",
	} {
		if v, err := parseMemo(bad); err == nil {
			t.Errorf("memo %q read as %+v", bad, v)
		}
	}
}

// TestVerdictMemo: a stored verdict is found from its memo alone; one
// found in the JSON file gets a memo; a memo that cannot be read sends
// the lookup to the file; memos are bounded as the file is.
func TestVerdictMemo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kvm-selftest.json")
	id := hostIdentity{Kernel: "6.1.0 #1", BootID: "b1", QEMU: "/usr/bin/q ino=1", KVM: "rdev=0xae8", Probe: "p"}
	when := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	if err := storeVerdict(path, id, verdict{Why: "ring-0 SSE faulted", When: when}); err != nil {
		t.Fatal(err)
	}
	json, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
	if v, ok := loadVerdict(path, id); !ok || v.OK || v.Why != "ring-0 SSE faulted" || !v.When.Equal(when) || !v.cached {
		t.Fatalf("from the memo alone: %+v, %v", v, ok)
	}
	// The file without the memo: found there, and the memo is back.
	os.WriteFile(path, json, 0o644)
	os.Remove(memoPath(path, id))
	if v, ok := loadVerdict(path, id); !ok || v.Why != "ring-0 SSE faulted" {
		t.Fatalf("from the file: %+v, %v", v, ok)
	}
	if _, err := os.Stat(memoPath(path, id)); err != nil {
		t.Errorf("no memo after a lookup in the file: %v", err)
	}
	// A damaged memo: the file's verdict, not the memo's.
	os.WriteFile(memoPath(path, id), []byte("ok 1"), 0o644)
	if v, ok := loadVerdict(path, id); !ok || v.OK || v.Why != "ring-0 SSE faulted" {
		t.Errorf("with a damaged memo: %+v, %v", v, ok)
	}
	// Another host's identity has another memo.
	other := id
	other.BootID = "b2"
	if memoPath(path, other) == memoPath(path, id) {
		t.Error("two identities share a memo")
	}
	for i := 0; i < 2*maxCachedVerdicts; i++ {
		other.BootID = string(rune('a' + i))
		storeVerdict(path, other, verdict{OK: true, When: when})
	}
	memos, _ := filepath.Glob(filepath.Join(filepath.Dir(path), memoPrefix+"*"))
	if len(memos) != maxCachedVerdicts {
		t.Errorf("%d memos kept, want %d", len(memos), maxCachedVerdicts)
	}
	if v, ok := readMemo(path, other); !ok || !v.OK {
		t.Errorf("the newest memo: %+v, %v", v, ok)
	}
}
