package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func testServer(t *testing.T) (*server, *httptest.Server, map[string][]byte) {
	dir := t.TempDir()
	files := map[string][]byte{"empty": {}, "toro.bin": make([]byte, 133<<10), "big.bin": make([]byte, 10<<20)}
	for name, b := range files {
		rand.Read(b)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := newServer(dir, nil, testToken)
	ts := httptest.NewUnstartedServer(s)
	ts.Config.ConnState = s.connState
	ts.Start()
	t.Cleanup(ts.Close)
	return s, ts, files
}

// testToken is the shutdown token of testServer.
const testToken = "s3cret"

func get(t *testing.T, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestFiles(t *testing.T) {
	_, ts, files := testServer(t)
	for _, tc := range []struct {
		path   string
		status int
		want   []byte
	}{
		{"/empty", 200, files["empty"]},
		{"/toro.bin", 200, files["toro.bin"]},
		{"/big.bin", 200, files["big.bin"]},
		{"/missing", 404, nil},
	} {
		resp, b := get(t, ts.URL+tc.path)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.path, resp.StatusCode, tc.status)
		}
		if tc.status == 200 && !bytes.Equal(b, tc.want) {
			t.Errorf("%s: %d bytes differ from the file's %d", tc.path, len(b), len(tc.want))
		}
	}
}

func TestRange(t *testing.T) {
	_, ts, files := testServer(t)
	resp, b := get(t, ts.URL+"/toro.bin", "Range", "bytes=10-19")
	if resp.StatusCode != 206 || !bytes.Equal(b, files["toro.bin"][10:20]) {
		t.Errorf("status %d, %d bytes", resp.StatusCode, len(b))
	}
	if got, want := resp.Header.Get("Content-Range"), fmt.Sprintf("bytes 10-19/%d", 133<<10); got != want {
		t.Errorf("Content-Range %q, want %q", got, want)
	}
}

func TestStats(t *testing.T) {
	s, ts, _ := testServer(t)
	get(t, ts.URL+"/empty")
	resp, b := get(t, ts.URL+"/-/stats")
	var st stats
	if err := json.Unmarshal(b, &st); err != nil || resp.StatusCode != 200 {
		t.Fatalf("stats %q: %v", b, err)
	}
	if st.Requests != 1 || st.OpenConnections != 1 {
		t.Errorf("stats %+v, want 1 request before this one and 1 open connection", st)
	}
	http.DefaultClient.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for s.open.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still counted as open", s.open.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// post sends POST url with the header "Authorization: auth" (none if "").
func post(t *testing.T, url, auth string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", url, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestShutdownEndpoint(t *testing.T) {
	s, ts, _ := testServer(t)
	if resp, _ := get(t, ts.URL+"/-/shutdown"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/shutdown: %d, want 405", resp.StatusCode)
	}
	for _, auth := range []string{"", "Bearer", "Bearer ", "Bearer wrong", "Bearer s3cre", "Bearer s3cret2", "Basic s3cret", "s3cret"} {
		if resp := post(t, ts.URL+"/-/shutdown", auth); resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST with Authorization %q: %d, want 403", auth, resp.StatusCode)
		}
	}
	select {
	case <-s.shutdown:
		t.Fatal("stopped without the token")
	default:
	}
	if resp := post(t, ts.URL+"/-/shutdown", "Bearer "+testToken); resp.StatusCode != 200 {
		t.Fatalf("POST with the token: %d", resp.StatusCode)
	}
	select {
	case <-s.shutdown:
	case <-time.After(5 * time.Second):
		t.Fatal("shutdown not signalled")
	}
	// A second request does not panic on a closed channel.
	post(t, ts.URL+"/-/shutdown", "Bearer "+testToken)
}

// TestShutdownEndpointOff: without a token, /-/shutdown is an ordinary
// (missing) file and stops nothing.
func TestShutdownEndpointOff(t *testing.T) {
	s := newServer(t.TempDir(), nil, "")
	ts := httptest.NewServer(s)
	defer ts.Close()
	for _, auth := range []string{"", "Bearer "} {
		if resp := post(t, ts.URL+"/-/shutdown", auth); resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST /-/shutdown (Authorization %q) with the endpoint off: %d, want 404", auth, resp.StatusCode)
		}
	}
	select {
	case <-s.shutdown:
		t.Fatal("stopped with the endpoint off")
	default:
	}
}

func TestBadArguments(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	for _, args := range [][]string{{}, {"/no/such/dir"}, {file}, {"-bogus", "."}} {
		if code := run(args); code != 2 {
			t.Errorf("run(%q) = %d, want 2", args, code)
		}
	}
}

func TestRunStopsOnRequest(t *testing.T) {
	dir := t.TempDir()
	done := make(chan int)
	go func() { done <- run([]string{"-addr", "127.0.0.1:18931", "-quiet", "-shutdown-token", testToken, dir}) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		req, _ := http.NewRequest("POST", "http://127.0.0.1:18931/-/shutdown", nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("POST /-/shutdown: %d", resp.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d, want 0", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop")
	}
}
