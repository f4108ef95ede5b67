package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest"
)

// process is the real twin binary serving from a data folder.
type process struct {
	cmd    *exec.Cmd
	base   string
	output *twintest.Logs
}

// startTwin runs bin on a free port with the offline responder slowed to tokenDelayMs per token.
func startTwin(t *testing.T, bin, dataDir string, tokenDelayMs int) *process {
	t.Helper()
	me, err := filepath.Abs("../../../me.txt")
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	p := &process{cmd: exec.Command(bin), base: fmt.Sprintf("http://127.0.0.1:%d", port), output: &twintest.Logs{}}
	p.cmd.Dir = t.TempDir()
	p.cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port), "DATA_DIR="+dataDir, "PERSONA_FILE="+me,
		"FRONTEND_DIR="+t.TempDir(), fmt.Sprintf("OFFLINE_TOKEN_DELAY_MS=%d", tokenDelayMs), "LOG_LEVEL=info")
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
	})
	waitHealthy(t, p.base)
	return p
}

// askUntilFirstWords starts a streamed turn and returns once its first words arrived, with the
// rest of the stream to read.
func askUntilFirstWords(t *testing.T, p *process, sid, question string) (*http.Response, *bufio.Reader, string) {
	t.Helper()
	body := fmt.Sprintf(`{"message":%q,"session_id":%q}`, question, sid)
	resp, err := http.Post(p.base+"/api/chat/stream", "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: %v %v", resp, err)
	}
	r := bufio.NewReader(resp.Body)
	var seen strings.Builder
	for !strings.Contains(seen.String(), `"text-delta"`) {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended before its first words: %v\n%s", err, seen.String())
		}
		seen.WriteString(line)
	}
	return resp, r, seen.String()
}

func storedSession(t *testing.T, dataDir, sid string) []twin.Message {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dataDir, "sessions", sid+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var s twin.Session
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return s.Messages
}

// SIGTERM mid-reply: the server drains, then interrupts the turn, which stores what the visitor
// was shown marked interrupted and ends the stream with an error that says so; the process exits
// 0, not 1 with "context deadline exceeded".
func TestSIGTERMMidReplySavesThePartialReply(t *testing.T) {
	bin := buildTwin(t)
	data := t.TempDir()
	p := startTwin(t, bin, data, 700) // a reply takes ~15 s: longer than the 5 s drain
	const sid = "55555555-5555-4555-8555-000000000001"
	resp, rest, head := askUntilFirstWords(t, p, sid, "Tell me about your career")
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	tail := new(strings.Builder)
	_, _ = rest.WriteTo(tail)
	resp.Body.Close()
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, p.output.String())
	}
	stream := head + tail.String()
	evs := twintest.StreamEvents(stream)
	if last := evs[len(evs)-1]; last["type"] != "error" || !strings.Contains(fmt.Sprint(last["errorText"]), "saved") || !strings.HasSuffix(stream, "data: [DONE]\n\n") {
		t.Fatalf("the stream did not end with an error saying the reply is saved:\n%s", stream)
	}
	msgs := storedSession(t, data, sid)
	if len(msgs) != 2 || msgs[0].Content != "Tell me about your career" || msgs[0].Status != twin.StatusComplete {
		t.Fatalf("stored %+v", msgs)
	}
	if r := msgs[1]; r.Status != twin.StatusInterrupted || r.Content != twintest.StreamText(stream) || r.Content == "" || r.ID != evs[0]["messageId"] {
		t.Fatalf("stored reply %+v, stream showed %q (messageId %v)", r, twintest.StreamText(stream), evs[0]["messageId"])
	}
	if strings.Contains(p.output.String(), "deadline exceeded") {
		t.Fatalf("shutdown log:\n%s", p.output.String())
	}
}

// SIGKILL mid-reply: nothing can save the reply, but the question was stored when the turn
// started, so after a restart the history still holds it.
func TestKillMidReplyKeepsTheQuestion(t *testing.T) {
	bin := buildTwin(t)
	data := t.TempDir()
	p := startTwin(t, bin, data, 700)
	const sid = "55555555-5555-4555-8555-000000000002"
	resp, _, _ := askUntilFirstWords(t, p, sid, "Where do you live?")
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	resp.Body.Close()

	again := startTwin(t, bin, data, 0)
	hist, err := http.Get(again.base + "/api/chat/history/" + sid)
	if err != nil {
		t.Fatal(err)
	}
	defer hist.Body.Close()
	var body struct{ Messages []twin.Message }
	if err := json.NewDecoder(hist.Body).Decode(&body); err != nil || hist.StatusCode != http.StatusOK {
		t.Fatalf("history after restart: %d %v", hist.StatusCode, err)
	}
	if len(body.Messages) != 1 || body.Messages[0].Content != "Where do you live?" || body.Messages[0].Role != twin.RoleUser || body.Messages[0].ID == "" {
		t.Fatalf("history after the kill %+v, want the question", body.Messages)
	}
}
