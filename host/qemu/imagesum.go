package qemu

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ImageSum returns the hex SHA-256 of the image at path. Hashing a 4 MB
// image costs milliseconds before QEMU can start, so the sum is kept in
// memoDir (a file named by the image's identity) under the file's
// identity (path, device, inode, size, modification and change times): a
// rebuilt or rewritten image has another identity and is hashed again.
// The memo is only an optimization: when it cannot be written, the sum
// is still returned.
func ImageSum(memoDir, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sum, _, err := imageSum(memoDir, f)
	return sum, err
}

// imageSum is ImageSum of the image open as f, also reporting whether the
// image was hashed (its identity was new: a memo was written). The sum is
// of f's bytes whatever is renamed over its path meanwhile; a memo is
// written only if f's identity did not change while it was hashed.
func imageSum(memoDir string, f *os.File) (sum string, hashed bool, err error) {
	st, err := f.Stat()
	if err != nil {
		return "", false, err
	}
	var memo string
	id := FileIdentity(st)
	if id != "" {
		abs, _ := filepath.Abs(f.Name())
		idSum := sha256.Sum256([]byte(abs + "\x00" + id))
		memo = filepath.Join(memoDir, ".image-"+hex.EncodeToString(idSum[:12]))
		if b, err := os.ReadFile(memo); err == nil && len(b) == 64 {
			if _, err := hex.DecodeString(string(b)); err == nil {
				return string(b), false, nil
			}
		}
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, st.Size())); err != nil {
		return "", false, fmt.Errorf("reading %s: %w", f.Name(), err)
	}
	sum = hex.EncodeToString(h.Sum(nil))
	if st, err := f.Stat(); err != nil || FileIdentity(st) != id {
		memo = ""
	}
	if memo != "" {
		tmp := tempPrefix(memo) + "tmp"
		if os.WriteFile(tmp, []byte(sum), 0o644) == nil {
			if os.Rename(tmp, memo) != nil {
				os.Remove(tmp)
			}
		}
	}
	return sum, true, nil
}

// FileSum returns a file's size and hex SHA-256.
func FileSum(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", fmt.Errorf("reading %s: %w", path, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
