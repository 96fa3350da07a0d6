package netleak

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"testing"
	"time"
)

// TestGoroutines serves and fetches over loopback, then lists every
// goroutine as runtime.Stack does for leak checkers: the network
// service's must be among them exactly when WANT_NETSVC=1.
func TestGoroutines(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	}))
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	srv.Close()
	http.DefaultClient.CloseIdleConnections()
	if string(body) != "hello" {
		t.Fatalf("body %q", body)
	}
	want := os.Getenv("WANT_NETSVC") == "1"
	// Let the closed server's and client's goroutines finish, as goleak
	// retries before reporting.
	var stacks []byte
	for i := 0; i < 50; i++ {
		buf := make([]byte, 1<<20)
		stacks = buf[:runtime.Stack(buf, true)]
		if bytes.Contains(stacks, []byte("gotoro/netsvc")) == want {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := bytes.Contains(stacks, []byte("gotoro/netsvc")); got != want {
		t.Errorf("network service goroutines present: %v, want %v\n%s", got, want, stacks)
	}
}
