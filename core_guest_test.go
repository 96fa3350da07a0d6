package gotoro

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// TestGuestCoreIDOffset keeps the offset hand-written in the guest
// assembly in step with the kernel's per-core layout.
func TestGuestCoreIDOffset(t *testing.T) {
	src, err := os.ReadFile("core_guest_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("#define CPU_ID %d\n", bootabi.CPUIDOffset)
	if !strings.Contains(string(src), want) {
		t.Errorf("core_guest_amd64.s lacks %q", want)
	}
}
