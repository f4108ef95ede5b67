package faults_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/digitaltwin/twin/app/awsclient"
	"github.com/digitaltwin/twin/app/faults"
	"github.com/digitaltwin/twin/app/llm/openai"
	"github.com/digitaltwin/twin/app/memory/s3store"
	"github.com/digitaltwin/twin/app/secrets"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest/fakeaws"
)

// Under 20 % injected S3 faults, concurrent appends to shared sessions never lose a message and
// never duplicate one: every Append that succeeded is stored exactly once, one that failed at most
// once. That holds for faults S3 guarantees did not apply (503, 500, latency, a connection cut
// before the request) and for the ambiguous one, a connection cut after a PUT took effect: s3store
// retries, gets 412, re-reads and recognises its own write instead of re-applying it.
func TestS3FaultsLoseNothing(t *testing.T) {
	for _, modes := range [][]faults.Mode{
		{faults.SlowDown, faults.InternalError, faults.Latency, faults.DropBefore},
		{faults.DropAfter},
	} {
		t.Run(fmt.Sprint(modes), func(t *testing.T) {
			var injector *faults.S3
			fake, err := fakeaws.StartS3(func(h http.Handler) http.Handler {
				injector = faults.NewS3(h, faults.S3Config{Rate: 0.2, Modes: modes, Latency: 20 * time.Millisecond, Seed: 7})
				return injector
			}, "mem")
			if err != nil {
				t.Fatal(err)
			}
			defer fake.Close()
			cfg, err := fakeaws.LoadConfig(context.Background(), time.Millisecond, 20*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			client := fakeaws.Client(cfg, fake.URL)
			store := s3store.New(client, "mem", "sessions/")
			const sessions, writers, appends = 6, 3, 8
			type result struct {
				content string
				ok      bool
			}
			var mu sync.Mutex
			results := map[string][]result{} // session → results in each writer's order
			var wg sync.WaitGroup
			for s := range sessions {
				id := fmt.Sprintf("55555555-5555-4555-8555-%012d", s)
				for w := range writers {
					wg.Go(func() {
						for i := range appends {
							msg := fmt.Sprintf("w%d-%d", w, i)
							at := time.Now()
							base, err := store.Get(context.Background(), id)
							if err != nil && twin.ErrorCode(err) != twin.CodeSessionNotFound {
								mu.Lock()
								results[id] = append(results[id], result{msg, false})
								mu.Unlock()
								continue
							}
							if err != nil {
								base = twin.Session{ID: id}
							}
							_, err = store.Append(context.Background(), base, []twin.Message{
								{Role: twin.RoleUser, Content: msg, Timestamp: at},
								{Role: twin.RoleAssistant, Content: "re " + msg, Timestamp: at},
							}, 1000)
							mu.Lock()
							results[id] = append(results[id], result{msg, err == nil})
							mu.Unlock()
						}
					})
				}
			}
			wg.Wait()
			lost, dup, failed := 0, 0, 0
			for id, rs := range results {
				var sess twin.Session
				for range 20 { // reads are faulted too: retry until one gets through
					if sess, err = store.Get(context.Background(), id); err == nil {
						break
					}
				}
				if err != nil {
					t.Fatalf("read back %s: %v", id, err)
				}
				count := map[string]int{}
				for i, m := range sess.Messages {
					if m.Role == twin.RoleUser {
						count[m.Content]++
						if i+1 >= len(sess.Messages) || sess.Messages[i+1].Content != "re "+m.Content {
							t.Errorf("%s: message %d not followed by its reply", id, i)
						}
					}
				}
				for _, r := range rs {
					switch n := count[r.content]; {
					case !r.ok:
						failed++
						if n > 1 {
							dup++
						}
					case n == 0:
						lost++
					case n > 1:
						dup++
					}
				}
			}
			t.Logf("%s; %d appends failed after retries", injector.Summary(), failed)
			// Ambiguous writes (applied, reply lost) included: s3store recognises its own write on
			// the re-read, so nothing is duplicated.
			if lost != 0 || dup != 0 {
				t.Fatalf("lost %d, duplicated %d messages", lost, dup)
			}
		})
	}
}

// A Secrets Manager outage: every turn answers 503 llm_unavailable with Retry-After after a
// bounded number of calls (the retryer's attempts), the visitor's message is kept, nothing about
// the secret reaches the client, the model is never called without a key, and the server stays up.
func TestSecretsManagerOutage(t *testing.T) {
	outage := fakeaws.NewSecretsManager(t, "twin/llm-api-key", "sk-unreachable")
	outage.Down(true)
	model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the model was called without a key: %s", r.URL)
	}))
	defer model.Close()

	cfg, err := awsclient.Load(context.Background(), awsclient.Options{BaseDelay: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		LoadOptions: []func(*config.LoadOptions) error{
			config.WithRegion("us-east-1"),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", "")),
		}})
	if err != nil {
		t.Fatal(err)
	}
	sm := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(outage.URL) })
	provider, err := openai.New(openai.Config{BaseURL: model.URL, Model: "m", Keys: secrets.New(sm, "twin/llm-api-key"), MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv, store := newTwin(t, provider)

	const sid = "66666666-6666-4666-8666-000000000001"
	for turn := 1; turn <= 3; turn++ {
		before := outage.Calls()
		resp, body := post(t, srv.URL+"/api/chat", fmt.Sprintf(`{"message":"hello %d","session_id":%q}`, turn, sid))
		if resp.StatusCode != 503 || !strings.Contains(body, `"llm_unavailable"`) || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("turn %d: %d %s (Retry-After %q)", turn, resp.StatusCode, body, resp.Header.Get("Retry-After"))
		}
		if strings.Contains(body, "twin/llm-api-key") || strings.Contains(body, "Secrets Manager") || strings.Contains(body, outage.URL) {
			t.Fatalf("error body leaks the secret's whereabouts: %s", body)
		}
		calls := outage.Calls() - before
		t.Logf("turn %d: 503 after %d Secrets Manager calls", turn, calls)
		if calls < 1 || calls > awsclient.DefaultMaxAttempts {
			t.Fatalf("turn %d made %d Secrets Manager calls, want 1..%d", turn, calls, awsclient.DefaultMaxAttempts)
		}
	}
	sess, err := store.Get(context.Background(), sid)
	if err != nil || len(sess.Messages) != 6 {
		t.Fatalf("stored %+v (%v), want the 3 visitor messages, each with a failed reply", sess.Messages, err)
	}
	for i, m := range sess.Messages {
		if want := fmt.Sprintf("hello %d", i/2+1); i%2 == 0 && (m.Content != want || m.Role != twin.RoleUser) ||
			i%2 == 1 && (m.Role != twin.RoleAssistant || m.Content != "" || m.Status != twin.StatusFailed) {
			t.Fatalf("stored message %d: %+v", i, m)
		}
	}
	if resp, _ := get(t, srv.URL+"/api/health"); resp.StatusCode != 200 {
		t.Fatalf("health during the outage: %d", resp.StatusCode)
	}
}
