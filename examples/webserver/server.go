package main

import (
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// server is the appliance's handler: files, /-/stats and /-/shutdown.
type server struct {
	files    http.Handler
	log      *log.Logger // nil: no request log
	endpoint bool

	open     atomic.Int64
	requests atomic.Int64

	once     sync.Once
	shutdown chan struct{} // closed by POST /-/shutdown
}

// stats is the JSON of GET /-/stats.
type stats struct {
	OpenConnections int64 `json:"open_connections"`
	Requests        int64 `json:"requests"`
}

func newServer(dir string, logger *log.Logger, endpoint bool) *server {
	return &server{
		files:    http.FileServer(http.Dir(dir)),
		log:      logger,
		endpoint: endpoint,
		shutdown: make(chan struct{}),
	}
}

func (s *server) snapshot() stats {
	return stats{OpenConnections: s.open.Load(), Requests: s.requests.Load()}
}

// connState counts open connections: a hijacked connection is no longer
// the server's.
func (s *server) connState(_ net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		s.open.Add(1)
	case http.StateClosed, http.StateHijacked:
		s.open.Add(-1)
	}
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	switch {
	case r.URL.Path == "/-/stats":
		rec.Header().Set("Content-Type", "application/json")
		json.NewEncoder(rec).Encode(s.snapshot())
	case r.URL.Path == "/-/shutdown" && s.endpoint:
		if r.Method != http.MethodPost {
			rec.Header().Set("Allow", "POST")
			http.Error(rec, "use POST to stop the server", http.StatusMethodNotAllowed)
			break
		}
		rec.Write([]byte("stopping\n"))
		s.once.Do(func() { close(s.shutdown) })
	default:
		s.files.ServeHTTP(rec, r)
	}
	s.requests.Add(1)
	if s.log != nil {
		s.log.Printf("%s %s %s %d %dB %v", r.RemoteAddr, r.Method, r.URL.RequestURI(), rec.status, rec.bytes, time.Since(start).Round(time.Microsecond))
	}
}

// recorder notes a response's status and size. It keeps
// http.ResponseWriter's ReadFrom path (sendfile) through Unwrap.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// ReadFrom lets a file body go out through the connection's own ReadFrom
// (sendfile), as without the recorder.
func (r *recorder) ReadFrom(src io.Reader) (int64, error) {
	if rf, ok := r.ResponseWriter.(io.ReaderFrom); ok {
		n, err := rf.ReadFrom(src)
		r.bytes += n
		return n, err
	}
	return io.Copy(struct{ io.Writer }{r}, src)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
