package qemu

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// ImageSum returns the hex SHA-256 of the image at path. Hashing a 4 MB
// image costs milliseconds before QEMU can start, so the sum is kept in
// memoDir (a file named by the image's identity) under the file's
// identity (path, device, inode, size, modification and change times): a
// rebuilt or rewritten image has another identity and is hashed again.
// The memo is only an optimization: when it cannot be written, the sum
// is still returned.
func ImageSum(memoDir, path string) (string, error) {
	sum, _, err := imageSum(memoDir, path)
	return sum, err
}

// imageSum is ImageSum, also reporting whether the image was hashed (its
// identity was new: a memo was written).
func imageSum(memoDir, path string) (sum string, hashed bool, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", false, err
	}
	var id string
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		abs, _ := filepath.Abs(path)
		id = fmt.Sprintf("%s\x00%d:%d:%d:%d.%d:%d.%d", abs, sys.Dev, sys.Ino, st.Size(), sys.Mtim.Sec, sys.Mtim.Nsec, sys.Ctim.Sec, sys.Ctim.Nsec)
	}
	var memo string
	if id != "" {
		idSum := sha256.Sum256([]byte(id))
		memo = filepath.Join(memoDir, ".image-"+hex.EncodeToString(idSum[:12]))
		if b, err := os.ReadFile(memo); err == nil && len(b) == 64 {
			if _, err := hex.DecodeString(string(b)); err == nil {
				return string(b), false, nil
			}
		}
	}
	_, sum, err = FileSum(path)
	if err != nil {
		return "", false, err
	}
	if memo != "" {
		tmp := fmt.Sprintf("%s.%d.tmp", memo, os.Getpid())
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
