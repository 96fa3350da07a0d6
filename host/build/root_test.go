package build

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRoot(t *testing.T) {
	t.Setenv(RootEnv, "")
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "kernel")); err != nil {
		t.Errorf("root %s has no kernel: %v", root, err)
	}
	wd, _ := os.Getwd()
	if want := filepath.Dir(filepath.Dir(wd)); root != want {
		t.Errorf("Root() = %s, want %s", root, want)
	}

	t.Setenv(RootEnv, root)
	if got, err := Root(); err != nil || got != root {
		t.Errorf("with %s=%s: %s, %v", RootEnv, root, got, err)
	}
	t.Setenv(RootEnv, t.TempDir())
	if _, err := Root(); err == nil {
		t.Errorf("with %s set to an empty dir: want an error", RootEnv)
	}
}
