// Package usercache locates gotoro's files in the user's cache directory,
// each of which an environment variable can move or turn off.
package usercache

import (
	"os"
	"path/filepath"
)

// Path returns where gotoro keeps name (a file or a directory beneath
// the user's cache directory's gotoro/): the value of the environment
// variable env if it is set (made absolute), "" if that value is "off". When env is unset
// and the user's cache directory is unknown, it returns "" and why.
func Path(env, name string) (string, error) {
	switch v := os.Getenv(env); v {
	case "off":
		return "", nil
	case "":
		c, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(c, "gotoro", name), nil
	default:
		// Absolute: the go command that writes a link cache slot runs in
		// another directory than gotoro, which reads it.
		return filepath.Abs(v)
	}
}
