// Command server is a console broadcast server written the way Pterodactyl Wings writes its
// console: gorilla/websocket, one goroutine and one buffered channel per client, and WriteJSON
// (a JSON encoding and a write) for every event, for every client. It is the Go peer of
// scripts/load, beside benchmarks/node-ws/server.js, and speaks the same part of lightd's
// protocol:
//
//	GET    /api/v1/public/ping
//	POST   /containers                 {"internal_id", "startup_command", ...}  -> 202
//	GET    /containers/<id>            {"install_state", "state", ...}
//	POST   /containers/<id>/start|stop|restart|kill                             -> 202
//	DELETE /containers/<id>[?purge=true]                                        -> 200
//	WS     /ws/<id>?token=...          out: {"event":"console","data":...},
//	                                        {"event":"console duplicate","data":...},
//	                                        {"event":"event","data":<state>}
//	                                   in:  {"event":"send_command","command":...}
//
// Any token is accepted. It listens on 127.0.0.1 only. Built offline from Debian's packages:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o go-ws-server ./server
//	go-ws-server -port 0
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

const (
	partialLineFlush = 50 * time.Millisecond
	// Events a client's channel holds before new ones are dropped for it (Wings drops too).
	clientBuffer = 1024
)

type message struct {
	Event string `json:"event"`
	Data  string `json:"data"`
}

type client struct {
	conn *websocket.Conn
	out  chan message
	once sync.Once
}

func (c *client) close() {
	c.once.Do(func() { close(c.out) })
}

type record struct {
	InternalID     string `json:"internal_id"`
	Image          string `json:"image"`
	StartupCommand string `json:"startup_command"`
	InstallState   string `json:"install_state"`
	State          string `json:"state"`
	CreatedAt      string `json:"created_at"`
	UpdatedAt      string `json:"updated_at"`
}

type container struct {
	mu      sync.Mutex
	record  *record
	clients map[*client]struct{}
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	pending []byte
	timer   *time.Timer
}

var (
	mu         sync.Mutex
	containers = map[string]*container{}
	upgrader   = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	routeRe    = regexp.MustCompile(`^/containers/([^/]+)(?:/([^/]+))?$`)
)

func get(id string, create bool) *container {
	mu.Lock()
	defer mu.Unlock()
	c := containers[id]
	if c == nil && create {
		c = &container{clients: map[*client]struct{}{}}
		containers[id] = c
	}
	return c
}

// broadcast hands the event to every client's channel; its goroutine encodes and writes it.
// Called with c.mu held.
func (c *container) broadcast(event, data string) {
	for cl := range c.clients {
		select {
		case cl.out <- message{event, data}:
		default:
		}
	}
}

func (c *container) setState(state string) {
	c.record.State = state
	c.record.UpdatedAt = time.Now().UTC().Format(time.RFC3339Nano)
	c.broadcast("event", state)
}

func (c *container) consoleText(text string) {
	c.broadcast("console", text)
	c.broadcast("console duplicate", text)
}

// onOutput sends complete lines at once and a trailing partial line after a short delay; a UTF-8
// character split across reads waits for its remaining bytes. Called with c.mu held.
func (c *container) onOutput(chunk []byte) {
	c.pending = append(c.pending, chunk...)
	if i := strings.LastIndexByte(string(c.pending), '\n'); i >= 0 {
		c.consoleText(strings.ToValidUTF8(string(c.pending[:i+1]), "\uFFFD"))
		c.pending = append(c.pending[:0], c.pending[i+1:]...)
	}
	if len(c.pending) > 0 && c.timer == nil {
		c.timer = time.AfterFunc(partialLineFlush, func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.timer = nil
			c.flushPartial(false)
		})
	}
}

func (c *container) flushPartial(all bool) {
	n := len(c.pending)
	if !all {
		// Hold back the start of a character whose remaining bytes have not come yet.
		for back := 1; back <= 3 && back <= n; back++ {
			if utf8.RuneStart(c.pending[n-back]) {
				if !utf8.FullRune(c.pending[n-back:]) {
					n -= back
				}
				break
			}
		}
	}
	if n > 0 {
		c.consoleText(strings.ToValidUTF8(string(c.pending[:n]), "\uFFFD"))
		c.pending = append(c.pending[:0], c.pending[n:]...)
	}
}

func (c *container) start() {
	if c.cmd != nil {
		return
	}
	c.setState("starting")
	cmd := exec.Command("/bin/sh", "-c", c.record.StartupCommand)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r, w, err := os.Pipe()
	if err != nil {
		c.setState("exit")
		return
	}
	cmd.Stdout = w
	cmd.Stderr = w
	stdin, err := cmd.StdinPipe()
	if err != nil || cmd.Start() != nil {
		r.Close()
		w.Close()
		c.setState("exit")
		return
	}
	w.Close()
	c.cmd = cmd
	c.stdin = stdin
	go func() {
		buf := make([]byte, 8192)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				c.mu.Lock()
				c.onOutput(buf[:n])
				c.mu.Unlock()
			}
			if err != nil {
				break
			}
		}
		r.Close()
		cmd.Wait()
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.cmd == cmd {
			c.flushPartial(true)
			c.cmd = nil
			c.stdin = nil
			if c.record != nil {
				c.setState("exit")
			}
		}
	}()
	c.setState("running")
}

func (c *container) stop(sig syscall.Signal) {
	if c.cmd == nil {
		return
	}
	if c.record != nil {
		c.setState("stopping")
	}
	syscall.Kill(-c.cmd.Process.Pid, sig)
}

func sendJSON(w http.ResponseWriter, status int, body interface{}) {
	text, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(text)))
	w.WriteHeader(status)
	w.Write(text)
}

func containersRoute(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path == "/containers" && req.Method == http.MethodPost {
		var body record
		if json.NewDecoder(req.Body).Decode(&body) != nil || body.InternalID == "" || body.StartupCommand == "" {
			sendJSON(w, 400, map[string]string{"error": "internal_id and startup_command are required"})
			return
		}
		c := get(body.InternalID, true)
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.record != nil {
			sendJSON(w, 409, map[string]string{"error": "container " + body.InternalID + " already exists"})
			return
		}
		now := time.Now().UTC().Format(time.RFC3339Nano)
		body.InstallState, body.State, body.CreatedAt, body.UpdatedAt = "installed", "installed", now, now
		c.record = &body
		c.broadcast("event", "installed")
		sendJSON(w, 202, map[string]string{"message": "Container creation started", "internal_id": body.InternalID, "state": "installing"})
		return
	}
	m := routeRe.FindStringSubmatch(req.URL.Path)
	if m == nil {
		sendJSON(w, 404, map[string]string{"error": "no such route: " + req.URL.Path})
		return
	}
	c := get(m[1], false)
	if c == nil {
		sendJSON(w, 404, map[string]string{"error": "unknown container " + m[1]})
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.record == nil {
		sendJSON(w, 404, map[string]string{"error": "unknown container " + m[1]})
		return
	}
	switch {
	case m[2] == "" && req.Method == http.MethodGet:
		sendJSON(w, 200, c.record)
	case m[2] == "" && req.Method == http.MethodDelete:
		c.stop(syscall.SIGKILL)
		c.flushPartial(true)
		c.record = nil
		sendJSON(w, 200, map[string]string{"message": "Container deleted"})
	case m[2] != "" && req.Method == http.MethodPost:
		switch m[2] {
		case "start":
			c.start()
		case "stop":
			c.stop(syscall.SIGTERM)
		case "kill":
			c.stop(syscall.SIGKILL)
		case "restart":
			c.stop(syscall.SIGKILL)
			c.cmd = nil
			c.start()
		default:
			sendJSON(w, 404, map[string]string{"error": "no such route: " + req.URL.Path})
			return
		}
		sendJSON(w, 202, map[string]string{"message": "Power action " + m[2] + " accepted"})
	default:
		sendJSON(w, 405, map[string]string{"error": "method not allowed"})
	}
}

func wsRoute(w http.ResponseWriter, req *http.Request) {
	id := strings.TrimPrefix(req.URL.Path, "/ws/")
	conn, err := upgrader.Upgrade(w, req, nil)
	if err != nil {
		return
	}
	c := get(id, true)
	cl := &client{conn: conn, out: make(chan message, clientBuffer)}
	c.mu.Lock()
	c.clients[cl] = struct{}{}
	if c.record != nil {
		cl.out <- message{"event", c.record.State}
	}
	c.mu.Unlock()
	// The client's writer: one goroutine draining its channel, WriteJSON per event.
	go func() {
		for msg := range cl.out {
			if conn.WriteJSON(msg) != nil {
				break
			}
		}
		conn.Close()
	}()
	defer func() {
		c.mu.Lock()
		delete(c.clients, cl)
		c.mu.Unlock()
		cl.close()
	}()
	for {
		var in struct {
			Event   string `json:"event"`
			Command string `json:"command"`
		}
		if err := conn.ReadJSON(&in); err != nil {
			if _, ok := err.(*json.SyntaxError); ok {
				continue
			}
			return
		}
		if in.Event == "send_command" {
			c.mu.Lock()
			stdin := c.stdin
			c.mu.Unlock()
			if stdin != nil {
				stdin.Write([]byte(in.Command))
			}
		}
	}
}

func main() {
	port := flag.Int("port", 0, "port on 127.0.0.1 (0: chosen by the system)")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/public/ping", func(w http.ResponseWriter, _ *http.Request) {
		sendJSON(w, 200, map[string]string{"status": "ok", "version": "go-ws", "runtime": "process"})
	})
	mux.HandleFunc("/containers", containersRoute)
	mux.HandleFunc("/containers/", containersRoute)
	mux.HandleFunc("/ws/", wsRoute)
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("go-ws: listening on %s (pid %d, %s, GOMAXPROCS %d)\n", ln.Addr(), os.Getpid(), runtime.Version(), runtime.GOMAXPROCS(0))
	log.Fatal(http.Serve(ln, mux))
}
