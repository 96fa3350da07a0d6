package qemu

import (
	"bytes"
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
	// The file's bytes damaged in place with its stamp kept: only the
	// memo can answer.
	overwriteKeepingStamp(t, path, bytes.Repeat([]byte{'x'}, len(json)))
	if v, ok := loadVerdict(path, id); !ok || v.OK || v.Why != "ring-0 SSE faulted" || !v.When.Equal(when) || !v.cached {
		t.Fatalf("from the memo alone: %+v, %v", v, ok)
	}
	// The file without the memo: found there, and the memo is back.
	overwriteKeepingStamp(t, path, json)
	os.Remove(memoNow(t, path, id))
	if v, ok := loadVerdict(path, id); !ok || v.Why != "ring-0 SSE faulted" {
		t.Fatalf("from the file: %+v, %v", v, ok)
	}
	if _, err := os.Stat(memoNow(t, path, id)); err != nil {
		t.Errorf("no memo after a lookup in the file: %v", err)
	}
	// A damaged memo: the file's verdict, not the memo's.
	os.WriteFile(memoNow(t, path, id), []byte("ok 1"), 0o644)
	if v, ok := loadVerdict(path, id); !ok || v.OK || v.Why != "ring-0 SSE faulted" {
		t.Errorf("with a damaged memo: %+v, %v", v, ok)
	}
	// Another host's identity has another memo.
	other := id
	other.BootID = "b2"
	if memoNow(t, path, other) == memoNow(t, path, id) {
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

// TestVerdictMemoFollowsTheFile: the JSON file is the record, and a memo
// answers only for the version of the file it was written beside. A
// removed file (a user asking for a new self-test) or one another
// gotoro replaced (a new verdict for the same host) is not overridden
// by an older memo; a file rewritten with the verdict still in it is
// found there again.
func TestVerdictMemoFollowsTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kvm-selftest.json")
	id := hostIdentity{Kernel: "6.1.0 #1", BootID: "b1", QEMU: "/usr/bin/q ino=1", KVM: "rdev=0xae8", Probe: "p"}
	when := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	if err := storeVerdict(path, id, verdict{Why: "ring-0 SSE faulted", When: when}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if v, ok := loadVerdict(path, id); ok {
		t.Fatalf("the file removed: %+v from a memo, want no verdict (a new self-test)", v)
	}

	// The same host's verdict replaced in the file by another process.
	if err := storeVerdict(path, id, verdict{Why: "ring-0 SSE faulted", When: when}); err != nil {
		t.Fatal(err)
	}
	elsewhere := filepath.Join(t.TempDir(), "kvm-selftest.json")
	if err := storeVerdict(elsewhere, id, verdict{OK: true, When: when.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(elsewhere)
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "new.json")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	if v, ok := loadVerdict(path, id); !ok || !v.OK {
		t.Fatalf("after the file was replaced: %+v, %v, want its verdict (ok)", v, ok)
	}

	// Another host's verdict stored: this one is still in the file.
	other := id
	other.BootID = "b2"
	if err := storeVerdict(path, other, verdict{Why: "no KVM", When: when}); err != nil {
		t.Fatal(err)
	}
	if v, ok := loadVerdict(path, id); !ok || !v.OK {
		t.Fatalf("after another host's verdict: %+v, %v, want ok", v, ok)
	}

	// Two verdict files in one directory have memos of their own.
	second := filepath.Join(dir, "second.json")
	if v, ok := loadVerdict(second, id); ok {
		t.Errorf("a file never written: %+v from the other file's memo", v)
	}
}

// memoNow is id's memo for the verdict cache at path as it is now.
func memoNow(t *testing.T, path string, id hostIdentity) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return memoPath(path, fileStamp(fi), id)
}

// overwriteKeepingStamp writes b, of the file's size, over the file at
// path in place and puts its modification time back: the same fileStamp.
func overwriteKeepingStamp(t *testing.T, path string, b []byte) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteAt(b, 0)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chtimes(path, fi.ModTime(), fi.ModTime())
	}
	if err != nil {
		t.Fatal(err)
	}
	if now := memoNow(t, path, hostIdentity{}); now != memoPath(path, fileStamp(fi), hostIdentity{}) {
		t.Fatal("the file's stamp changed")
	}
}
