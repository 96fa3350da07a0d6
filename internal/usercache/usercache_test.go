package usercache

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPath(t *testing.T) {
	const env = "GOTORO_USERCACHE_TEST"
	t.Setenv("XDG_CACHE_HOME", "/cache")
	t.Setenv("HOME", "/home/u")
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		value, want string
		err         bool
	}{
		{"", filepath.Join("/cache", "gotoro", "thing"), false},
		{"off", "", false},
		{"/elsewhere", "/elsewhere", false},
		// Relative to the working directory, as the user meant it.
		{"rel/dir", filepath.Join(wd, "rel", "dir"), false},
	} {
		t.Setenv(env, c.value)
		got, err := Path(env, "thing")
		if got != c.want || (err != nil) != c.err {
			t.Errorf("%s=%q: Path = %q, %v; want %q", env, c.value, got, err, c.want)
		}
	}
	// No cache directory known: no path, and the reason.
	t.Setenv(env, "")
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	if got, err := Path(env, "thing"); got != "" || err == nil {
		t.Errorf("without a cache directory: Path = %q, %v; want \"\" and an error", got, err)
	}
}
