// Command sidebyside holds the two small servers the hot-path comparison needs
// (docs/benchmarks.md, "Hot path"; run.sh drives it):
//
//   - `sidebyside -otlp 127.0.0.1:4318` accepts OTLP/HTTP trace exports and drops them, so the
//     twin under load exports its spans for real without a collector;
//   - `sidebyside -floor DIR -addr 127.0.0.1:8200` answers POST /api/chat with a fixed reply
//     after creating one new file per request in DIR: what any server that stores each new
//     session as its own file pays, and nothing else — the floor under both twins on this disk.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
)

func main() {
	otlp := flag.String("otlp", "", "listen address of an OTLP/HTTP sink")
	floor := flag.String("floor", "", "folder the floor server makes one file per request in")
	addr := flag.String("addr", "127.0.0.1:8200", "listen address of the floor server")
	flag.Parse()
	switch {
	case *otlp != "":
		log.Fatal(http.ListenAndServe(*otlp, http.HandlerFunc(sink)))
	case *floor != "":
		log.Fatal(http.ListenAndServe(*addr, floorServer(*floor)))
	default:
		flag.Usage()
		os.Exit(2)
	}
}

// sink reads and drops a request, as an OTLP receiver that accepted the export.
func sink(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

// floorServer stores each request's session as a new file (created, written, closed) and replies.
func floorServer(dir string) http.Handler {
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, fmt.Sprintf("%012d.json", n.Add(1))), body, 0o600)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"response":"ok"}`)
	})
	return mux
}
