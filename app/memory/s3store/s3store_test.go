package s3store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/digitaltwin/twin/app/awsclient"
	"github.com/digitaltwin/twin/app/memory/s3store"
	"github.com/digitaltwin/twin/app/memory/storetest"
	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest/fakeaws"
)

const (
	bucket = "memory"
	prefix = "sessions/"
	sid    = "0b9f3c1e-7d2a-4e5b-9c8d-1a2b3c4d5e6f"
)

func newFake(t *testing.T) (*fakeaws.S3, *s3.Client, *s3store.Store) {
	t.Helper()
	srv := fakeaws.NewS3(t, bucket)
	client := srv.Client(t)
	return srv, client, s3store.New(client, bucket, prefix)
}

func turn(i int) []twin.Message {
	ts := time.Date(2026, 11, 27, 5, 0, i, 0, time.UTC)
	return []twin.Message{
		{Role: twin.RoleUser, Content: fmt.Sprintf("question %d", i), Timestamp: ts},
		{Role: twin.RoleAssistant, Content: fmt.Sprintf("answer %d", i), Timestamp: ts},
	}
}

// getOrNew is what the core does before a turn: read, and start from an empty session on 404.
func getOrNew(t *testing.T, ctx context.Context, st twin.Store, id string) twin.Session {
	t.Helper()
	s, err := st.Get(ctx, id)
	if twin.ErrorCode(err) == twin.CodeSessionNotFound {
		return twin.Session{ID: id}
	}
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return s
}

func TestObjectFormat(t *testing.T) {
	ctx := context.Background()
	_, client, st := newFake(t)
	if _, err := st.Append(ctx, twin.Session{ID: sid}, turn(1), 10); err != nil {
		t.Fatal(err)
	}
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(prefix + sid + ".json")})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	if got, want := aws.ToString(out.ContentType), "application/json"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}
	body, _ := io.ReadAll(out.Body)
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"session_id", "created_at", "updated_at", "messages"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("object lacks %q: %s", k, body)
		}
	}
	if len(doc) != 4 {
		t.Errorf("object has %d keys, want 4: %s", len(doc), body)
	}
	var msgs []map[string]any
	_ = json.Unmarshal(doc["messages"], &msgs)
	if len(msgs) != 2 || msgs[0]["role"] != "user" || msgs[0]["content"] != "question 1" || msgs[0]["timestamp"] == nil {
		t.Errorf("messages = %v", msgs)
	}
}

// A turn reads the session once, stores the question when it starts and the reply on top of
// what that write returned: 1 GET + 2 PUT, no re-read in between.
func TestRequestsPerTurn(t *testing.T) {
	ctx := context.Background()
	srv, _, st := newFake(t)
	for i := range 3 {
		srv.ResetCounts()
		base := getOrNew(t, ctx, st, sid)
		msgs := turn(i)
		asked, err := st.Append(ctx, base, msgs[:1], 100)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Append(ctx, asked, msgs[1:], 100); err != nil {
			t.Fatal(err)
		}
		if g, p := srv.Count(http.MethodGet), srv.Count(http.MethodPut); g != 1 || p != 2 {
			t.Errorf("turn %d: %d GET + %d PUT, want 1 + 2", i, g, p)
		}
	}
}

func TestConflictReapplies(t *testing.T) {
	ctx := awsclient.WithRetryCounter(telemetry.WithRequest(context.Background(), "POST", "/api/chat"))
	srv, _, st := newFake(t)
	if _, err := st.Append(ctx, twin.Session{ID: sid}, turn(0), 100); err != nil {
		t.Fatal(err)
	}
	stale := getOrNew(t, ctx, st, sid) // both turns read the same version
	if _, err := st.Append(ctx, stale, turn(1), 100); err != nil {
		t.Fatal(err)
	}
	srv.ResetCounts()
	got, err := st.Append(ctx, stale, turn(2), 100) // stale ETag → 412 → re-read → re-apply
	if err != nil {
		t.Fatal(err)
	}
	if g, p := srv.Count(http.MethodGet), srv.Count(http.MethodPut); g != 1 || p != 2 {
		t.Errorf("conflict path made %d GET + %d PUT, want 1 + 2", g, p)
	}
	if got, want := awsclient.Retries(ctx), 1; got != want {
		t.Errorf("Retries = %d, want %d", got, want)
	}
	if got, want := telemetry.Retries(ctx), 1; got != want {
		t.Errorf("telemetry.Retries (the S3Retries metric) = %d, want %d", got, want)
	}
	stored := getOrNew(t, ctx, st, sid)
	if len(stored.Messages) != 6 || len(got.Messages) != 6 {
		t.Fatalf("stored %d messages (returned %d), want 6", len(stored.Messages), len(got.Messages))
	}
	for i, want := range []string{"question 0", "answer 0", "question 1", "answer 1", "question 2", "answer 2"} {
		if stored.Messages[i].Content != want {
			t.Errorf("message %d = %q, want %q", i, stored.Messages[i].Content, want)
		}
	}
	if stored.Version != got.Version {
		t.Errorf("returned Version %q, stored %q", got.Version, stored.Version)
	}
}

func TestCreateRaceReapplies(t *testing.T) {
	ctx := context.Background()
	_, _, st := newFake(t)
	// Both turns saw "not found"; the second create must not replace the first.
	if _, err := st.Append(ctx, twin.Session{ID: sid}, turn(1), 100); err != nil {
		t.Fatal(err)
	}
	got, err := st.Append(ctx, twin.Session{ID: sid}, turn(2), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 4 || got.Messages[0].Content != "question 1" {
		t.Fatalf("messages = %+v", got.Messages)
	}
}

func TestLimitCheckedOnReread(t *testing.T) {
	ctx := context.Background()
	_, _, st := newFake(t)
	stale, err := st.Append(ctx, twin.Session{ID: sid}, turn(0), 4)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Append(ctx, stale, turn(1), 4); err != nil { // now 4 of 4
		t.Fatal(err)
	}
	// The stale copy has room (2+2 ≤ 4), the stored one does not.
	_, err = st.Append(ctx, stale, turn(2), 4)
	if got, want := twin.ErrorCode(err), twin.CodeSessionFull; got != want {
		t.Fatalf("Append over the limit: code %s (%v), want %s", got, err, want)
	}
	if n := len(getOrNew(t, ctx, st, sid).Messages); n != 4 {
		t.Errorf("stored %d messages, want 4", n)
	}
}

func TestConcurrentTurns(t *testing.T) {
	ctx := context.Background()
	_, _, st := newFake(t)
	const turns = 20
	var wg sync.WaitGroup
	errs := make(chan error, turns)
	for i := range turns {
		wg.Go(func() {
			base := getOrNew(t, ctx, st, sid)
			if _, err := st.Append(ctx, base, turn(i), 1000); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := getOrNew(t, ctx, st, sid)
	if len(got.Messages) != 2*turns {
		t.Fatalf("stored %d messages, want %d", len(got.Messages), 2*turns)
	}
	// Each turn's pair stays together and in order.
	seen := map[string]bool{}
	for i := 0; i < len(got.Messages); i += 2 {
		q, a := got.Messages[i], got.Messages[i+1]
		var n int
		if _, err := fmt.Sscanf(q.Content, "question %d", &n); err != nil || a.Content != fmt.Sprintf("answer %d", n) {
			t.Fatalf("pair %d = %q / %q", i/2, q.Content, a.Content)
		}
		if seen[q.Content] {
			t.Fatalf("%q stored twice", q.Content)
		}
		seen[q.Content] = true
	}
}

func TestThrottlingIsRetried(t *testing.T) {
	ctx := awsclient.WithRetryCounter(context.Background())
	srv, _, st := newFake(t)
	base, err := st.Append(ctx, twin.Session{ID: sid}, turn(0), 100)
	if err != nil {
		t.Fatal(err)
	}
	srv.Inject(fakeaws.Times(3, fakeaws.SlowDown(http.MethodPut))...)
	got, err := st.Append(ctx, base, turn(1), 100)
	if err != nil {
		t.Fatalf("Append after 3 SlowDowns: %v", err)
	}
	if len(got.Messages) != 4 {
		t.Errorf("stored %d messages, want 4", len(got.Messages))
	}
	if got, want := awsclient.Retries(ctx), 3; got != want {
		t.Errorf("Retries = %d, want %d", got, want)
	}
}

func TestPersistentThrottlingFailsClearlyWithoutLoss(t *testing.T) {
	ctx := context.Background()
	srv, _, st := newFake(t)
	base, err := st.Append(ctx, twin.Session{ID: sid}, turn(0), 100)
	if err != nil {
		t.Fatal(err)
	}
	srv.Inject(fakeaws.Times(awsclient.DefaultMaxAttempts, fakeaws.SlowDown(http.MethodPut))...)
	if _, err := st.Append(ctx, base, turn(1), 100); err == nil {
		t.Fatal("Append succeeded through persistent SlowDown")
	} else {
		t.Logf("error: %v", err)
	}
	if got := getOrNew(t, ctx, st, sid); len(got.Messages) != 2 {
		t.Errorf("history has %d messages after the failed turn, want 2", len(got.Messages))
	}
}

func TestReadFailureNeverWrites(t *testing.T) {
	ctx := context.Background()
	srv, _, st := newFake(t)
	stale, err := st.Append(ctx, twin.Session{ID: sid}, turn(0), 100)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Append(ctx, stale, turn(1), 100); err != nil {
		t.Fatal(err)
	}

	// A failing Get is an error, not "not found" (the core would start an empty session).
	srv.Inject(fakeaws.Times(awsclient.DefaultMaxAttempts, fakeaws.Error(http.MethodGet, http.StatusInternalServerError, "InternalError"))...)
	if _, err := st.Get(ctx, sid); err == nil || twin.ErrorCode(err) == twin.CodeSessionNotFound {
		t.Fatalf("Get during an outage = %v, want a non-404 error", err)
	}
	if n := srv.Pending(); n != 0 {
		t.Fatalf("%d faults unused", n)
	}

	// A conflict whose re-read fails ends the turn: exactly one PUT (the conflicting one).
	srv.ResetCounts()
	srv.Inject(fakeaws.Times(awsclient.DefaultMaxAttempts, fakeaws.Error(http.MethodGet, http.StatusInternalServerError, "InternalError"))...)
	if _, err := st.Append(ctx, stale, turn(2), 100); err == nil {
		t.Fatal("Append succeeded although its re-read failed")
	}
	if got := srv.Count(http.MethodPut); got != 1 {
		t.Errorf("%d PUTs, want 1 (no write after a failed read)", got)
	}
	if got := getOrNew(t, ctx, st, sid); len(got.Messages) != 4 {
		t.Errorf("history has %d messages, want 4", len(got.Messages))
	}
}

func TestInvalidID(t *testing.T) {
	_, _, st := newFake(t)
	for _, id := range []string{"", "../x", "0B9F3C1E-7D2A-4E5B-9C8D-1A2B3C4D5E6F"} {
		if _, err := st.Get(context.Background(), id); twin.ErrorCode(err) != twin.CodeInvalidSessionID {
			t.Errorf("Get(%q) = %v, want invalid_session_id", id, err)
		}
		if _, err := st.Append(context.Background(), twin.Session{ID: id}, turn(0), 10); twin.ErrorCode(err) != twin.CodeInvalidSessionID {
			t.Errorf("Append(%q) = %v, want invalid_session_id", id, err)
		}
	}
}

// TestContract runs the store contract on a versioned bucket, as the deployed memory bucket is.
// (gofakes3 cannot delete the "null" version of an unversioned bucket by id, which S3 and
// versitygw can: TestVersity covers that case.)
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) twin.Store {
		_, _, st := newVersioned(t)
		return st
	})
}

// TestLostResponseIsNotAppliedTwice: S3 stores the PUT but the connection breaks before the
// response; the SDK retries with the old If-Match, gets 412, and the re-read finds the turn
// already there.
func TestLostResponseIsNotAppliedTwice(t *testing.T) {
	ctx := context.Background()
	srv, _, st := newFake(t)
	base, err := st.Append(ctx, twin.Session{ID: sid}, turn(0), 100)
	if err != nil {
		t.Fatal(err)
	}
	srv.Inject(fakeaws.AfterForward(http.MethodPut, func(w http.ResponseWriter) { panic(http.ErrAbortHandler) }))
	got, err := st.Append(ctx, base, turn(1), 100)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	if srv.Pending() != 0 {
		t.Fatal("fault not used")
	}
	stored := getOrNew(t, ctx, st, sid)
	if len(stored.Messages) != 4 || len(got.Messages) != 4 {
		t.Fatalf("stored %d messages (returned %d), want 4: the turn was applied twice", len(stored.Messages), len(got.Messages))
	}
}

// TestLostResponseThenAnotherTurn: our write lands but its answer is lost, and another turn
// appends on top before our re-read: ours is found inside the history, not re-applied.
func TestLostResponseThenAnotherTurn(t *testing.T) {
	ctx := context.Background()
	srv, _, st := newFake(t)
	base, err := st.Append(ctx, twin.Session{ID: sid}, turn(0), 100)
	if err != nil {
		t.Fatal(err)
	}
	other := s3store.New(srv.Client(t), bucket, prefix)
	srv.Inject(fakeaws.AfterForward(http.MethodPut, func(w http.ResponseWriter) {
		// Before the SDK retries, another turn reads and appends.
		b, err := other.Get(ctx, sid)
		if err != nil {
			t.Error(err)
		}
		if _, err := other.Append(ctx, b, turn(2), 100); err != nil {
			t.Error(err)
		}
		panic(http.ErrAbortHandler)
	}))
	if _, err := st.Append(ctx, base, turn(1), 100); err != nil {
		t.Fatalf("Append: %v", err)
	}
	var got []string
	for _, m := range getOrNew(t, ctx, st, sid).Messages {
		got = append(got, m.Content)
	}
	if want := "question 0,answer 0,question 1,answer 1,question 2,answer 2"; strings.Join(got, ",") != want {
		t.Fatalf("stored %s, want %s", strings.Join(got, ","), want)
	}
}

// TestUnreadableObjectIsNeverReplaced: an object that does not decode is an error, not an empty
// session, and even a caller that starts afresh cannot overwrite it (If-None-Match: *).
func TestUnreadableObjectIsNeverReplaced(t *testing.T) {
	ctx := context.Background()
	_, client, st := newFake(t)
	key := prefix + sid + ".json"
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("{not json")}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, sid); err == nil || twin.ErrorCode(err) == twin.CodeSessionNotFound {
		t.Fatalf("Get = %v, want a decode error", err)
	}
	if _, err := st.Append(ctx, twin.Session{ID: sid}, turn(1), 100); err == nil {
		t.Fatal("Append over an unreadable object succeeded")
	}
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	if b, _ := io.ReadAll(out.Body); string(b) != "{not json" {
		t.Fatalf("object now %q", b)
	}
}
