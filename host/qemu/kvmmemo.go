package qemu

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A verdict memo is one host identity's verdict in a one-line file beside
// the verdict cache (kvm-selftest.json): every `gotoro run -accel auto`
// reads its verdict, and decoding the JSON file is the first use of
// encoding/json in the process (~0.14 ms of faulting its code in and
// building its reflection tables) on the way to QEMU's start. The JSON
// file stays the record humans and other gotoro versions read; a memo
// is written beside it whenever a verdict is stored or found there, and
// a memo that cannot be read sends the lookup back to the file.
//
// A memo answers only for the version of the file it was written beside:
// its name's digest holds the file's stamp (device, inode, size,
// modification time; every store replaces the file by a rename, so a
// new inode). A removed file (a user asking for a new self-test) or one
// rewritten since by another gotoro finds no memo; the lookup decodes the
// file and writes the memo of its new version.

// memoPrefix begins a memo's file name; the identity's digest follows.
const memoPrefix = ".kvm-verdict-"

// fileStamp identifies one version of the verdict file; "" if fi has no
// inode. It is FileIdentity without the change time: storeVerdict takes
// the stamp of its temporary file before the rename that publishes it,
// and a rename moves the change time.
func fileStamp(fi os.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d %d %d %d", st.Dev, st.Ino, fi.Size(), fi.ModTime().UnixNano())
}

// memoPath returns id's memo for the version stamp (fileStamp) of the
// verdict cache at path.
func memoPath(path, stamp string, id hostIdentity) string {
	h := sha256.New()
	for _, s := range []string{stamp, id.Kernel, id.BootID, id.QEMU, id.KVM, id.Probe} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return filepath.Join(filepath.Dir(path), memoPrefix+hex.EncodeToString(h.Sum(nil)[:16]))
}

// formatMemo is v as a memo's line: "ok WHEN" or "failed WHEN WHY", WHEN
// in Unix nanoseconds, WHY quoted.
func formatMemo(v verdict) string {
	if v.OK {
		return fmt.Sprintf("ok %d\n", v.When.UnixNano())
	}
	return fmt.Sprintf("failed %d %s\n", v.When.UnixNano(), strconv.Quote(v.Why))
}

// parseMemo reads a memo's line.
func parseMemo(s string) (verdict, error) {
	line, ok := strings.CutSuffix(s, "\n")
	if !ok {
		return verdict{}, fmt.Errorf("a memo without its line end: %q", s)
	}
	word, rest, _ := strings.Cut(line, " ")
	when, why, _ := strings.Cut(rest, " ")
	ns, err := strconv.ParseInt(when, 10, 64)
	if err != nil {
		return verdict{}, fmt.Errorf("a memo's time %q: %w", when, err)
	}
	v := verdict{When: time.Unix(0, ns).UTC()}
	switch word {
	case "ok":
		if why != "" {
			return verdict{}, fmt.Errorf("a memo of a passed test with a reason: %q", line)
		}
		v.OK = true
	case "failed":
		if v.Why, err = strconv.Unquote(why); err != nil || v.Why == "" {
			return verdict{}, fmt.Errorf("a memo's reason %q: not a quoted reason", why)
		}
	default:
		return verdict{}, fmt.Errorf("a memo of %q, not ok or failed", word)
	}
	return v, nil
}

// readMemo returns id's verdict from its memo, if there is one intact
// for the verdict cache at path as it is now.
func readMemo(path string, id hostIdentity) (verdict, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return verdict{}, false
	}
	stamp := fileStamp(fi)
	if stamp == "" {
		return verdict{}, false
	}
	b, err := os.ReadFile(memoPath(path, stamp, id))
	if err != nil {
		return verdict{}, false
	}
	v, err := parseMemo(string(b))
	return v, err == nil
}

// writeMemo writes id's memo for the version stamp of the verdict cache
// at path (best effort: a lookup without one reads the JSON file) and
// removes the oldest memos beyond maxCachedVerdicts, as the file keeps at
// most that many verdicts. The line is written in place, in one write: a
// reader that comes in between finds no complete line and reads the JSON
// file.
func writeMemo(path, stamp string, id hostIdentity, v verdict) {
	if stamp == "" {
		return
	}
	memo := memoPath(path, stamp, id)
	if os.WriteFile(memo, []byte(formatMemo(v)), 0o644) != nil {
		return
	}
	memos, _ := filepath.Glob(filepath.Join(filepath.Dir(path), memoPrefix+"*"))
	for _, m := range oldest(memos, maxCachedVerdicts) {
		if m != memo {
			os.Remove(m)
		}
	}
}
